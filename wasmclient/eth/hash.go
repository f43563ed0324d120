package eth

import (
	"encoding/hex"

	"golang.org/x/crypto/sha3"
)

// Hash is a 32-byte Keccak-256 digest: a transaction hash, a message hash.
type Hash [32]byte

// Hex is the hash as 0x and 64 lowercase hex digits.
func (h Hash) Hex() string { return "0x" + hex.EncodeToString(h[:]) }

// String is Hex.
func (h Hash) String() string { return h.Hex() }

// ParseHash reads 0x and 64 hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := decodeHexData(s)
	if err != nil || len(b) != len(h) {
		return h, invalid("hash", s)
	}
	copy(h[:], b)
	return h, nil
}

// Keccak256 is Ethereum's hash (the Keccak submitted to SHA-3, not SHA3-256)
// of the concatenated data.
func Keccak256(data ...[]byte) Hash {
	d := sha3.NewLegacyKeccak256()
	for _, b := range data {
		d.Write(b)
	}
	var h Hash
	d.Sum(h[:0])
	return h
}
