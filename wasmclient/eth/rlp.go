package eth

import "math/big"

// RLP (Ethereum's Recursive Length Prefix) encoding, as much of it as a
// transaction needs: byte strings, unsigned integers and lists of encoded
// items.

// rlpString encodes a byte string.
func rlpString(b []byte) []byte {
	if len(b) == 1 && b[0] < 0x80 {
		return []byte{b[0]}
	}
	return append(rlpHeader(0x80, len(b)), b...)
}

// rlpUint encodes an unsigned integer: its big-endian bytes without
// leading zeros (zero is the empty string).
func rlpUint(u uint64) []byte {
	var b [8]byte
	n := 0
	for v := u; v > 0; v >>= 8 {
		n++
	}
	for i := 0; i < n; i++ {
		b[8-n+i] = byte(u >> (8 * (n - 1 - i)))
	}
	return rlpString(b[8-n:])
}

// rlpBig encodes a non-negative big integer (nil is zero).
func rlpBig(n *big.Int) []byte {
	if n == nil {
		return rlpString(nil)
	}
	return rlpString(n.Bytes())
}

// rlpList encodes a list of encoded items.
func rlpList(items ...[]byte) []byte {
	size := 0
	for _, it := range items {
		size += len(it)
	}
	out := rlpHeader(0xc0, size)
	for _, it := range items {
		out = append(out, it...)
	}
	return out
}

// rlpHeader is the prefix of a string (base 0x80) or list (base 0xc0) of
// size bytes.
func rlpHeader(base byte, size int) []byte {
	if size <= 55 {
		return []byte{base + byte(size)}
	}
	var lb []byte
	for v := size; v > 0; v >>= 8 {
		lb = append([]byte{byte(v)}, lb...)
	}
	return append([]byte{base + 55 + byte(len(lb))}, lb...)
}
