package wallet

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// ErrReverted matches every *RevertError.
var ErrReverted = errors.New("reverted")

// RevertError is a contract call that reverted: a mined transaction (TxHash
// set), or one refused before it was sent because its gas estimate or call
// reverted. Reason is decoded from the revert data when the chain returned
// it: Error(string)'s text, a panic's description, or one of Veil's
// contracts' custom errors as Name(arg=value, …).
type RevertError struct {
	TxHash common.Hash
	Reason string
	Data   []byte
}

func (e *RevertError) Error() string {
	what := "execution reverted"
	if e.TxHash != (common.Hash{}) {
		what = "transaction " + e.TxHash.Hex() + " reverted"
	}
	if e.Reason == "" {
		return what + " (no reason given)"
	}
	return what + ": " + e.Reason
}

// Is makes errors.Is(err, ErrReverted) true.
func (e *RevertError) Is(target error) bool { return target == ErrReverted }

// isRevert reports whether a node's error says that execution reverted.
func isRevert(err error) bool {
	var de rpc.DataError
	if errors.As(err, &de) && de.ErrorData() != nil {
		return true
	}
	return strings.Contains(err.Error(), "execution reverted")
}

// revertError turns a node's revert error into a *RevertError.
func (c *Client) revertError(tx common.Hash, err error) *RevertError {
	re := &RevertError{TxHash: tx}
	var de rpc.DataError
	if errors.As(err, &de) {
		if s, ok := de.ErrorData().(string); ok {
			if data, derr := hexutil.Decode(s); derr == nil {
				re.Data = data
			}
		}
	}
	re.Reason = c.decodeRevert(re.Data)
	if re.Reason == "" {
		// Nodes that return no data often put the reason in the message.
		msg := err.Error()
		if _, after, ok := strings.Cut(msg, "execution reverted: "); ok {
			re.Reason = after
		}
	}
	return re
}

// callError wraps the error of a view call, decoding a revert.
func (c *Client) callError(err error) error {
	if isRevert(err) {
		return c.revertError(common.Hash{}, err)
	}
	return fmt.Errorf("wallet: call failed: %w", err)
}

// decodeRevert reads revert data: Error(string), Panic(uint256), or a custom
// error of one of the contracts' ABIs.
func (c *Client) decodeRevert(data []byte) string {
	if len(data) < 4 {
		return ""
	}
	if reason, err := abi.UnpackRevert(data); err == nil {
		return reason
	}
	for _, a := range c.abis {
		for _, e := range a.Errors {
			if !bytes.Equal(e.ID[:4], data[:4]) {
				continue
			}
			vals, err := e.Inputs.Unpack(data[4:])
			if err != nil {
				continue
			}
			var args []string
			for i, in := range e.Inputs {
				args = append(args, fmt.Sprintf("%s=%v", strings.TrimSuffix(in.Name, "_"), formatArg(vals[i])))
			}
			return e.Name + "(" + strings.Join(args, ", ") + ")"
		}
	}
	return fmt.Sprintf("unknown error %#x", data[:4])
}

func formatArg(v any) any {
	switch x := v.(type) {
	case common.Address:
		return x.Hex()
	case [32]byte:
		return hexutil.Encode(x[:])
	case []byte:
		return hexutil.Encode(x)
	}
	return v
}
