package persona

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
)

// Profile selects the kind of OpenPGP key a persona is.
type Profile int

const (
	// ProfileV4 is the default: a v4 key, EdDSA primary and Curve25519
	// encryption subkey, readable by GnuPG 2.2 and later.
	ProfileV4 Profile = iota
	// ProfileV6 is an RFC 9580 v6 key (Ed25519 primary, X25519 subkey) that
	// advertises AEAD (SEIPDv2). GnuPG 2.2 cannot read it.
	ProfileV6
)

// String names the profile as the command line spells it.
func (p Profile) String() string {
	switch p {
	case ProfileV4:
		return "v4"
	case ProfileV6:
		return "v6"
	}
	return fmt.Sprintf("Profile(%d)", int(p))
}

// ParseProfile reads "v4", "v6" (or "rfc9580") into a Profile.
func ParseProfile(s string) (Profile, error) {
	switch strings.ToLower(s) {
	case "", "v4", "default", "rfc4880":
		return ProfileV4, nil
	case "v6", "rfc9580":
		return ProfileV6, nil
	}
	return 0, fmt.Errorf("unknown key profile %q (want v4 or v6)", s)
}

var (
	// ErrLocked is returned when an operation needs the secret key of a
	// persona that is still protected by its passphrase.
	ErrLocked = errors.New("persona: secret key is locked")
	// ErrBadPassphrase is returned when a passphrase does not unlock a key.
	ErrBadPassphrase = errors.New("persona: wrong passphrase")
	// ErrNoSecretKey is returned for operations on a public-only key that
	// need the secret one.
	ErrNoSecretKey = errors.New("persona: no secret key")
	// ErrNotFound is returned when no persona or contact matches a query.
	ErrNotFound = errors.New("persona: not found")
	// ErrAmbiguous is returned when a query matches more than one key.
	ErrAmbiguous = errors.New("persona: query matches more than one key")
	// ErrInvalidKey is returned for data that is not a usable OpenPGP key.
	ErrInvalidKey = errors.New("persona: not a valid OpenPGP key")
)

// Options describe a new persona.
type Options struct {
	Name    string
	Email   string
	Profile Profile
	// Claims are the social accounts the persona claims (Keyoxide notations).
	Claims []Claim
	// Passphrase, when not empty, protects the secret key material.
	Passphrase []byte
	// Time and Rand are for tests; zero values mean now and crypto/rand.
	Time func() time.Time
	Rand io.Reader
}

// Persona is one OpenPGP identity with its secret key.
type Persona struct {
	entity *openpgp.Entity
	// sealed is the serialized secret key as it was protected, kept while
	// the persona is unlocked so that it is never written out in the clear.
	sealed []byte
	// dirty is set when an unlocked, protected persona changed: it has to
	// be protected again before its secret key can be exported.
	dirty bool
}

// ErrNeedsProtect is returned when exporting the secret key of a protected
// persona that changed since it was unlocked: Protect it again first.
var ErrNeedsProtect = errors.New("persona: changed key must be protected again before export")

// keyConfig is the go-crypto configuration a profile generates keys with.
func keyConfig(p Profile, now func() time.Time, rand io.Reader) *packet.Config {
	c := &packet.Config{
		Time:                   now,
		Rand:                   rand,
		DefaultHash:            crypto.SHA512,
		DefaultCipher:          packet.CipherAES256,
		DefaultCompressionAlgo: packet.CompressionNone,
	}
	switch p {
	case ProfileV6:
		c.V6Keys = true
		c.Algorithm = packet.PubKeyAlgoEd25519
		c.AEADConfig = &packet.AEADConfig{DefaultMode: packet.AEADModeOCB}
		c.S2KConfig = &s2k.Config{S2KMode: s2k.Argon2S2K}
	default:
		c.Algorithm = packet.PubKeyAlgoEdDSA
		c.Curve = packet.Curve25519
		// Iterated and salted S2K with CFB protection: what gpg 2.2 reads.
		c.S2KConfig = &s2k.Config{S2KMode: s2k.IteratedSaltedS2K, Hash: crypto.SHA256, S2KCount: 65011712}
	}
	return c
}

// New generates a persona.
func New(opts Options) (*Persona, error) {
	if strings.TrimSpace(opts.Name) == "" && strings.TrimSpace(opts.Email) == "" {
		return nil, errors.New("persona: a name or an email is required")
	}
	config := keyConfig(opts.Profile, opts.Time, opts.Rand)
	for _, c := range opts.Claims {
		if err := c.Validate(); err != nil {
			return nil, err
		}
		config.SignatureNotations = append(config.SignatureNotations, c.notation())
	}
	e, err := openpgp.NewEntity(opts.Name, "", opts.Email, config)
	if err != nil {
		return nil, fmt.Errorf("persona: failed to generate key: %w", err)
	}
	p := &Persona{entity: e}
	if len(opts.Passphrase) > 0 {
		if err := p.Protect(opts.Passphrase); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// FromEntity wraps an OpenPGP entity that carries a secret key.
func FromEntity(e *openpgp.Entity) (*Persona, error) {
	if e == nil || e.PrivateKey == nil {
		return nil, ErrNoSecretKey
	}
	if _, err := e.VerifyPrimaryKey(time.Now(), nil); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return &Persona{entity: e}, nil
}

// Entity is the persona's OpenPGP key, for the envelope package. Its secret
// parts may be locked.
func (p *Persona) Entity() *openpgp.Entity { return p.entity }

// Fingerprint is the primary key's fingerprint in upper-case hex.
func (p *Persona) Fingerprint() string { return Fingerprint(p.entity) }

// KeyID is the primary key's 64-bit key ID.
func (p *Persona) KeyID() uint64 { return p.entity.PrimaryKey.KeyId }

// Profile tells which kind of key this is.
func (p *Persona) Profile() Profile {
	if p.entity.PrimaryKey.Version == 6 {
		return ProfileV6
	}
	return ProfileV4
}

// Created is when the key was made.
func (p *Persona) Created() time.Time { return p.entity.PrimaryKey.CreationTime }

// UserID is the primary user ID ("Name <email>").
func (p *Persona) UserID() string { return UserID(p.entity) }

// Email is the email address of the primary user ID, if any.
func (p *Persona) Email() string { return Email(p.entity) }

// Name is the name part of the primary user ID.
func (p *Persona) Name() string { return Name(p.entity) }

// Locked reports whether any secret key material is still encrypted.
func (p *Persona) Locked() bool {
	if p.entity.PrivateKey.Encrypted {
		return true
	}
	for _, s := range p.entity.Subkeys {
		if s.PrivateKey != nil && s.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}

// Protected reports whether the stored form of the key is passphrase
// protected (locked now, or unlocked from a protected form).
func (p *Persona) Protected() bool {
	return p.Locked() || p.sealed != nil || p.dirty
}

// changed records that the key was modified.
func (p *Persona) changed() {
	if p.sealed != nil {
		p.sealed = nil
		p.dirty = true
	}
}

// Unlock decrypts the secret key material in memory.
func (p *Persona) Unlock(passphrase []byte) error {
	if !p.Locked() {
		return nil
	}
	var sealed bytes.Buffer
	if err := p.entity.SerializePrivateWithoutSigning(&sealed, nil); err != nil {
		return fmt.Errorf("persona: failed to serialize secret key: %w", err)
	}
	if err := p.entity.DecryptPrivateKeys(passphrase); err != nil {
		return ErrBadPassphrase
	}
	p.sealed = sealed.Bytes()
	return nil
}

// Protect encrypts the secret key material with a passphrase. The persona
// stays usable (and Locked) afterwards: call Unlock to use it.
func (p *Persona) Protect(passphrase []byte) error {
	if len(passphrase) == 0 {
		return errors.New("persona: empty passphrase")
	}
	if p.Locked() {
		return ErrLocked
	}
	config := keyConfig(p.Profile(), nil, nil)
	if err := p.entity.EncryptPrivateKeys(passphrase, config); err != nil {
		return fmt.Errorf("persona: failed to protect key: %w", err)
	}
	p.sealed, p.dirty = nil, false
	return nil
}

// PublicKey writes the transferable public key (certificate), binary.
func (p *Persona) PublicKey(w io.Writer) error { return p.entity.Serialize(w) }

// ArmoredPublicKey returns the ASCII-armored certificate.
func (p *Persona) ArmoredPublicKey() ([]byte, error) { return ArmorPublic(p.entity) }

// ArmoredSecretKey returns the ASCII-armored transferable secret key, as it
// is stored: protected by its passphrase when it has one.
func (p *Persona) ArmoredSecretKey() ([]byte, error) {
	var buf bytes.Buffer
	w, err := armor.EncodeWithChecksumOption(&buf, openpgp.PrivateKeyType, nil, p.Profile() == ProfileV4)
	if err != nil {
		return nil, err
	}
	switch {
	case p.dirty:
		return nil, ErrNeedsProtect
	case p.sealed != nil && !p.Locked():
		if _, err := w.Write(p.sealed); err != nil {
			return nil, err
		}
	default:
		// Serializing without re-signing writes the key as it is: locked
		// keys stay encrypted, unprotected keys are in the clear.
		if err := p.entity.SerializePrivateWithoutSigning(w, nil); err != nil {
			return nil, fmt.Errorf("persona: failed to serialize secret key: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Fingerprint formats an entity's primary fingerprint in upper-case hex.
func Fingerprint(e *openpgp.Entity) string {
	return strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
}

// KeyIDString formats a key ID as 16 upper-case hex digits.
func KeyIDString(id uint64) string { return fmt.Sprintf("%016X", id) }

// UserID returns the primary user ID of an entity.
func UserID(e *openpgp.Entity) string {
	if _, id := e.PrimaryIdentity(time.Now(), nil); id != nil {
		return id.Name
	}
	for name := range e.Identities {
		return name
	}
	return ""
}

// Name returns the name part of an entity's primary user ID.
func Name(e *openpgp.Entity) string {
	if _, id := e.PrimaryIdentity(time.Now(), nil); id != nil {
		return id.UserId.Name
	}
	return ""
}

// Email returns the email of an entity's primary user ID.
func Email(e *openpgp.Entity) string {
	if _, id := e.PrimaryIdentity(time.Now(), nil); id != nil {
		return id.UserId.Email
	}
	return ""
}

// ArmorPublic returns an entity's certificate, ASCII-armored.
func ArmorPublic(e *openpgp.Entity) ([]byte, error) {
	var buf bytes.Buffer
	w, err := armor.EncodeWithChecksumOption(&buf, openpgp.PublicKeyType, nil, e.PrimaryKey.Version != 6)
	if err != nil {
		return nil, err
	}
	if err := e.Serialize(w); err != nil {
		return nil, fmt.Errorf("persona: failed to serialize public key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ReadKeys parses one or more OpenPGP keys, ASCII-armored or binary, public
// or secret. It fails on data that holds no valid key.
func ReadKeys(data []byte) (openpgp.EntityList, error) {
	var r io.Reader = bytes.NewReader(data)
	if isArmored(data) {
		block, err := armor.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
		}
		if block.Type != openpgp.PublicKeyType && block.Type != openpgp.PrivateKeyType {
			return nil, fmt.Errorf("%w: armor type %q", ErrInvalidKey, block.Type)
		}
		r = block.Body
	}
	el, err := openpgp.ReadKeyRing(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	if len(el) == 0 {
		return nil, ErrInvalidKey
	}
	return el, nil
}

func isArmored(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("-----BEGIN "))
}

// PublicOnly returns a copy of an entity without secret key material.
func PublicOnly(e *openpgp.Entity) (*openpgp.Entity, error) {
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		return nil, err
	}
	el, err := openpgp.ReadKeyRing(&buf)
	if err != nil {
		return nil, err
	}
	return el[0], nil
}
