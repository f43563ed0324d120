package persona

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

func testCID(t *testing.T, data string) cid.Cid {
	t.Helper()
	h, err := multihash.Sum([]byte(data), multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.Raw, h)
}

// rfc5869 is HKDF-SHA256 written out from RFC 5869, for one output block.
func rfc5869(ikm, salt, info []byte) []byte {
	ext := hmac.New(sha256.New, salt)
	ext.Write(ikm)
	prk := ext.Sum(nil)
	exp := hmac.New(sha256.New, prk)
	exp.Write(info)
	exp.Write([]byte{1})
	return exp.Sum(nil)
}

func TestShareKey(t *testing.T) {
	for _, prof := range []Profile{ProfileV4, ProfileV6} {
		t.Run(prof.String(), func(t *testing.T) {
			t.Parallel()
			p, err := New(Options{Name: "Alice", Profile: prof})
			if err != nil {
				t.Fatal(err)
			}
			c1, c2 := testCID(t, "post one"), testCID(t, "post two")
			k1, err := p.ShareKey(c1.String())
			if err != nil {
				t.Fatal(err)
			}
			if len(k1) != ed25519.PrivateKeySize {
				t.Fatalf("key of %d bytes", len(k1))
			}
			again, err := p.ShareKey(c1.String())
			if err != nil || !k1.Equal(again) {
				t.Errorf("same persona and CID gave another key (%v)", err)
			}
			k2, err := p.ShareKey(c2.String())
			if err != nil || k1.Equal(k2) {
				t.Errorf("two CIDs gave the same key (%v)", err)
			}
			// Another spelling of the same CID gives the same key.
			b58, err := c1.StringOfBase('z')
			if err != nil {
				t.Fatal(err)
			}
			if k, err := p.ShareKey(b58); err != nil || !k.Equal(k1) {
				t.Errorf("base58 spelling of the CID: %v", err)
			}
			// The derivation is RFC 5869 HKDF-SHA256 over the primary seed.
			ikm, err := p.primarySecret()
			if err != nil || len(ikm) != 32 {
				t.Fatalf("primary secret of %d bytes: %v", len(ikm), err)
			}
			want := ed25519.NewKeyFromSeed(rfc5869(ikm, []byte("veil share key v1"), []byte(c1.String())))
			if !k1.Equal(want) {
				t.Error("share key is not HKDF-SHA256(seed, \"veil share key v1\", cid)")
			}
			// Another persona derives another key for the same CID.
			o, err := New(Options{Name: "Mallory", Profile: prof})
			if err != nil {
				t.Fatal(err)
			}
			if k, err := o.ShareKey(c1.String()); err != nil || k.Equal(k1) {
				t.Errorf("two personas gave the same key (%v)", err)
			}

			// The key survives protecting, exporting and importing the
			// persona: what is derived later is what was given at upload.
			if err := p.Protect([]byte("pass")); err != nil {
				t.Fatal(err)
			}
			if _, err := p.ShareKey(c1.String()); !errors.Is(err, ErrLocked) {
				t.Errorf("locked persona: %v, want ErrLocked", err)
			}
			sec, err := p.ArmoredSecretKey()
			if err != nil {
				t.Fatal(err)
			}
			el, err := ReadKeys(sec)
			if err != nil {
				t.Fatal(err)
			}
			q, err := FromEntity(el[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Unlock([]byte("pass")); err != nil {
				t.Fatal(err)
			}
			if k, err := q.ShareKey(c1.String()); err != nil || !k.Equal(k1) {
				t.Errorf("share key changed after export and import (%v)", err)
			}
			if _, err := q.ShareKey("not a cid"); err == nil {
				t.Error("share key for a string that is not a CID")
			}
		})
	}
}

// TestShareKeyVector pins the derivation. Both profiles draw the primary
// key's seed first from the randomness, so both personas have the seed
// 32 × 0x07 and derive the same key. The expected public key was computed
// outside Go (Python's hmac and the cryptography package's Ed25519).
func TestShareKeyVector(t *testing.T) {
	const want = "fa47e7279fc7439d50864203845829b2887656cbb4917f356b07365f6d2dd8a1"
	for _, prof := range []Profile{ProfileV4, ProfileV6} {
		p, err := New(Options{Name: "Vector", Profile: prof, Rand: bytes.NewReader(bytes.Repeat([]byte{7}, 4096)),
			Time: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }})
		if err != nil {
			t.Fatal(err)
		}
		k, err := p.ShareKey("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
		if err != nil {
			t.Fatal(err)
		}
		seed, err := p.primarySecret()
		if err != nil || !bytes.Equal(seed, bytes.Repeat([]byte{7}, 32)) {
			t.Fatalf("%v: primary seed %x (%v)", prof, seed, err)
		}
		if got := hex.EncodeToString(k.Public().(ed25519.PublicKey)); got != want {
			t.Errorf("%v: share key %s, want %s", prof, got, want)
		}
	}
}
