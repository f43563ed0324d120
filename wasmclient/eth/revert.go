package eth

import (
	"encoding/json"
	"math/big"
	"strings"
	"unicode"
)

// The reasons a contract gives for reverting: Error(string), Panic(uint256),
// and the custom errors of the contracts a tip calls (Tips and VeilToken,
// wallet/contracts), whose arguments are all one-word addresses and
// numbers.

// revertError is one custom error: its name and its arguments' types and
// names.
type revertError struct {
	name   string
	params [][2]string // {type, name}
}

var (
	selError = Selector("Error(string)")
	selPanic = Selector("Panic(uint256)")

	revertErrors = func() map[[4]byte]revertError {
		m := map[[4]byte]revertError{}
		for _, e := range []revertError{
			// Tips
			{"ZeroAmount", nil},
			{"ZeroAuthor", nil},
			{"ZeroToken", nil},
			{"NativeTransferFailed", [][2]string{{"address", "author"}}},
			{"Reentrancy", nil},
			{"TokenTransferFailed", [][2]string{{"address", "token"}}},
			// VeilToken
			{"NotOwner", [][2]string{{"address", "caller"}}},
			{"ZeroAddress", nil},
			{"InsufficientBalance", [][2]string{{"address", "account"}, {"uint256", "balance"}, {"uint256", "needed"}}},
			{"InsufficientAllowance", [][2]string{{"address", "owner"}, {"address", "spender"}, {"uint256", "allowance"}, {"uint256", "needed"}}},
		} {
			types := make([]string, len(e.params))
			for i, p := range e.params {
				types[i] = p[0]
			}
			m[Selector(e.name+"("+strings.Join(types, ",")+")")] = e
		}
		return m
	}()
)

// RevertReason decodes a revert's return data: Error(string)'s text, a
// panic's code, or one of the Tips and VeilToken contracts' errors as
// Name(arg=value, …); "" when data is none of these.
func RevertReason(data []byte) string {
	if len(data) < 4 {
		return ""
	}
	sel, args := [4]byte(data[:4]), data[4:]
	switch sel {
	case selError:
		return decodeRevertString(args)
	case selPanic:
		if len(args) == 32 {
			return "panic " + "0x" + new(big.Int).SetBytes(args).Text(16)
		}
		return ""
	}
	e, ok := revertErrors[sel]
	if !ok || len(args) != 32*len(e.params) {
		return ""
	}
	parts := make([]string, len(e.params))
	for i, p := range e.params {
		word := args[32*i : 32*i+32]
		switch p[0] {
		case "address":
			if new(big.Int).SetBytes(word[:12]).Sign() != 0 {
				return ""
			}
			parts[i] = p[1] + "=" + Address(word[12:]).Hex()
		default:
			parts[i] = p[1] + "=" + new(big.Int).SetBytes(word).String()
		}
	}
	return e.name + "(" + strings.Join(parts, ", ") + ")"
}

// decodeRevertString reads Error(string)'s one argument: an offset, a
// length, the bytes.
func decodeRevertString(args []byte) string {
	if len(args) < 64 {
		return ""
	}
	off := new(big.Int).SetBytes(args[:32])
	if !off.IsUint64() || off.Uint64() != 32 {
		return ""
	}
	n := new(big.Int).SetBytes(args[32:64])
	if !n.IsUint64() || n.Uint64() > uint64(len(args)-64) {
		return ""
	}
	// The text is the contract's: valid UTF-8, no control characters.
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(string(args[64:64+n.Uint64()]), "\uFFFD"))
}

// Reason is the contract's reason for a reverted call or estimate, decoded
// from the error's data; "" when it has none Veil can read.
func (e *RPCError) Reason() string {
	if e.Data == "" {
		return ""
	}
	var s string
	if err := json.Unmarshal([]byte(e.Data), &s); err != nil {
		return ""
	}
	data, err := decodeHexData(s)
	if err != nil {
		return ""
	}
	return RevertReason(data)
}
