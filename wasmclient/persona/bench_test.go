package persona

import (
	"testing"
)

// BenchmarkGenerate makes a persona without a passphrase: key generation
// (Ed25519 and X25519) and the self-signatures, no S2K.
func BenchmarkGenerate(b *testing.B) {
	for _, prof := range []Profile{ProfileV4, ProfileV6} {
		b.Run(prof.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := New(Options{Name: "Alice", Email: "alice@example.org", Profile: prof}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnlock is what a passphrase costs each time a persona is unlocked:
// the S2K of the profile (v4: iterated and salted SHA-256 over 65,011,712
// bytes, the most OpenPGP can express and what gpg 2.2 reads; v6: Argon2id
// with go-crypto's defaults, 3 passes, 4 lanes, 64 MiB). It runs twice, for
// the primary key and for the subkey, though both share one salt: go-crypto
// v1.5.2's s2k.Cache stores nil instead of the derived key, so it never hits.
// Parsing the stored key is outside the timed part.
func BenchmarkUnlock(b *testing.B) {
	for _, prof := range []Profile{ProfileV4, ProfileV6} {
		b.Run(prof.String(), func(b *testing.B) {
			pass := []byte("correct horse battery staple")
			p, err := New(Options{Name: "Alice", Email: "alice@example.org", Profile: prof, Passphrase: pass})
			if err != nil {
				b.Fatal(err)
			}
			stored, err := p.ArmoredSecretKey()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				el, err := ReadKeys(stored)
				if err != nil {
					b.Fatal(err)
				}
				locked, err := FromEntity(el[0])
				if err != nil {
					b.Fatal(err)
				}
				if !locked.Locked() {
					b.Fatal("stored key is not locked")
				}
				b.StartTimer()
				if err := locked.Unlock(pass); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadKeys parses an armored certificate (as a contact's key is
// read from the store or a directory) and checks its self-signatures.
func BenchmarkReadKeys(b *testing.B) {
	for _, prof := range []Profile{ProfileV4, ProfileV6} {
		b.Run(prof.String(), func(b *testing.B) {
			p, err := New(Options{Name: "Alice", Email: "alice@example.org", Profile: prof,
				Claims: []Claim{{Site: SiteTwitter, Handle: "alice"}}})
			if err != nil {
				b.Fatal(err)
			}
			armored, err := p.ArmoredPublicKey()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(armored)))
			for b.Loop() {
				el, err := ReadKeys(armored)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := el[0].VerifyPrimaryKey(p.Created(), nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
