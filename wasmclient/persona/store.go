package persona

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
)

// Storage keeps named blobs. Names are slash-separated and relative
// ("personas/<FPR>.asc"). Read of a missing name returns an error that
// matches fs.ErrNotExist. Write replaces a blob whole or not at all.
type Storage interface {
	Read(name string) ([]byte, error)
	Write(name string, data []byte) error
	Remove(name string) error
	// List returns the names under a directory prefix ("personas/").
	List(dir string) ([]string, error)
}

// DirStorage stores blobs as files under a directory that only its owner can
// enter (0700), each file readable only by its owner (0600).
type DirStorage struct {
	root string
}

// OpenDir opens (creating if needed) a key directory. An existing directory
// that others can read is tightened to 0700.
func OpenDir(root string) (*DirStorage, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("persona: failed to create key directory: %w", err)
	}
	st, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(root, 0o700); err != nil {
			return nil, fmt.Errorf("persona: key directory %s is open to others: %w", root, err)
		}
	}
	return &DirStorage{root: root}, nil
}

// Root is the directory the storage lives in.
func (d *DirStorage) Root() string { return d.root }

func (d *DirStorage) path(name string) (string, error) {
	clean := path.Clean(name)
	if clean != name || strings.HasPrefix(clean, "../") || path.IsAbs(clean) || clean == "." {
		return "", fmt.Errorf("persona: bad storage name %q", name)
	}
	return filepath.Join(d.root, filepath.FromSlash(clean)), nil
}

// Read returns a blob.
func (d *DirStorage) Read(name string) ([]byte, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// Write stores a blob atomically: a 0600 temporary file, fsync, rename.
func (d *DirStorage) Write(name string, data []byte) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename this fails harmlessly
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		return err
	}
	if df, err := os.Open(dir); err == nil {
		df.Sync()
		df.Close()
	}
	return nil
}

// Remove deletes a blob; removing a missing one is not an error.
func (d *DirStorage) Remove(name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// List returns the names of the blobs in a directory, sorted.
func (d *DirStorage) List(dir string) ([]string, error) {
	p, err := d.path(strings.TrimSuffix(dir, "/"))
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, path.Join(strings.TrimSuffix(dir, "/"), e.Name()))
		}
	}
	sort.Strings(names)
	return names, nil
}

// MemStorage keeps blobs in memory (tests, and a browser session before it
// has persistent storage).
type MemStorage struct {
	m map[string][]byte
}

// NewMemStorage returns an empty in-memory Storage.
func NewMemStorage() *MemStorage { return &MemStorage{m: map[string][]byte{}} }

// Read returns a blob.
func (s *MemStorage) Read(name string) ([]byte, error) {
	b, ok := s.m[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	return bytes.Clone(b), nil
}

// Write stores a blob.
func (s *MemStorage) Write(name string, data []byte) error {
	s.m[name] = bytes.Clone(data)
	return nil
}

// Remove deletes a blob.
func (s *MemStorage) Remove(name string) error { delete(s.m, name); return nil }

// List returns the blobs directly under dir.
func (s *MemStorage) List(dir string) ([]string, error) {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	var names []string
	for n := range s.m {
		if rest, ok := strings.CutPrefix(n, prefix); ok && !strings.Contains(rest, "/") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// Contact is a friend's public key with what this person knows about it.
type Contact struct {
	Key *openpgp.Entity
	ContactInfo
}

// ContactInfo is the local knowledge about a contact's key.
type ContactInfo struct {
	// Handles are the accounts this key is known by locally (from its own
	// claims, a verified profile proof, or the person's say-so).
	Handles []Claim `json:"handles,omitempty"`
	// Verified lists handles whose profile proof was checked.
	Verified []Claim `json:"verified,omitempty"`
	// Source says how the key was learned: "import", "directory", "post", "proof".
	Source string    `json:"source,omitempty"`
	Added  time.Time `json:"added"`
	Note   string    `json:"note,omitempty"`
}

// Fingerprint of the contact's key.
func (c *Contact) Fingerprint() string { return Fingerprint(c.Key) }

// Store keeps personas and contacts in a Storage:
//
//	personas/<FPR>.asc   the armored secret key (claims included)
//	contacts/<FPR>.asc   the armored public key
//	contacts/<FPR>.json  ContactInfo
//
// A Store keeps the keys it parsed for Keyring, PublicKey and KnownContact
// (parsing a key checks its signatures, which costs more than the message
// a reader opens with it) until it writes to its Storage: a Store must be
// the only writer of its Storage while it is in use.
type Store struct {
	s Storage

	mu sync.Mutex
	// gen counts the writes through this Store; a cache made at another
	// generation is stale.
	gen   uint64
	cache *keyCache
}

// keyCache is what a Store parsed at one generation. Its keys are shared by
// every caller and never changed: Persona methods that change a key work on
// their own parse of it (Personas, PersonaByFingerprint).
type keyCache struct {
	keyring  openpgp.EntityList         // personas, as stored, then contacts
	public   map[string]*openpgp.Entity // fingerprint → public-only key, filled on demand
	contacts map[string]ContactInfo     // fingerprint → contact's local knowledge
}

// NewStore returns a Store over s.
func NewStore(s Storage) *Store { return &Store{s: s} }

// Generation changes whenever the Store writes to its Storage: what was read
// at one generation is current while the generation stays the same.
func (s *Store) Generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// changed runs write, marking everything read before it (and while it runs)
// stale.
func (s *Store) changed(write func() error) error {
	s.bump()
	defer s.bump()
	return write()
}

func (s *Store) bump() {
	s.mu.Lock()
	s.gen++
	s.cache = nil
	s.mu.Unlock()
}

const (
	personaDir = "personas"
	contactDir = "contacts"
)

// SavePersona writes a persona. A protected persona that changed since it
// was unlocked must be protected again first (ErrNeedsProtect).
func (s *Store) SavePersona(p *Persona) error {
	data, err := p.ArmoredSecretKey()
	if err != nil {
		return err
	}
	return s.changed(func() error { return s.s.Write(path.Join(personaDir, p.Fingerprint()+".asc"), data) })
}

// DeletePersona removes a persona's key.
func (s *Store) DeletePersona(fpr string) error {
	return s.changed(func() error { return s.s.Remove(path.Join(personaDir, strings.ToUpper(fpr)+".asc")) })
}

// Personas returns every stored persona, locked as stored.
func (s *Store) Personas() ([]*Persona, error) {
	names, err := s.s.List(personaDir)
	if err != nil {
		return nil, err
	}
	var out []*Persona
	for _, n := range names {
		if !strings.HasSuffix(n, ".asc") {
			continue
		}
		p, err := s.readPersona(n)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *Store) readPersona(name string) (*Persona, error) {
	data, err := s.s.Read(name)
	if err != nil {
		return nil, err
	}
	el, err := ReadKeys(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p, err := FromEntity(el[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// isFingerprint reports whether fpr is an upper-case hex fingerprint (v4 or
// v6), which names a key's file in the store.
func isFingerprint(fpr string) bool {
	return (len(fpr) == 40 || len(fpr) == 64) && strings.Trim(fpr, "0123456789ABCDEF") == ""
}

// PersonaByFingerprint reads the one persona stored under a fingerprint (hex,
// either case), locked as stored, without reading the others: ErrNotFound
// when there is none. It is Personas with one file read and one key parsed.
func (s *Store) PersonaByFingerprint(fpr string) (*Persona, error) {
	fpr = strings.ToUpper(fpr)
	if !isFingerprint(fpr) {
		return nil, fmt.Errorf("%w: no persona %s", ErrNotFound, fpr)
	}
	p, err := s.readPersona(path.Join(personaDir, fpr+".asc"))
	if errors.Is(err, fs.ErrNotExist) || err == nil && p.Fingerprint() != fpr {
		return nil, fmt.Errorf("%w: no persona %s", ErrNotFound, fpr)
	}
	return p, err
}

// Persona finds one persona by fingerprint, key ID (hex, 0x optional, long
// or short suffix of the fingerprint of at least 8 digits), email, name or
// claimed handle (site:handle or @handle).
func (s *Store) Persona(query string) (*Persona, error) {
	all, err := s.Personas()
	if err != nil {
		return nil, err
	}
	var hits []*Persona
	for _, p := range all {
		if Matches(p.entity, query) {
			hits = append(hits, p)
		}
	}
	switch len(hits) {
	case 0:
		return nil, fmt.Errorf("%w: no persona matches %q", ErrNotFound, query)
	case 1:
		return hits[0], nil
	}
	return nil, fmt.Errorf("%w: %q", ErrAmbiguous, query)
}

// Matches reports whether a key answers to a query: a fingerprint or key
// ID (hex, at least 8 digits, matched as a suffix of the fingerprint of
// the primary key or any subkey), an email, a user ID, a name, or a
// claimed handle.
func Matches(e *openpgp.Entity, query string) bool {
	q := strings.TrimSpace(query)
	if q == "" {
		return false
	}
	hexq := strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(strings.ReplaceAll(q, " ", ""), "0x"), "0X"))
	if len(hexq) >= 8 && isHex(hexq) {
		if strings.HasSuffix(Fingerprint(e), hexq) {
			return true
		}
		for _, sk := range e.Subkeys {
			if strings.HasSuffix(strings.ToUpper(fmt.Sprintf("%X", sk.PublicKey.Fingerprint)), hexq) {
				return true
			}
		}
	}
	lq := strings.ToLower(strings.Trim(q, "<>"))
	for name, id := range e.Identities {
		if strings.EqualFold(name, q) || strings.ToLower(id.UserId.Email) == lq || (id.UserId.Name != "" && strings.EqualFold(id.UserId.Name, q)) {
			return true
		}
	}
	if c, err := ParseClaim(q); err == nil {
		for _, have := range Claims(e) {
			if have.Equal(c) {
				return true
			}
		}
	}
	return false
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789ABCDEF", r) {
			return false
		}
	}
	return true
}

// AddContact stores a friend's public key. A key already known is merged:
// the newer self-signatures and any new subkeys are kept and the local
// handles are joined. Secret parts are never stored as a contact.
func (s *Store) AddContact(c *Contact) error {
	pub, err := PublicOnly(c.Key)
	if err != nil {
		return err
	}
	if _, err := pub.VerifyPrimaryKey(time.Now(), nil); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	fpr := Fingerprint(pub)
	info := c.ContactInfo
	if old, err := s.contact(fpr); err == nil {
		pub, err = Merge(old.Key, pub)
		if err != nil {
			return err
		}
		info = mergeInfo(old.ContactInfo, info)
	}
	if info.Added.IsZero() {
		info.Added = time.Now().UTC().Truncate(time.Second)
	}
	for _, cl := range Claims(pub) {
		info.Handles = addClaim(info.Handles, cl)
	}
	armored, err := ArmorPublic(pub)
	if err != nil {
		return err
	}
	meta, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return s.changed(func() error {
		if err := s.s.Write(path.Join(contactDir, fpr+".asc"), armored); err != nil {
			return err
		}
		return s.s.Write(path.Join(contactDir, fpr+".json"), meta)
	})
}

func addClaim(list []Claim, c Claim) []Claim {
	for _, have := range list {
		if have.Equal(c) {
			return list
		}
	}
	return append(list, c)
}

func mergeInfo(old, add ContactInfo) ContactInfo {
	out := old
	for _, c := range add.Handles {
		out.Handles = addClaim(out.Handles, c)
	}
	for _, c := range add.Verified {
		out.Verified = addClaim(out.Verified, c)
	}
	if out.Source == "" {
		out.Source = add.Source
	}
	if add.Note != "" {
		out.Note = add.Note
	}
	return out
}

// Merge joins two copies of the same certificate: signatures and subkeys of
// both, serialized together and read back, so the newest self-signatures win.
// It refuses two different keys. Duplicate signatures are kept as they are.
func Merge(a, b *openpgp.Entity) (*openpgp.Entity, error) {
	if Fingerprint(a) != Fingerprint(b) {
		return nil, errors.New("persona: refusing to merge two different keys")
	}
	merged := *a
	merged.Identities = map[string]*openpgp.Identity{}
	for k, v := range a.Identities {
		merged.Identities[k] = v
	}
	for k, v := range b.Identities {
		if have, ok := merged.Identities[k]; ok {
			cp := *have
			cp.SelfCertifications = append(append([]*packet.VerifiableSignature{}, have.SelfCertifications...), v.SelfCertifications...)
			cp.Revocations = append(append([]*packet.VerifiableSignature{}, have.Revocations...), v.Revocations...)
			merged.Identities[k] = &cp
		} else {
			merged.Identities[k] = v
		}
	}
	merged.Subkeys = append([]openpgp.Subkey{}, a.Subkeys...)
	for _, sb := range b.Subkeys {
		found := false
		for i, sa := range merged.Subkeys {
			if bytes.Equal(sa.PublicKey.Fingerprint, sb.PublicKey.Fingerprint) {
				found = true
				merged.Subkeys[i].Bindings = append(append([]*packet.VerifiableSignature{}, sa.Bindings...), sb.Bindings...)
				merged.Subkeys[i].Revocations = append(append([]*packet.VerifiableSignature{}, sa.Revocations...), sb.Revocations...)
			}
		}
		if !found {
			merged.Subkeys = append(merged.Subkeys, sb)
		}
	}
	merged.Revocations = append(append([]*packet.VerifiableSignature{}, a.Revocations...), b.Revocations...)
	merged.DirectSignatures = append(append([]*packet.VerifiableSignature{}, a.DirectSignatures...), b.DirectSignatures...)
	var buf bytes.Buffer
	if err := merged.Serialize(&buf); err != nil {
		return nil, err
	}
	el, err := openpgp.ReadKeyRing(&buf)
	if err != nil {
		return nil, err
	}
	return el[0], nil
}

func (s *Store) contact(fpr string) (*Contact, error) {
	data, err := s.s.Read(path.Join(contactDir, fpr+".asc"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: contact %s", ErrNotFound, fpr)
	}
	if err != nil {
		return nil, err
	}
	el, err := ReadKeys(data)
	if err != nil {
		return nil, err
	}
	c := &Contact{Key: el[0]}
	if meta, err := s.s.Read(path.Join(contactDir, fpr+".json")); err == nil {
		if err := json.Unmarshal(meta, &c.ContactInfo); err != nil {
			return nil, fmt.Errorf("persona: contact %s: %w", fpr, err)
		}
	}
	return c, nil
}

// ContactByFingerprint reads the one contact stored under a fingerprint (hex,
// either case), without reading the others: ErrNotFound when there is none.
func (s *Store) ContactByFingerprint(fpr string) (*Contact, error) {
	fpr = strings.ToUpper(fpr)
	if !isFingerprint(fpr) {
		return nil, fmt.Errorf("%w: no contact %s", ErrNotFound, fpr)
	}
	c, err := s.contact(fpr)
	if err == nil && c.Fingerprint() != fpr {
		return nil, fmt.Errorf("%w: no contact %s", ErrNotFound, fpr)
	}
	return c, err
}

// Contacts returns every stored contact.
func (s *Store) Contacts() ([]*Contact, error) {
	names, err := s.s.List(contactDir)
	if err != nil {
		return nil, err
	}
	var out []*Contact
	for _, n := range names {
		if !strings.HasSuffix(n, ".asc") {
			continue
		}
		c, err := s.contact(strings.TrimSuffix(path.Base(n), ".asc"))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Contact finds one contact by the same queries as Persona, also by a
// handle recorded locally for it.
func (s *Store) Contact(query string) (*Contact, error) {
	all, err := s.Contacts()
	if err != nil {
		return nil, err
	}
	var hits []*Contact
	for _, c := range all {
		if Matches(c.Key, query) || handleMatches(c.Handles, query) {
			hits = append(hits, c)
		}
	}
	switch len(hits) {
	case 0:
		return nil, fmt.Errorf("%w: no contact matches %q", ErrNotFound, query)
	case 1:
		return hits[0], nil
	}
	return nil, fmt.Errorf("%w: %q", ErrAmbiguous, query)
}

func handleMatches(handles []Claim, query string) bool {
	c, err := ParseClaim(query)
	if err != nil {
		return false
	}
	for _, h := range handles {
		if h.Equal(c) {
			return true
		}
	}
	return false
}

// RemoveContact forgets a contact.
func (s *Store) RemoveContact(fpr string) error {
	fpr = strings.ToUpper(fpr)
	return s.changed(func() error {
		if err := s.s.Remove(path.Join(contactDir, fpr+".asc")); err != nil {
			return err
		}
		return s.s.Remove(path.Join(contactDir, fpr+".json"))
	})
}

// Keyring returns every persona's key (as stored: locked when protected)
// and every contact's key, the set a message is decrypted and verified
// against. The keys are shared with other callers and must not be changed;
// the list is the caller's.
func (s *Store) Keyring() (openpgp.EntityList, error) {
	c, err := s.keys()
	if err != nil {
		return nil, err
	}
	return append(openpgp.EntityList(nil), c.keyring...), nil
}

// PublicKey returns the public key of the persona or contact with
// fingerprint fpr (hex, either case), without its secret parts: ErrNotFound
// when the Store has neither. The key is shared and must not be changed.
func (s *Store) PublicKey(fpr string) (*openpgp.Entity, error) {
	fpr = strings.ToUpper(fpr)
	c, err := s.keys()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	pub, ok := c.public[fpr]
	s.mu.Unlock()
	if ok {
		return pub, nil
	}
	for _, e := range c.keyring {
		if Fingerprint(e) != fpr {
			continue
		}
		if e.PrivateKey != nil {
			if e, err = PublicOnly(e); err != nil {
				return nil, err
			}
		}
		s.mu.Lock()
		c.public[fpr] = e
		s.mu.Unlock()
		return e, nil
	}
	return nil, fmt.Errorf("%w: no persona or contact %s", ErrNotFound, fpr)
}

// KnownContact returns what is known locally about the contact with
// fingerprint fpr, and whether there is one, from the keys Keyring reads.
func (s *Store) KnownContact(fpr string) (ContactInfo, bool, error) {
	c, err := s.keys()
	if err != nil {
		return ContactInfo{}, false, err
	}
	info, ok := c.contacts[strings.ToUpper(fpr)]
	return info, ok, nil
}

// keys returns the current keyCache, reading the Storage when there is none.
func (s *Store) keys() (*keyCache, error) {
	s.mu.Lock()
	c, gen := s.cache, s.gen
	s.mu.Unlock()
	if c != nil {
		return c, nil
	}
	ps, err := s.Personas()
	if err != nil {
		return nil, err
	}
	cs, err := s.Contacts()
	if err != nil {
		return nil, err
	}
	c = &keyCache{public: map[string]*openpgp.Entity{}, contacts: map[string]ContactInfo{}}
	for _, p := range ps {
		c.keyring = append(c.keyring, p.entity)
	}
	for _, ct := range cs {
		c.keyring = append(c.keyring, ct.Key)
		c.public[ct.Fingerprint()] = ct.Key
		c.contacts[ct.Fingerprint()] = ct.ContactInfo
	}
	s.mu.Lock()
	if s.gen == gen && s.cache == nil {
		s.cache = c
	}
	s.mu.Unlock()
	return c, nil
}
