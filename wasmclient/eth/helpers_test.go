//go:build !js

package eth_test

import (
	"errors"

	"github.com/veilsocial/veil/wasmclient/eth"
)

func isInvalid(err error) bool  { return errors.Is(err, eth.ErrInvalid) }
func isNotBound(err error) bool { return errors.Is(err, eth.ErrNotBound) }
