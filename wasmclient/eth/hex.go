package eth

import (
	"encoding/hex"
	"math/big"
	"strconv"
	"strings"
)

// JSON-RPC writes numbers as quantities (0x and hex digits without leading
// zeros, "0x0" for zero) and bytes as data (0x and two hex digits a byte).

// maxQuantityDigits bounds a quantity to 256 bits: nothing Ethereum counts
// is larger.
const maxQuantityDigits = 64

// encodeUint writes a quantity.
func encodeUint(u uint64) string { return "0x" + strconv.FormatUint(u, 16) }

// encodeBig writes a quantity; nil is zero.
func encodeBig(b *big.Int) string {
	if b == nil {
		return "0x0"
	}
	return "0x" + b.Text(16)
}

// encodeData writes bytes as data.
func encodeData(b []byte) string { return "0x" + hex.EncodeToString(b) }

// decodeBig reads a quantity of at most 256 bits. Leading zeros are
// accepted, as some endpoints write them.
func decodeBig(s string) (*big.Int, error) {
	digits, ok := strings.CutPrefix(s, "0x")
	if !ok {
		digits, ok = strings.CutPrefix(s, "0X")
	}
	if !ok || digits == "" || !isHex(digits) || len(strings.TrimLeft(digits, "0")) > maxQuantityDigits {
		return nil, invalid("quantity", s)
	}
	n, ok := new(big.Int).SetString(digits, 16)
	if !ok {
		return nil, invalid("quantity", s)
	}
	return n, nil
}

// decodeUint reads a quantity that fits 64 bits.
func decodeUint(s string) (uint64, error) {
	n, err := decodeBig(s)
	if err != nil {
		return 0, err
	}
	if !n.IsUint64() {
		return 0, invalid("64-bit quantity", s)
	}
	return n.Uint64(), nil
}

// decodeHexData reads data: 0x and an even number of hex digits.
func decodeHexData(s string) ([]byte, error) {
	digits, ok := strings.CutPrefix(s, "0x")
	if !ok {
		digits, ok = strings.CutPrefix(s, "0X")
	}
	if !ok {
		return nil, invalid("hex data", s)
	}
	b, err := hex.DecodeString(digits)
	if err != nil {
		return nil, invalid("hex data", s)
	}
	return b, nil
}

// isHex reports whether s is all hex digits (no sign, no underscores, which
// big.Int and strconv would take).
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
