package persona

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewProfiles(t *testing.T) {
	for _, prof := range []Profile{ProfileV4, ProfileV6} {
		t.Run(prof.String(), func(t *testing.T) {
			t.Parallel()
			p, err := New(Options{Name: "Alice", Email: "alice@example.org", Profile: prof,
				Claims: []Claim{{Site: SiteTwitter, Handle: "alice"}}})
			if err != nil {
				t.Fatal(err)
			}
			if p.Profile() != prof {
				t.Errorf("profile %v", p.Profile())
			}
			wantLen := map[Profile]int{ProfileV4: 40, ProfileV6: 64}[prof]
			if len(p.Fingerprint()) != wantLen {
				t.Errorf("fingerprint %s", p.Fingerprint())
			}
			if p.Email() != "alice@example.org" || p.Name() != "Alice" {
				t.Errorf("uid %q", p.UserID())
			}
			if cl := p.Claims(); len(cl) != 1 || cl[0].URI() != "https://twitter.com/alice" {
				t.Errorf("claims %v", cl)
			}
			// The claim survives the public export and re-import.
			pub, err := p.ArmoredPublicKey()
			if err != nil {
				t.Fatal(err)
			}
			el, err := ReadKeys(pub)
			if err != nil {
				t.Fatal(err)
			}
			if el[0].PrivateKey != nil {
				t.Error("public export carries a secret key")
			}
			if cl := Claims(el[0]); len(cl) != 1 || !cl[0].Equal(Claim{Site: SiteTwitter, Handle: "ALICE"}) {
				t.Errorf("claims after import %v", cl)
			}
		})
	}
}

func TestProtectUnlock(t *testing.T) {
	p, err := New(Options{Name: "Bob", Passphrase: []byte("correct horse")})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Locked() || !p.Protected() {
		t.Fatal("new persona with a passphrase is not locked")
	}
	if err := p.AddClaim(Claim{Site: SiteTwitter, Handle: "bob"}); !errors.Is(err, ErrLocked) {
		t.Errorf("claim on a locked key: %v", err)
	}
	if err := p.Unlock([]byte("wrong")); !errors.Is(err, ErrBadPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
	if err := p.Unlock([]byte("correct horse")); err != nil {
		t.Fatal(err)
	}
	// An unlocked protected key exports in its protected form.
	sec, err := p.ArmoredSecretKey()
	if err != nil {
		t.Fatal(err)
	}
	el, err := ReadKeys(sec)
	if err != nil {
		t.Fatal(err)
	}
	if !el[0].PrivateKey.Encrypted {
		t.Fatal("unlocked persona exported its secret key in the clear")
	}
	// A change must be protected again before export.
	if err := p.AddClaim(Claim{Site: SiteFacebook, Handle: "bob.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ArmoredSecretKey(); !errors.Is(err, ErrNeedsProtect) {
		t.Fatalf("export after change: %v", err)
	}
	if err := p.Protect([]byte("new words")); err != nil {
		t.Fatal(err)
	}
	sec, err = p.ArmoredSecretKey()
	if err != nil {
		t.Fatal(err)
	}
	el, _ = ReadKeys(sec)
	q, err := FromEntity(el[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Unlock([]byte("new words")); err != nil {
		t.Fatal(err)
	}
	if cl := q.Claims(); len(cl) != 1 || cl[0].Site != SiteFacebook {
		t.Errorf("claims %v", cl)
	}
}

func TestClaimsAndWallet(t *testing.T) {
	p, err := New(Options{Email: "carol@example.org", Claims: []Claim{{Site: SiteTwitter, Handle: "carol"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AddClaim(Claim{Site: SiteTwitter, Handle: "Carol"}); err != nil {
		t.Fatal(err)
	}
	if n := len(p.Claims()); n != 1 {
		t.Errorf("duplicate claim added: %d", n)
	}
	b := WalletBinding{Account: "eip155:1337:0x00000000000000000000000000000000000000aa", Signature: []byte{1, 2, 3}}
	if err := p.SetWallet(b); err != nil {
		t.Fatal(err)
	}
	got, ok := p.Wallet()
	if !ok || got.Account != b.Account || !bytes.Equal(got.Signature, b.Signature) {
		t.Errorf("wallet %+v", got)
	}
	if err := p.RemoveClaim(Claim{Site: SiteTwitter, Handle: "carol"}); err != nil {
		t.Fatal(err)
	}
	if len(p.Claims()) != 0 {
		t.Error("claim not removed")
	}
	if _, ok := p.Wallet(); !ok {
		t.Error("removing a claim dropped the wallet binding")
	}
	if err := p.RemoveClaim(Claim{Site: SiteTwitter, Handle: "carol"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing a missing claim: %v", err)
	}
}

func TestParseClaim(t *testing.T) {
	good := map[string]Claim{
		"twitter:alice":                    {SiteTwitter, "alice"},
		"x:alice":                          {SiteTwitter, "alice"},
		"@alice_1":                         {SiteTwitter, "alice_1"},
		"https://x.com/alice":              {SiteTwitter, "alice"},
		"https://twitter.com/alice/":       {SiteTwitter, "alice"},
		"facebook:alice.smith":             {SiteFacebook, "alice.smith"},
		"https://www.facebook.com/alice.s": {SiteFacebook, "alice.s"},
	}
	for in, want := range good {
		got, err := ParseClaim(in)
		if err != nil || got != want {
			t.Errorf("ParseClaim(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "alice", "twitter:", "twitter:this_handle_is_too_long", "myspace:tom", "https://example.com/alice", "twitter:a/b"} {
		if _, err := ParseClaim(in); !errors.Is(err, ErrBadClaim) {
			t.Errorf("ParseClaim(%q): %v", in, err)
		}
	}
}

func TestStoreAndBackup(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	ds, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := NewStore(ds)
	alice, _ := New(Options{Name: "Alice", Email: "alice@example.org", Passphrase: []byte("a"), Claims: []Claim{{SiteTwitter, "alice"}}})
	work, _ := New(Options{Name: "Alice Work", Email: "alice@work.example", Profile: ProfileV6})
	bob, _ := New(Options{Name: "Bob", Email: "bob@example.org"})
	for _, p := range []*Persona{alice, work} {
		if err := st.SavePersona(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddContact(&Contact{Key: bob.Entity(), ContactInfo: ContactInfo{Handles: []Claim{{SiteTwitter, "bobby"}}, Source: "import"}}); err != nil {
		t.Fatal(err)
	}
	// Contacts never keep secret keys.
	raw, err := os.ReadFile(filepath.Join(dir, "contacts", bob.Fingerprint()+".asc"))
	if err != nil || strings.Contains(string(raw), "PRIVATE KEY") {
		t.Fatalf("contact file: %v %q", err, raw[:40])
	}
	for _, q := range []string{"alice@example.org", "Alice", "twitter:alice", "@alice", alice.Fingerprint(), alice.Fingerprint()[24:], "0x" + alice.Fingerprint()[24:]} {
		p, err := st.Persona(q)
		if err != nil || p.Fingerprint() != alice.Fingerprint() {
			t.Errorf("Persona(%q) = %v", q, err)
		}
	}
	if _, err := st.Persona("nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing persona: %v", err)
	}
	if c, err := st.Contact("twitter:bobby"); err != nil || c.Fingerprint() != bob.Fingerprint() {
		t.Errorf("contact by local handle: %v", err)
	}
	// By fingerprint, one file is read.
	for _, want := range []*Persona{alice, work} {
		p, err := st.PersonaByFingerprint(strings.ToLower(want.Fingerprint()))
		if err != nil || p.Fingerprint() != want.Fingerprint() || p.Locked() != want.Protected() {
			t.Errorf("PersonaByFingerprint(%s) = %v, %v", want.Fingerprint(), p, err)
		}
	}
	if c, err := st.ContactByFingerprint(strings.ToLower(bob.Fingerprint())); err != nil || c.Fingerprint() != bob.Fingerprint() ||
		len(c.Handles) != 1 || c.Source != "import" {
		t.Errorf("ContactByFingerprint = %+v, %v", c, err)
	}
	for _, fpr := range []string{bob.Fingerprint(), alice.Fingerprint()[:39], "../" + alice.Fingerprint()[3:], ""} {
		if _, err := st.PersonaByFingerprint(fpr); !errors.Is(err, ErrNotFound) {
			t.Errorf("PersonaByFingerprint(%q): %v", fpr, err)
		}
	}
	for _, fpr := range []string{alice.Fingerprint(), "../personas/" + alice.Fingerprint()[12:]} {
		if _, err := st.ContactByFingerprint(fpr); !errors.Is(err, ErrNotFound) {
			t.Errorf("ContactByFingerprint(%q): %v", fpr, err)
		}
	}
	// A file must hold the key it is named for.
	misnamed, _ := os.ReadFile(filepath.Join(dir, "personas", work.Fingerprint()+".asc"))
	fake := strings.Repeat("A", 40)
	if err := ds.Write("personas/"+fake+".asc", misnamed); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PersonaByFingerprint(fake); !errors.Is(err, ErrNotFound) {
		t.Errorf("a persona under another key's name: %v", err)
	}
	if err := ds.Remove("personas/" + fake + ".asc"); err != nil {
		t.Fatal(err)
	}
	// Files are private.
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if info.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, info.Mode().Perm(), want)
		}
		return nil
	})

	var backup bytes.Buffer
	if err := st.Backup(&backup, []byte("backup pass")); err != nil {
		t.Fatal(err)
	}
	fresh := NewStore(NewMemStorage())
	if _, err := fresh.Restore(bytes.NewReader(backup.Bytes()), []byte("nope"), nil); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("wrong backup passphrase: %v", err)
	}
	if ps, _ := fresh.Personas(); len(ps) != 0 {
		t.Fatal("a failed restore wrote personas")
	}
	// Now and then a wrong passphrase gets past the key check: it must
	// still be reported as a wrong passphrase.
	for i := range 20 {
		if _, err := fresh.Restore(bytes.NewReader(backup.Bytes()), []byte(fmt.Sprintf("wrong %d", i)), nil); !errors.Is(err, ErrBadPassphrase) {
			t.Fatalf("wrong passphrase %d: %v", i, err)
		}
	}
	rep, err := fresh.Restore(bytes.NewReader(backup.Bytes()), []byte("backup pass"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Personas != 2 || rep.Contacts != 1 {
		t.Errorf("restored %+v", rep)
	}
	ra, err := fresh.Persona("alice@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if !ra.Locked() || len(ra.Claims()) != 1 {
		t.Errorf("restored alice: locked %v claims %v", ra.Locked(), ra.Claims())
	}
	if err := ra.Unlock([]byte("a")); err != nil {
		t.Errorf("restored alice does not unlock: %v", err)
	}
	if rw, err := fresh.Persona("alice@work.example"); err != nil || rw.Profile() != ProfileV6 {
		t.Errorf("restored v6 persona: %v", err)
	}
	c, err := fresh.Contact("bob@example.org")
	if err != nil || len(c.Handles) != 1 || c.Handles[0].Handle != "bobby" {
		t.Errorf("restored contact: %v %+v", err, c)
	}
	// A corrupted backup restores nothing.
	bad := bytes.Clone(backup.Bytes())
	bad[len(bad)/2] ^= 'A' ^ 'B'
	if _, err := NewStore(NewMemStorage()).Restore(bytes.NewReader(bad), []byte("backup pass"), nil); err == nil {
		t.Error("corrupted backup restored")
	}
}

func TestContactMerge(t *testing.T) {
	st := NewStore(NewMemStorage())
	p, _ := New(Options{Name: "Dana", Email: "dana@example.org"})
	old, _ := PublicOnly(p.Entity())
	if err := st.AddContact(&Contact{Key: old, ContactInfo: ContactInfo{Handles: []Claim{{SiteTwitter, "dana"}}}}); err != nil {
		t.Fatal(err)
	}
	// Dana adds a claim; the updated key merges into the contact.
	if err := p.AddClaim(Claim{SiteFacebook, "dana.d"}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddContact(&Contact{Key: p.Entity()}); err != nil {
		t.Fatal(err)
	}
	c, err := st.Contact("dana@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if cl := Claims(c.Key); len(cl) != 1 || cl[0].Site != SiteFacebook {
		t.Errorf("merged key claims %v", cl)
	}
	if len(c.Handles) != 2 {
		t.Errorf("merged handles %v", c.Handles)
	}
	// Another key cannot replace it.
	other, _ := New(Options{Name: "Dana", Email: "dana@example.org"})
	if err := st.AddContact(&Contact{Key: other.Entity()}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Contact("dana@example.org"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("two keys with one email: %v", err)
	}
}

func TestReadKeysRejectsGarbage(t *testing.T) {
	for _, in := range []string{"", "hello", "-----BEGIN PGP MESSAGE-----\n\n-----END PGP MESSAGE-----\n", "\x99\x00"} {
		if _, err := ReadKeys([]byte(in)); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ReadKeys(%q): %v", in, err)
		}
	}
}

func TestProfileProves(t *testing.T) {
	fpr := "3F1E0C6B2A9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F"
	long := strings.Repeat("AB", 32)
	for _, tc := range []struct {
		profile, fpr string
		want         bool
	}{
		{"crypto nerd. openpgp4fpr:" + strings.ToLower(fpr), fpr, true},
		{"OPENPGP4FPR:" + fpr + "\nmore", strings.ToLower(fpr), true},
		{"key: openpgp4fpr:" + fpr + ".", fpr, true},
		{"openpgp4fpr:" + fpr + "0 and openpgp4fpr:" + fpr, fpr, true},
		{"openpgp4fpr:" + fpr + "0", fpr, false},
		{"openpgp4fpr:" + fpr[:39], fpr[:39], false},
		{"openpgp4fpr:" + fpr[1:], fpr, false},
		{fpr, fpr, false},
		{"openpgp4fpr:" + long, long, true},
		{"openpgp4fpr:" + long, long[:40], false},
		{"openpgp4fpr:", "", false},
		{"openpgp4fpr:" + strings.Repeat("G", 40), strings.Repeat("G", 40), false},
	} {
		if got := ProfileProves(tc.profile, tc.fpr); got != tc.want {
			t.Errorf("ProfileProves(%q, %q) = %v, want %v", tc.profile, tc.fpr, got, tc.want)
		}
	}
}

// The Store keeps the keys it parsed until it writes: what it hands out
// follows every change made through it, and a protected persona's key in
// the keyring stays locked whatever a caller does with its own Persona.
func TestStoreKeyCache(t *testing.T) {
	st := NewStore(NewMemStorage())
	alice, _ := New(Options{Name: "Alice", Passphrase: []byte("a")})
	bob, _ := New(Options{Name: "Bob"})
	carol, _ := New(Options{Name: "Carol"})
	if err := st.SavePersona(alice); err != nil {
		t.Fatal(err)
	}
	kr, err := st.Keyring()
	if err != nil || len(kr) != 1 {
		t.Fatalf("keyring: %d keys, %v", len(kr), err)
	}
	kr[0] = nil // the list is the caller's
	if _, err := st.PublicKey(bob.Fingerprint()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
	gen := st.Generation()
	for _, p := range []*Persona{bob, carol} {
		if err := st.AddContact(&Contact{Key: p.Entity(), ContactInfo: ContactInfo{Source: "import"}}); err != nil {
			t.Fatal(err)
		}
	}
	if st.Generation() == gen {
		t.Fatal("adding contacts left the generation as it was")
	}
	kr, err = st.Keyring()
	if err != nil || len(kr) != 3 || kr[0] == nil {
		t.Fatalf("keyring after adding contacts: %d keys, %v", len(kr), err)
	}
	pub, err := st.PublicKey(strings.ToLower(alice.Fingerprint()))
	if err != nil || pub.PrivateKey != nil || Fingerprint(pub) != alice.Fingerprint() {
		t.Fatalf("persona's public key: %v", err)
	}
	if again, _ := st.PublicKey(alice.Fingerprint()); again != pub {
		t.Error("the public key was parsed again with nothing changed")
	}
	if info, ok, err := st.KnownContact(bob.Fingerprint()); err != nil || !ok || info.Source != "import" {
		t.Errorf("known contact: %+v %v %v", info, ok, err)
	}
	// Unlocking a persona read from the store leaves the keyring's copy locked.
	p, err := st.PersonaByFingerprint(alice.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Unlock([]byte("a")); err != nil {
		t.Fatal(err)
	}
	kr, _ = st.Keyring()
	if !kr[0].PrivateKey.Encrypted {
		t.Error("the keyring's persona key is unlocked")
	}
	if err := st.RemoveContact(bob.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PublicKey(bob.Fingerprint()); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed contact still found: %v", err)
	}
	if _, ok, _ := st.KnownContact(bob.Fingerprint()); ok {
		t.Error("removed contact still known")
	}
	if kr, _ := st.Keyring(); len(kr) != 2 {
		t.Errorf("keyring after removing a contact: %d keys", len(kr))
	}
}
