package persona

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"

	pgpecdsa "github.com/ProtonMail/go-crypto/openpgp/ecdsa"
	pgped25519 "github.com/ProtonMail/go-crypto/openpgp/ed25519"
	pgped448 "github.com/ProtonMail/go-crypto/openpgp/ed448"
	"github.com/ProtonMail/go-crypto/openpgp/eddsa"
	"github.com/ipfs/go-cid"
)

// shareKeySalt is the HKDF salt of share keys. A new derivation gets a new
// salt, never a changed meaning for this one.
const shareKeySalt = "veil share key v1"

// ShareKey returns the Ed25519 key that authorizes shares of the post c.
//
// A relay publishes shares (late key packets, see docs/API.md) for a post
// only when they are signed by the key given when the post was uploaded.
// ShareKey derives that key from the persona's primary secret key and the
// CID, with HKDF-SHA256 (salt "veil share key v1", info the CID in its
// canonical string form), so the author can always compute it again and
// nobody else can, and the relay sees a different, unlinkable key for every
// post. The same persona and CID always give the same key.
//
// c is parsed as a CID and written back in canonical form (base32 for a
// CIDv1), so every spelling of one CID gives one key; the CLI derives from
// the raw CIDv1 of the message's bytes, whatever the relay's CID for it.
// ShareKey returns ErrLocked while the primary key is protected, and
// ErrNoSecretKey when the primary secret key is not there (a gpg stub).
func (p *Persona) ShareKey(c string) (ed25519.PrivateKey, error) {
	parsed, err := cid.Decode(c)
	if err != nil {
		return nil, fmt.Errorf("persona: share key: invalid CID %q: %w", c, err)
	}
	ikm, err := p.primarySecret()
	if err != nil {
		return nil, err
	}
	seed, err := hkdf.Key(sha256.New, ikm, []byte(shareKeySalt), parsed.String(), ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("persona: share key: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// primarySecret returns the secret material of the primary (signing) key:
// the 32-byte seed of an Ed25519 key (v4 EdDSA or v6), and for keys made by
// other tools the Ed448 seed or the private scalar of RSA and ECDSA.
func (p *Persona) primarySecret() ([]byte, error) {
	sk := p.entity.PrivateKey
	switch {
	case sk == nil || sk.Dummy():
		return nil, ErrNoSecretKey
	case sk.Encrypted:
		return nil, ErrLocked
	}
	switch k := sk.PrivateKey.(type) {
	case *eddsa.PrivateKey:
		return k.D, nil
	case *pgped25519.PrivateKey:
		return k.Seed(), nil
	case *pgped448.PrivateKey:
		return k.Seed(), nil
	case *rsa.PrivateKey:
		return k.D.Bytes(), nil
	case *pgpecdsa.PrivateKey:
		return k.D.Bytes(), nil
	}
	return nil, errors.New("persona: share keys need an Ed25519, Ed448, RSA or ECDSA primary key")
}
