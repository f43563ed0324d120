package session

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/post"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// Config is what a Session runs on.
type Config struct {
	// Storage keeps personas and contacts (chrome.storage.local, IndexedDB,
	// memory: the bridge adapts what JavaScript gives it).
	Storage persona.Storage
	// Relay is the base URL of the relay posts are uploaded to and keys
	// looked up on.
	Relay string
	// Transport carries the requests to relays (relayclient's default when
	// nil; the browser bridge gives one over fetch).
	Transport relayclient.Transport
}

// Session is one person's client. It is safe for concurrent use.
type Session struct {
	store *persona.Store
	relay *relayclient.Client
	opts  []relayclient.Option // for clients of other relays

	mu sync.Mutex
	// unlocked holds the protected personas unlocked in this session, by
	// fingerprint.
	unlocked map[string]*persona.Persona
	// plain holds the unprotected personas read from the store, by
	// fingerprint, while the store has not changed since.
	plain map[string]plainPersona

	wallet wallets // wallet.go
}

// New starts a session on cfg.
func New(cfg Config) (*Session, error) {
	if cfg.Storage == nil {
		return nil, fmt.Errorf("%w: no storage", ErrBadInput)
	}
	var opts []relayclient.Option
	if cfg.Transport != nil {
		opts = append(opts, relayclient.WithTransport(cfg.Transport))
	}
	c, err := relayclient.New(cfg.Relay, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	s := &Session{store: persona.NewStore(cfg.Storage), relay: c, opts: opts, unlocked: map[string]*persona.Persona{}, plain: map[string]plainPersona{}}
	s.wallet = wallets{storage: cfg.Storage, transport: cfg.Transport}
	return s, nil
}

// PersonaInfo describes a persona (veil.d.ts PersonaInfo).
type PersonaInfo struct {
	Fingerprint string          `json:"fingerprint"`
	Name        string          `json:"name"`
	Email       string          `json:"email,omitempty"`
	Handles     []persona.Claim `json:"handles"`
	Profile     string          `json:"profile"`
	// Locked is true while a protected persona is not unlocked in this
	// session.
	Locked bool `json:"locked"`
	// Protected is true when the stored key is passphrase-protected.
	Protected bool `json:"protected"`
}

func personaInfo(p *persona.Persona) *PersonaInfo {
	return &PersonaInfo{
		Fingerprint: p.Fingerprint(),
		Name:        p.Name(),
		Email:       p.Email(),
		Handles:     nonNil(p.Claims()),
		Profile:     p.Profile().String(),
		Locked:      p.Locked(),
		Protected:   p.Protected(),
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// CreatePersonaRequest describes a new persona (veil.d.ts createPersona).
type CreatePersonaRequest struct {
	Name       string          `json:"name"`
	Email      string          `json:"email,omitempty"`
	Passphrase string          `json:"passphrase,omitempty"`
	Profile    string          `json:"profile,omitempty"`
	Handles    []persona.Claim `json:"handles,omitempty"`
}

// CreatePersona makes a persona and stores it, protected by the passphrase
// when there is one. It is unlocked in this session.
func (s *Session) CreatePersona(ctx context.Context, req CreatePersonaRequest) (*PersonaInfo, error) {
	prof, err := persona.ParseProfile(req.Profile)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	for _, c := range req.Handles {
		if err := c.Validate(); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(req.Name) == "" && strings.TrimSpace(req.Email) == "" {
		return nil, fmt.Errorf("%w: a persona needs a name or an email", ErrBadInput)
	}
	p, err := persona.New(persona.Options{Name: req.Name, Email: req.Email, Profile: prof, Claims: req.Handles, Passphrase: []byte(req.Passphrase)})
	if err != nil {
		return nil, err
	}
	if err := s.store.SavePersona(p); err != nil {
		return nil, err
	}
	if err := s.keepUnlocked(p, req.Passphrase); err != nil {
		return nil, err
	}
	return personaInfo(p), nil
}

// keepUnlocked unlocks a protected persona with passphrase and keeps it for
// the session; an unprotected one needs nothing.
func (s *Session) keepUnlocked(p *persona.Persona, passphrase string) error {
	if !p.Locked() && !p.Protected() {
		return nil
	}
	if err := p.Unlock([]byte(passphrase)); err != nil {
		return err
	}
	s.mu.Lock()
	s.unlocked[p.Fingerprint()] = p
	s.mu.Unlock()
	return nil
}

// ListPersonas lists the stored personas.
func (s *Session) ListPersonas(ctx context.Context) ([]*PersonaInfo, error) {
	ps, err := s.personas()
	if err != nil {
		return nil, err
	}
	out := []*PersonaInfo{}
	for _, p := range ps {
		out = append(out, personaInfo(p))
	}
	return out, nil
}

// personas returns the stored personas, the ones unlocked in this session
// in their unlocked form.
func (s *Session) personas() ([]*persona.Persona, error) {
	ps, err := s.store.Personas()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range ps {
		if u, ok := s.unlocked[p.Fingerprint()]; ok {
			ps[i] = u
		}
	}
	return ps, nil
}

// persona finds a persona by its fingerprint.
func (s *Session) persona(fingerprint string) (*persona.Persona, error) {
	fpr, err := checkFingerprint(fingerprint)
	if err != nil {
		return nil, err
	}
	gen := s.store.Generation()
	s.mu.Lock()
	if u, ok := s.unlocked[fpr]; ok {
		s.mu.Unlock()
		return u, nil
	}
	if c, ok := s.plain[fpr]; ok && c.gen == gen {
		s.mu.Unlock()
		return c.p, nil
	}
	s.mu.Unlock()
	p, err := s.store.PersonaByFingerprint(fpr)
	if err != nil {
		return nil, err
	}
	if !p.Protected() {
		s.mu.Lock()
		s.plain[fpr] = plainPersona{p, gen}
		s.mu.Unlock()
	}
	return p, nil
}

// plainPersona is an unprotected persona as the store held it at
// generation gen.
type plainPersona struct {
	p   *persona.Persona
	gen uint64
}

// checkFingerprint reads a fingerprint: 40 or 64 hex digits, in upper case
// as the store keeps them.
func checkFingerprint(s string) (string, error) {
	fpr := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if len(fpr) != 40 && len(fpr) != 64 || strings.Trim(fpr, "0123456789ABCDEF") != "" {
		return "", fmt.Errorf("%w: %q is not a fingerprint", ErrBadInput, s)
	}
	return fpr, nil
}

// ImportPersona stores an existing secret key as it is (protected or not);
// with a passphrase it is unlocked at once.
func (s *Session) ImportPersona(ctx context.Context, armoredSecret, passphrase string) (*PersonaInfo, error) {
	el, err := persona.ReadKeys([]byte(armoredSecret))
	if err != nil {
		return nil, err
	}
	if len(el) != 1 {
		return nil, fmt.Errorf("%w: %d keys, import one at a time", ErrBadInput, len(el))
	}
	p, err := persona.FromEntity(el[0])
	if err != nil {
		return nil, err
	}
	if passphrase != "" {
		if err := p.Unlock([]byte(passphrase)); err != nil {
			return nil, err
		}
	}
	if err := s.store.SavePersona(p); err != nil {
		return nil, err
	}
	if p.Protected() && !p.Locked() {
		s.mu.Lock()
		s.unlocked[p.Fingerprint()] = p
		s.mu.Unlock()
	}
	return personaInfo(p), nil
}

// Unlock unlocks a protected persona for this session.
func (s *Session) Unlock(ctx context.Context, fingerprint, passphrase string) error {
	p, err := s.persona(fingerprint)
	if err != nil {
		return err
	}
	if !p.Locked() {
		return nil
	}
	return s.keepUnlocked(p, passphrase)
}

// Lock forgets a persona's unlocked key. An unprotected persona cannot be
// locked and stays usable.
func (s *Session) Lock(ctx context.Context, fingerprint string) error {
	p, err := s.persona(fingerprint)
	if err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.unlocked, p.Fingerprint())
	s.mu.Unlock()
	return nil
}

// ExportPublicKey returns a persona's (or a contact's) armored public key.
func (s *Session) ExportPublicKey(ctx context.Context, fingerprint string) (string, error) {
	e, err := s.key(fingerprint)
	if err != nil {
		return "", err
	}
	b, err := persona.ArmorPublic(e)
	return string(b), err
}

// key finds the key of a persona or, failing that, a contact.
func (s *Session) key(fingerprint string) (*openpgp.Entity, error) {
	p, err := s.persona(fingerprint)
	if err == nil {
		return p.Entity(), nil
	}
	c, cerr := s.contact(fingerprint)
	if cerr != nil {
		return nil, err
	}
	return c.Key, nil
}

// Backup writes every persona (as stored, protected by its own passphrase)
// and every contact as one passphrase-encrypted, armored OpenPGP message.
func (s *Session) Backup(ctx context.Context, passphrase string) ([]byte, error) {
	if passphrase == "" {
		return nil, fmt.Errorf("%w: a backup needs a passphrase", ErrBadInput)
	}
	files, err := s.backupFiles()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := s.store.Backup(&buf, []byte(passphrase), files...); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// RestoreResult counts what a restore brought back.
type RestoreResult struct {
	Personas int `json:"personas"`
	Contacts int `json:"contacts"`
	// Wallets counts the wallets restored that were not here.
	Wallets int `json:"wallets"`
}

// Restore stores the personas, contacts and wallets of a backup, merged
// with what is there, and its chain settings when there are none here.
func (s *Session) Restore(ctx context.Context, data []byte, passphrase string) (*RestoreResult, error) {
	rep, err := s.store.Restore(bytes.NewReader(data), []byte(passphrase), checkBackupFile)
	if err != nil {
		return nil, err
	}
	wallets, err := s.restoreFiles(rep.Files)
	if err != nil {
		return nil, err
	}
	return &RestoreResult{Personas: rep.Personas, Contacts: rep.Contacts, Wallets: wallets}, nil
}

// PublishKey publishes a persona's public key in the relay's directory.
func (s *Session) PublishKey(ctx context.Context, fingerprint string) error {
	p, err := s.persona(fingerprint)
	if err != nil {
		return err
	}
	armored, err := p.ArmoredPublicKey()
	if err != nil {
		return err
	}
	res, err := s.relay.PublishKey(ctx, armored)
	if err != nil {
		return &post.RelayError{Op: "publishing " + p.Fingerprint() + " on " + s.relay.BaseURL(), Err: err}
	}
	for _, r := range res.Rejected {
		return fmt.Errorf("%w: the relay refused %s: %s", ErrBadInput, r.Fingerprint, r.Reason)
	}
	return nil
}

// WalletBinding is the wallet address a key binds.
type WalletBinding struct {
	Address string `json:"address,omitempty"`
}

// WalletBinding returns the address in a persona's (or contact's) wallet
// notation (persona.WalletNotation, CAIP-10), if it has one.
func (s *Session) WalletBinding(ctx context.Context, fingerprint string) (*WalletBinding, error) {
	e, err := s.key(fingerprint)
	if err != nil {
		return nil, err
	}
	b, ok := persona.Wallet(e)
	if !ok {
		return &WalletBinding{}, nil
	}
	account := b.Account
	if i := strings.LastIndexByte(account, ':'); i >= 0 {
		account = account[i+1:]
	}
	return &WalletBinding{Address: account}, nil
}
