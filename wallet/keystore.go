package wallet

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Errors of the keystore, for callers to test with errors.Is.
var (
	ErrNoAccount      = errors.New("no such account")
	ErrAccountExists  = errors.New("account already in the keystore")
	ErrBadPassphrase  = errors.New("wrong passphrase")
	ErrLocked         = errors.New("account is locked")
	ErrNeedPassphrase = errors.New("a passphrase is required")
)

// KDF is how hard the keystore makes guessing a passphrase of a key it
// writes. A key file records its own parameters, so unlocking reads any.
type KDF int

const (
	// StandardKDF is geth's default (scrypt N=2^18, about a second and
	// 256 MiB to unlock): for keys that hold value.
	StandardKDF KDF = iota
	// LightKDF is geth's --lightkdf (scrypt N=2^12): for dev-chain accounts
	// and tests.
	LightKDF
)

// KeystoreDir is where the wallet keeps its key files under a Veil home.
func KeystoreDir(veilHome string) string { return filepath.Join(veilHome, "wallet", "keystore") }

// Keystore holds accounts as encrypted key files (Web3 Secret Storage, the
// format geth and most wallets read) in one directory.
type Keystore struct {
	ks *keystore.KeyStore
}

// OpenKeystore opens (creating it, 0700) a keystore directory; kdf applies to
// keys it writes.
func OpenKeystore(dir string, kdf KDF) (*Keystore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("wallet: failed to create the keystore: %w", err)
	}
	n, p := keystore.StandardScryptN, keystore.StandardScryptP
	if kdf == LightKDF {
		n, p = keystore.LightScryptN, keystore.LightScryptP
	}
	return &Keystore{ks: keystore.NewKeyStore(dir, n, p)}, nil
}

// New makes a new random account protected by passphrase.
func (k *Keystore) New(passphrase string) (common.Address, error) {
	if passphrase == "" {
		return common.Address{}, ErrNeedPassphrase
	}
	a, err := k.ks.NewAccount(passphrase)
	if err != nil {
		return common.Address{}, fmt.Errorf("wallet: failed to create an account: %w", err)
	}
	return a.Address, nil
}

// Import adds an account from a hex private key, protected by passphrase.
func (k *Keystore) Import(hexKey, passphrase string) (common.Address, error) {
	if passphrase == "" {
		return common.Address{}, ErrNeedPassphrase
	}
	key, err := ParseKey(hexKey)
	if err != nil {
		return common.Address{}, err
	}
	a, err := k.ks.ImportECDSA(key, passphrase)
	if errors.Is(err, keystore.ErrAccountAlreadyExists) {
		return a.Address, fmt.Errorf("%w: %s", ErrAccountExists, a.Address.Hex())
	}
	if err != nil {
		return common.Address{}, fmt.Errorf("wallet: failed to import the key: %w", err)
	}
	return a.Address, nil
}

// Accounts lists the keystore's accounts.
func (k *Keystore) Accounts() []common.Address {
	var out []common.Address
	for _, a := range k.ks.Accounts() {
		out = append(out, a.Address)
	}
	return out
}

// Account picks an account: the one whose address is query (any case), or
// with an empty query the only one there is.
func (k *Keystore) Account(query string) (common.Address, error) {
	all := k.Accounts()
	if query == "" {
		switch len(all) {
		case 0:
			return common.Address{}, fmt.Errorf("%w: the keystore is empty", ErrNoAccount)
		case 1:
			return all[0], nil
		}
		return common.Address{}, fmt.Errorf("%w: the keystore holds %d accounts, name one", ErrNoAccount, len(all))
	}
	if !common.IsHexAddress(query) {
		return common.Address{}, fmt.Errorf("%w: %q is not an address", ErrNoAccount, query)
	}
	want := common.HexToAddress(query)
	for _, a := range all {
		if a == want {
			return a, nil
		}
	}
	return common.Address{}, fmt.Errorf("%w: %s", ErrNoAccount, want.Hex())
}

// Unlock decrypts an account's key with its passphrase and returns a Signer
// for it; the key stays unlocked until Lock.
func (k *Keystore) Unlock(addr common.Address, passphrase string) (Signer, error) {
	acct := accounts.Account{Address: addr}
	err := k.ks.Unlock(acct, passphrase)
	switch {
	case errors.Is(err, keystore.ErrDecrypt):
		return nil, fmt.Errorf("%w for %s", ErrBadPassphrase, addr.Hex())
	case errors.Is(err, keystore.ErrNoMatch):
		return nil, fmt.Errorf("%w: %s", ErrNoAccount, addr.Hex())
	case err != nil:
		return nil, fmt.Errorf("wallet: failed to unlock %s: %w", addr.Hex(), err)
	}
	return &keystoreSigner{ks: k.ks, acct: acct}, nil
}

// Lock forgets an unlocked key.
func (k *Keystore) Lock(addr common.Address) error { return k.ks.Lock(addr) }

// keystoreSigner signs with a key the keystore holds unlocked.
type keystoreSigner struct {
	ks   *keystore.KeyStore
	acct accounts.Account
}

func (s *keystoreSigner) Address() common.Address { return s.acct.Address }

func (s *keystoreSigner) SignTx(tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	return s.ks.SignTx(s.acct, tx, chainID)
}

func (s *keystoreSigner) SignHash(hash []byte) ([]byte, error) {
	sig, err := s.ks.SignHash(s.acct, hash)
	if errors.Is(err, keystore.ErrLocked) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, s.acct.Address.Hex())
	}
	return sig, err
}

// IsAddress reports whether s looks like an account address (0x and 40 hex digits).
func IsAddress(s string) bool {
	return strings.HasPrefix(strings.ToLower(s), "0x") && common.IsHexAddress(s)
}
