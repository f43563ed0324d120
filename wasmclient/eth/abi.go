package eth

import (
	"errors"
	"math/big"
)

// The Solidity ABI encoding of the calls the browser makes (docs/CHAIN.md):
// a call is the function's selector (the first four bytes of the Keccak-256
// of its signature) and its arguments, each static one in a 32-byte word, a
// string as an offset in the head and its length and padded bytes in the
// tail.

// Selector is the first four bytes of the Keccak-256 of a function
// signature such as "tip(address,string)".
func Selector(signature string) [4]byte {
	h := Keccak256([]byte(signature))
	return [4]byte(h[:4])
}

var (
	selTip         = Selector("tip(address,string)")
	selTipToken    = Selector("tipToken(address,address,uint256,string)")
	selTotalTipped = Selector("totalTipped(string,address)")
	selTipCount    = Selector("tipCount(string)")
	selApprove     = Selector("approve(address,uint256)")
	selAllowance   = Selector("allowance(address,address)")
	selBalanceOf   = Selector("balanceOf(address)")
)

// TipCall is Tips.tip(author, cid); the tip is the transaction's value.
func TipCall(author Address, cid string) []byte {
	return encodeCall(selTip, author, cid)
}

// TipTokenCall is Tips.tipToken(token, author, amount, cid).
func TipTokenCall(token, author Address, amount *big.Int, cid string) ([]byte, error) {
	if err := checkUint256("amount", amount); err != nil {
		return nil, err
	}
	return encodeCall(selTipToken, token, author, amount, cid), nil
}

// TotalTippedCall is Tips.totalTipped(cid, token); the zero token asks for
// the native coin.
func TotalTippedCall(cid string, token Address) []byte {
	return encodeCall(selTotalTipped, cid, token)
}

// TipCountCall is Tips.tipCount(cid).
func TipCountCall(cid string) []byte {
	return encodeCall(selTipCount, cid)
}

// ApproveCall is ERC-20 approve(spender, amount).
func ApproveCall(spender Address, amount *big.Int) ([]byte, error) {
	if err := checkUint256("amount", amount); err != nil {
		return nil, err
	}
	return encodeCall(selApprove, spender, amount), nil
}

// AllowanceCall is ERC-20 allowance(owner, spender).
func AllowanceCall(owner, spender Address) []byte {
	return encodeCall(selAllowance, owner, spender)
}

// BalanceOfCall is ERC-20 balanceOf(owner).
func BalanceOfCall(owner Address) []byte {
	return encodeCall(selBalanceOf, owner)
}

// DecodeUint256 reads a call's result that is one uint256.
func DecodeUint256(ret []byte) (*big.Int, error) {
	if len(ret) != 32 {
		if len(ret) == 0 {
			return nil, errors.New("eth: the call returned nothing (is there a contract at that address?)")
		}
		return nil, errors.New("eth: the call did not return one uint256")
	}
	return new(big.Int).SetBytes(ret), nil
}

// encodeCall encodes a call with arguments of the kinds above: Address,
// *big.Int (a uint256 in range, nil for zero) and string.
func encodeCall(sel [4]byte, args ...any) []byte {
	head := make([]byte, 0, 4+32*len(args))
	head = append(head, sel[:]...)
	var tail []byte
	for _, a := range args {
		var w [32]byte
		switch a := a.(type) {
		case Address:
			copy(w[12:], a[:])
		case *big.Int:
			if a != nil {
				a.FillBytes(w[:])
			}
		case string:
			big.NewInt(int64(32*len(args) + len(tail))).FillBytes(w[:])
			var n [32]byte
			big.NewInt(int64(len(a))).FillBytes(n[:])
			tail = append(tail, n[:]...)
			tail = append(tail, a...)
			tail = append(tail, make([]byte, (32-len(a)%32)%32)...)
		default:
			panic("eth: encodeCall: unsupported argument type")
		}
		head = append(head, w[:]...)
	}
	return append(head, tail...)
}
