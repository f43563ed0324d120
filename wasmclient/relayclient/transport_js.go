//go:build js

package relayclient

import (
	"context"
	"errors"
)

// In the browser the bridge (wasmclient/js) gives the transport, over
// fetch; the wasm has no HTTP client of its own.
func defaultTransport() Transport { return noTransport{} }

type noTransport struct{}

func (noTransport) RoundTrip(context.Context, *Request) (*Response, error) {
	return nil, errors.New("relayclient: no transport: in the browser, give one with WithTransport")
}
