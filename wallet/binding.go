package wallet

import (
	"errors"
	"fmt"
	"math/big"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/veilsocial/veil/wasmclient/eth"
	"github.com/veilsocial/veil/wasmclient/persona"
)

// The binding's text and its check are wasmclient/eth's (BindingMessage,
// VerifyBinding), the same code the browser runs; this file signs with
// go-ethereum keys and ties the check to a persona's verified key.

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
	return eth.Account{ChainID: chainID.Uint64(), Address: eth.Address(addr)}.String()
}

// ParseCAIP10 reads an eip155 CAIP-10 account (a mixed-case address must
// carry a correct EIP-55 checksum).
func ParseCAIP10(s string) (*big.Int, common.Address, error) {
	a, err := eth.ParseAccount(s)
	if err != nil {
		return nil, common.Address{}, err
	}
	return new(big.Int).SetUint64(a.ChainID), common.Address(a.Address), nil
}

// SignBinding makes the persona's half of a binding: the account (CAIP-10
// on chainID) and its personal_sign signature over eth.BindingMessage of
// the fingerprint.
func SignBinding(s Signer, chainID *big.Int, fingerprint string) (persona.WalletBinding, error) {
	if !chainID.IsUint64() || chainID.Sign() <= 0 {
		return persona.WalletBinding{}, fmt.Errorf("wallet: bad chain ID %s", chainID)
	}
	sig, err := SignText(s, []byte(eth.BindingMessage(fingerprint)))
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
	if len(b.Signature) == 0 {
		return common.Address{}, fmt.Errorf("%w: %s has not signed the key", ErrNotTwoWay, b.Account)
	}
	a, err := eth.VerifyBinding(b.Account, persona.Fingerprint(e), b.Signature)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrNotTwoWay, err)
	}
	if !chainID.IsUint64() || a.ChainID != chainID.Uint64() {
		return common.Address{}, fmt.Errorf("%w: bound on chain %d, this is chain %s", ErrWrongChain, a.ChainID, chainID)
	}
	return common.Address(a.Address), nil
}
