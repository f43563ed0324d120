package wallet

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// Signer is an unlocked account: it signs transactions and message hashes.
type Signer interface {
	// Address is the account.
	Address() common.Address
	// SignTx signs a transaction for a chain (EIP-155/EIP-1559 signer).
	SignTx(tx *types.Transaction, chainID *big.Int) (*types.Transaction, error)
	// SignHash signs a 32-byte hash; the signature is r ‖ s ‖ v with v = 0 or 1.
	SignHash(hash []byte) ([]byte, error)
}

// ErrBadKey is returned for a private key that cannot be read.
var ErrBadKey = errors.New("bad private key")

// keySigner signs with a private key held in memory (the dev chain's accounts).
type keySigner struct {
	key  *ecdsa.PrivateKey
	addr common.Address
}

// NewKeySigner returns a Signer for a private key held in memory.
func NewKeySigner(key *ecdsa.PrivateKey) Signer {
	return &keySigner{key: key, addr: crypto.PubkeyToAddress(key.PublicKey)}
}

// ParseKey reads a hex private key, with or without 0x.
func ParseKey(hexKey string) (*ecdsa.PrivateKey, error) {
	h := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(hexKey), "0x"), "0X")
	if len(h) != 64 {
		return nil, fmt.Errorf("%w: want 64 hex digits, got %d characters", ErrBadKey, len(h))
	}
	k, err := crypto.HexToECDSA(h)
	if err != nil {
		return nil, fmt.Errorf("%w: not a secp256k1 key", ErrBadKey)
	}
	return k, nil
}

func (s *keySigner) Address() common.Address { return s.addr }

func (s *keySigner) SignTx(tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	return types.SignTx(tx, types.LatestSignerForChainID(chainID), s.key)
}

func (s *keySigner) SignHash(hash []byte) ([]byte, error) { return crypto.Sign(hash, s.key) }

// SignText signs a message the way personal_sign (EIP-191) does: the hash of
// "\x19Ethereum Signed Message:\n" + len + message; v is 27 or 28.
func SignText(s Signer, message []byte) ([]byte, error) {
	sig, err := s.SignHash(accounts.TextHash(message))
	if err != nil {
		return nil, err
	}
	if len(sig) != crypto.SignatureLength {
		return nil, fmt.Errorf("wallet: signer returned %d bytes, want %d", len(sig), crypto.SignatureLength)
	}
	sig[crypto.RecoveryIDOffset] += 27
	return sig, nil
}

// RecoverText returns the account that signed message with personal_sign
// (EIP-191); v may be 27/28 or 0/1.
func RecoverText(message, sig []byte) (common.Address, error) {
	if len(sig) != crypto.SignatureLength {
		return common.Address{}, fmt.Errorf("signature is %d bytes, want %d", len(sig), crypto.SignatureLength)
	}
	s := append([]byte(nil), sig...)
	if s[crypto.RecoveryIDOffset] >= 27 {
		s[crypto.RecoveryIDOffset] -= 27
	}
	if s[crypto.RecoveryIDOffset] > 1 {
		return common.Address{}, errors.New("signature has a bad recovery id")
	}
	pub, err := crypto.SigToPub(accounts.TextHash(message), s)
	if err != nil {
		return common.Address{}, fmt.Errorf("signature does not recover: %w", err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}
