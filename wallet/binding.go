package wallet

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/veilsocial/veil/wasmclient/persona"
)

// Errors of CheckBinding, for callers to test with errors.Is.
var (
	// ErrNotBound: the key's verified self-signature names no account.
	ErrNotBound = errors.New("no wallet binding")
	// ErrNotTwoWay: the key names an account, but the account's signature
	// over the key's fingerprint is missing or made by another account.
	ErrNotTwoWay = errors.New("wallet binding is not two-way")
	// ErrWrongChain: the key binds an account on another chain.
	ErrWrongChain = errors.New("wallet binding is for another chain")
)

// CAIP10 writes an account as CAIP-10: eip155:<chain id>:0x<checksummed address>.
func CAIP10(chainID *big.Int, addr common.Address) string {
	return "eip155:" + chainID.String() + ":" + addr.Hex()
}

// ParseCAIP10 reads an eip155 CAIP-10 account.
func ParseCAIP10(s string) (*big.Int, common.Address, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 || parts[0] != "eip155" {
		return nil, common.Address{}, fmt.Errorf("%q is not an eip155:<chain id>:<address> account", s)
	}
	id, ok := new(big.Int).SetString(parts[1], 10)
	if !ok || id.Sign() <= 0 || parts[1][0] == '0' {
		return nil, common.Address{}, fmt.Errorf("%q: bad chain id", s)
	}
	if !IsAddress(parts[2]) {
		return nil, common.Address{}, fmt.Errorf("%q: bad address", s)
	}
	return id, common.HexToAddress(parts[2]), nil
}

// BindingMessage is the text an account signs (personal_sign) to bind a
// persona: "openpgp4fpr:" and the key's fingerprint in lowercase hex.
func BindingMessage(fingerprint string) string {
	return "openpgp4fpr:" + strings.ToLower(fingerprint)
}

// SignBinding makes the persona's half of a binding: the account (CAIP-10
// on chainID) and its signature over the fingerprint.
func SignBinding(s Signer, chainID *big.Int, fingerprint string) (persona.WalletBinding, error) {
	sig, err := SignText(s, []byte(BindingMessage(fingerprint)))
	if err != nil {
		return persona.WalletBinding{}, fmt.Errorf("wallet: failed to sign the binding: %w", err)
	}
	return persona.WalletBinding{Account: CAIP10(chainID, s.Address()), Signature: sig}, nil
}

// Bind binds a persona and an account both ways: the account signs the
// persona's fingerprint, and the persona's key names the account and carries
// that signature in a new self-signature. The persona must be unlocked.
func Bind(p *persona.Persona, s Signer, chainID *big.Int) error {
	b, err := SignBinding(s, chainID, p.Fingerprint())
	if err != nil {
		return err
	}
	return p.SetWallet(b)
}

// CheckBinding returns the account a key is bound to on chainID when the
// binding is two-way: the key's verified self-signature names the account
// on that chain, and the signature it carries over the key's fingerprint
// recovers to that account. Tips go only to accounts that pass.
func CheckBinding(e *openpgp.Entity, chainID *big.Int) (common.Address, error) {
	b, ok := persona.Wallet(e)
	if !ok {
		return common.Address{}, ErrNotBound
	}
	id, addr, err := ParseCAIP10(b.Account)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrNotTwoWay, err)
	}
	if id.Cmp(chainID) != 0 {
		return common.Address{}, fmt.Errorf("%w: bound on chain %s, this is chain %s", ErrWrongChain, id, chainID)
	}
	if len(b.Signature) == 0 {
		return common.Address{}, fmt.Errorf("%w: %s has not signed the key", ErrNotTwoWay, addr.Hex())
	}
	signer, err := RecoverText([]byte(BindingMessage(persona.Fingerprint(e))), b.Signature)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrNotTwoWay, err)
	}
	if signer != addr {
		return common.Address{}, fmt.Errorf("%w: the key names %s but %s signed it", ErrNotTwoWay, addr.Hex(), signer.Hex())
	}
	return addr, nil
}
