package directory

import (
	"bytes"
	"testing"

	"github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"

	"github.com/veilsocial/veil/relay/api"
	"github.com/veilsocial/veil/wasmclient/persona"
)

// FuzzSubmit feeds arbitrary bytes to Submit. It must never panic, never
// fail with a server error, store nothing when it refuses, and store only
// certificates in which every signature is a valid self-signature.
func FuzzSubmit(f *testing.F) {
	alice := newPersona(f, "Alice", "alice@example.org", persona.Claim{Site: "twitter", Handle: "alice"})
	bob := newPersona(f, "Bob", "bob@example.org")
	v6, err := persona.New(persona.Options{Name: "Six", Email: "six@example.org", Profile: persona.ProfileV6})
	if err != nil {
		f.Fatal(err)
	}
	armored := publicKey(f, alice)
	var bin bytes.Buffer
	if err := alice.PublicKey(&bin); err != nil {
		f.Fatal(err)
	}
	secret, err := alice.ArmoredSecretKey()
	if err != nil {
		f.Fatal(err)
	}
	certified := newPersona(f, "Carol", "carol@example.org")
	if err := certified.Entity().SignIdentity(certified.UserID(), bob.Entity(), nil); err != nil {
		f.Fatal(err)
	}
	f.Add(armored)
	f.Add(bin.Bytes())
	f.Add(publicKey(f, v6))
	f.Add(secret)
	f.Add(serializeEntity(f, certified.Entity()))
	f.Add(append(serializeEntity(f, bob.Entity()), bin.Bytes()...))
	f.Add(dropPackets(bin.Bytes(), 2))
	f.Add([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQ==\n-----END PGP PUBLIC KEY BLOCK-----\n"))
	f.Add([]byte("garbage"))

	d, err := New(dssync.MutexWrap(datastore.NewMapDatastore()), Options{Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before, err := d.count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		res, err := d.Submit(ctx, data)
		if err != nil {
			if ae := api.FromError(err); ae.Status >= 500 {
				t.Fatalf("server error for a bad upload: %v", err)
			}
			if after, _ := d.count(ctx); after != before {
				t.Fatalf("a refused upload stored %d keys", after-before)
			}
			return
		}
		if len(res.Keys) == 0 {
			t.Fatal("success without keys")
		}
		for _, k := range res.Keys {
			checkClean(t, storedCert(t, d, k.Fingerprint))
			rec, err := d.Get(ctx, k.Fingerprint)
			if err != nil {
				t.Fatalf("stored key %s: %v", k.Fingerprint, err)
			}
			if rec.Fingerprint != k.Fingerprint {
				t.Fatalf("record %s for %s", rec.Fingerprint, k.Fingerprint)
			}
		}
	})
}
