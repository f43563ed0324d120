package eth

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// Address is a 20-byte Ethereum account address.
type Address [20]byte

// ParseAddress reads 0x and 40 hex digits. Digits in one case are taken as
// they are; mixed case is an EIP-55 checksum and must be right, so a
// mistyped address is caught.
func ParseAddress(s string) (Address, error) {
	var a Address
	digits, ok := strings.CutPrefix(s, "0x")
	if !ok || len(digits) != 2*len(a) || !isHex(digits) {
		return a, invalid("address", s)
	}
	hex.Decode(a[:], []byte(digits))
	if digits != strings.ToLower(digits) && digits != strings.ToUpper(digits) && a.Hex() != s {
		return Address{}, invalid("address checksum", s)
	}
	return a, nil
}

// Hex is the address with its EIP-55 checksum: a hex letter is upper case
// when the matching nibble of the Keccak-256 of the lowercase hex is 8 or
// more.
func (a Address) Hex() string {
	digits := []byte(hex.EncodeToString(a[:]))
	h := Keccak256(digits)
	for i, c := range digits {
		nibble := h[i/2] >> 4
		if i%2 == 1 {
			nibble = h[i/2] & 0xf
		}
		if c >= 'a' && nibble >= 8 {
			digits[i] = c - 'a' + 'A'
		}
	}
	return "0x" + string(digits)
}

// String is Hex.
func (a Address) String() string { return a.Hex() }

// IsZero reports whether a is the zero address, which in Tips stands for
// the chain's native coin.
func (a Address) IsZero() bool { return a == Address{} }

// Account is a CAIP-10 account on an EVM chain: eip155:<chain id>:<address>.
type Account struct {
	ChainID uint64
	Address Address
}

// caip10Namespace is the CAIP-2 namespace of EVM chains.
const caip10Namespace = "eip155"

// ParseAccount reads eip155:<chain id>:<address>: the chain ID in decimal
// without leading zeros, the address as ParseAddress reads it.
func ParseAccount(s string) (Account, error) {
	rest, ok := strings.CutPrefix(s, caip10Namespace+":")
	id, addr, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || id == "" || id[0] == '0' {
		return Account{}, invalid("CAIP-10 account", s)
	}
	chain, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return Account{}, invalid("CAIP-10 chain ID", s)
	}
	a, err := ParseAddress(addr)
	if err != nil {
		return Account{}, err
	}
	return Account{ChainID: chain, Address: a}, nil
}

// String is the CAIP-10 form, with the checksummed address.
func (a Account) String() string {
	return caip10Namespace + ":" + strconv.FormatUint(a.ChainID, 10) + ":" + a.Address.Hex()
}
