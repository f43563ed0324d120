package persona

import (
	"bytes"
	"crypto/sha256"
	"errors"
	mrand "math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
)

// fuzzKey makes a persona from a fixed seed, the same in every process.
func fuzzKey(tb testing.TB, name string, profile Profile, passphrase []byte) *Persona {
	tb.Helper()
	seed := sha256.Sum256([]byte("veil fuzz key " + name))
	p, err := New(Options{
		Name: name, Email: name + "@example.org", Profile: profile,
		Claims:     []Claim{{Site: SiteTwitter, Handle: name}, {Site: SiteFacebook, Handle: name + ".smith"}},
		Passphrase: passphrase,
		Time:       func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
		Rand:       mrand.NewChaCha8(seed),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// FuzzReadKeys feeds arbitrary bytes to ReadKeys, the parser for every key
// Veil is given (imports, directory answers, the store, backups). It must
// not panic, must fail with ErrInvalidKey, and whatever it accepts must be
// usable by the rest of the package.
func FuzzReadKeys(f *testing.F) {
	v4 := fuzzKey(f, "alice", ProfileV4, nil)
	v6 := fuzzKey(f, "six", ProfileV6, nil)
	// Protecting costs one S2K here, not in the fuzz loop: ReadKeys does
	// not unlock.
	locked := fuzzKey(f, "locked", ProfileV4, []byte("pw"))
	var seeds [][]byte
	for _, p := range []*Persona{v4, v6, locked} {
		pub, err := p.ArmoredPublicKey()
		if err != nil {
			f.Fatal(err)
		}
		sec, err := p.ArmoredSecretKey()
		if err != nil {
			f.Fatal(err)
		}
		var bin bytes.Buffer
		if err := p.PublicKey(&bin); err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, pub, sec, bin.Bytes())
	}
	// Two keys in one stream, and a binary secret key.
	var two bytes.Buffer
	v4.PublicKey(&two)
	v6.PublicKey(&two)
	seeds = append(seeds, two.Bytes())
	block, err := armor.Decode(bytes.NewReader(seeds[1]))
	if err != nil {
		f.Fatal(err)
	}
	var secBin bytes.Buffer
	secBin.ReadFrom(block.Body)
	seeds = append(seeds, secBin.Bytes())
	for _, s := range seeds {
		f.Add(s)
		for _, n := range []int{1, 10, len(s) / 2, len(s) - 3} {
			if n > 0 && n < len(s) {
				f.Add(bytes.Clone(s[:n]))
			}
		}
		for _, i := range []int{0, 3, 12, len(s) / 2, len(s) - 5} {
			if i >= 0 && i < len(s) {
				m := bytes.Clone(s)
				m[i] ^= 0x10
				f.Add(m)
			}
		}
	}
	f.Add([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n"))
	f.Add([]byte("-----BEGIN PGP MESSAGE-----\n\nwx4=\n-----END PGP MESSAGE-----\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		el, err := ReadKeys(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("error %v is not ErrInvalidKey", err)
			}
			if el != nil {
				t.Fatal("keys and an error")
			}
			return
		}
		if len(el) == 0 {
			t.Fatal("no keys and no error")
		}
		for _, e := range el {
			if e == nil || e.PrimaryKey == nil {
				t.Fatal("nil key")
			}
			if fp := Fingerprint(e); len(fp) != 40 && len(fp) != 64 && len(fp) != 32 {
				t.Fatalf("fingerprint %q", fp)
			}
			// What the rest of the package does with a key it read.
			UserID(e)
			Email(e)
			Claims(e)
			Matches(e, "alice@example.org")
			Matches(e, "twitter:alice")
			Matches(e, Fingerprint(e))
			if e.PrivateKey != nil {
				if p, err := FromEntity(e); err == nil {
					p.Locked()
					p.Profile()
				}
			}
			var buf bytes.Buffer
			if err := e.Serialize(&buf); err != nil {
				continue // go-crypto cannot write every key it reads
			}
			again, err := openpgp.ReadKeyRing(&buf)
			if err != nil {
				continue
			}
			if len(again) != 1 || Fingerprint(again[0]) != Fingerprint(e) {
				t.Fatalf("certificate of %s read back as %d keys", Fingerprint(e), len(again))
			}
		}
	})
}

// FuzzHandleOK checks the handle rules written out in handleOK against the
// patterns they spell.
func FuzzHandleOK(f *testing.F) {
	twitter := regexp.MustCompile(`^[A-Za-z0-9_]{1,15}$`)
	facebook := regexp.MustCompile(`^[A-Za-z0-9.]{1,50}$`)
	for _, s := range []string{"", "alice", "alice_b", "alice.b", "a234567890123456", "Zz9", "é", "al ice", strings.Repeat("a", 50), strings.Repeat("a", 51)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if got, want := handleOK(h, 15, '_'), twitter.MatchString(h); got != want {
			t.Errorf("twitter handle %q: %v, want %v", h, got, want)
		}
		if got, want := handleOK(h, 50, '.'), facebook.MatchString(h); got != want {
			t.Errorf("facebook handle %q: %v, want %v", h, got, want)
		}
	})
}
