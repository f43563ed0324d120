package eth

import (
	"fmt"
	"strconv"
	"strings"
)

// PersonalHash is the hash EIP-191 personal_sign signs: Keccak-256 of
// "\x19Ethereum Signed Message:\n", the message's length in decimal, and the
// message.
func PersonalHash(msg []byte) Hash {
	return Keccak256([]byte("\x19Ethereum Signed Message:\n"+strconv.Itoa(len(msg))), msg)
}

// SignPersonal signs msg as personal_sign does: r ‖ s ‖ v with v 27 or 28.
func SignPersonal(k *PrivateKey, msg []byte) []byte {
	sig := k.Sign(PersonalHash(msg))
	sig[64] += 27
	return sig
}

// RecoverPersonal returns the address that signed msg with personal_sign.
func RecoverPersonal(msg, sig []byte) (Address, error) {
	return Recover(PersonalHash(msg), sig)
}

// BindingMessage is the text an account signs to bind a persona (docs/CHAIN.md
// "Wallet binding"): openpgp4fpr: and the key's fingerprint in lowercase hex.
func BindingMessage(fingerprint string) string {
	return "openpgp4fpr:" + strings.ToLower(fingerprint)
}

// SignBinding makes the account's half of a binding to the persona with
// this fingerprint: the account on chainID, and its personal_sign signature
// over BindingMessage.
func SignBinding(k *PrivateKey, chainID uint64, fingerprint string) (Account, []byte) {
	return Account{ChainID: chainID, Address: k.Address()}, SignPersonal(k, []byte(BindingMessage(fingerprint)))
}

// VerifyBinding checks the account's half of a binding: account is CAIP-10,
// and sig must be its personal_sign signature over BindingMessage(fingerprint).
// It returns the parsed account, and an error matching ErrNotBound when
// another key made the signature.
func VerifyBinding(account, fingerprint string, sig []byte) (Account, error) {
	a, err := ParseAccount(account)
	if err != nil {
		return Account{}, err
	}
	signer, err := RecoverPersonal([]byte(BindingMessage(fingerprint)), sig)
	if err != nil {
		return a, fmt.Errorf("%w: %w", ErrNotBound, err)
	}
	if signer != a.Address {
		return a, fmt.Errorf("%w: the binding names %s but %s signed it", ErrNotBound, a.Address.Hex(), signer.Hex())
	}
	return a, nil
}
