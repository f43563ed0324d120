package federation

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multihash"

	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

// signer is an origin for hand-made entries.
type signer struct {
	key crypto.PrivKey
	id  peer.ID
}

func newSigner(t testing.TB) signer {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return signer{k, id}
}

// post is a valid announcement body of s.
func (s signer) post(seq uint64, c cid.Cid) *body {
	return &body{Origin: s.id.String(), Seq: seq, Kind: kindPost, Time: 1_700_000_000_000, CID: c.String(),
		Recipients: []string{"0123456789ABCDEF"}, Size: 42, Addrs: []string{"/ip4/127.0.0.1/tcp/4001"}}
}

func (s signer) keyRecord(seq uint64, key []byte) *body {
	return &body{Origin: s.id.String(), Seq: seq, Kind: kindKey, Time: 1_700_000_000_000, Key: key}
}

func (s signer) encode(t testing.TB, b *body) []byte {
	t.Helper()
	data, err := encodeEntry(s.key, b)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// signRaw signs arbitrary body bytes.
func (s signer) signRaw(t testing.TB, js []byte) []byte {
	t.Helper()
	sig, err := s.key.Sign(signedBytes(js))
	if err != nil {
		t.Fatal(err)
	}
	return append(append([]byte{entryVersion}, sig...), js...)
}

func dearmorKey(t testing.TB, armored []byte) []byte {
	t.Helper()
	block, err := armor.Decode(bytes.NewReader(armored))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := io.ReadAll(block.Body)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// forgeSignatures flips a bit at the end of every signature packet: the
// key still parses but no self-signature verifies.
func forgeSignatures(t testing.TB, bin []byte) []byte {
	t.Helper()
	out := bytes.Clone(bin)
	for rest := out; len(rest) > 0; {
		tag, next, ok := pgppacket.Next(rest)
		if !ok {
			t.Fatal("bad framing")
		}
		if tag == 2 {
			pkt := rest[:len(rest)-len(next)]
			pkt[len(pkt)-1] ^= 0x01
		}
		rest = next
	}
	return out
}

// invalidEntries are entries every node must reject, by topic kind.
func invalidEntries(t testing.TB) []struct {
	name, kind string
	data       []byte
	want       error
} {
	s, other := newSigner(t), newSigner(t)
	good := testCID(t, "good")
	cbor := cid.NewCidV1(cid.DagCBOR, good.Hash())
	sha1, err := multihash.Sum([]byte("x"), multihash.SHA1, -1)
	if err != nil {
		t.Fatal(err)
	}
	p, pub := newKey(t, "eve")
	sec, err := p.ArmoredSecretKey()
	if err != nil {
		t.Fatal(err)
	}
	_, pub2 := newKey(t, "frank")

	with := func(f func(b *body)) []byte {
		b := s.post(1, good)
		f(b)
		return s.encode(t, b)
	}
	canonical, err := json.Marshal(s.post(1, good))
	if err != nil {
		t.Fatal(err)
	}
	tooMany := make([]string, MaxRecipients+1)
	for i := range tooMany {
		tooMany[i] = strings.Repeat("0", 12) + strings.ToUpper(string("0123456789ABCDEF"[i%16])) + "ABC"
	}
	return []struct {
		name, kind string
		data       []byte
		want       error
	}{
		{"garbage", kindPost, []byte("hello, relay"), ErrMalformed},
		{"empty", kindPost, nil, ErrMalformed},
		{"version 2", kindPost, append([]byte{2}, s.encode(t, s.post(1, good))[1:]...), ErrMalformed},
		{"oversized announcement", kindPost, append(s.encode(t, s.post(1, good)), make([]byte, MaxAnnouncementSize)...), ErrTooLarge},
		{"not a CID", kindPost, with(func(b *body) { b.CID = "bafy-not-a-cid" }), ErrBadCID},
		{"CIDv0", kindPost, with(func(b *body) { b.CID = cid.NewCidV0(good.Hash()).String() }), ErrBadCID},
		{"dag-cbor CID", kindPost, with(func(b *body) { b.CID = cbor.String() }), ErrBadCID},
		{"sha1 CID", kindPost, with(func(b *body) { b.CID = cid.NewCidV1(cid.Raw, sha1).String() }), ErrBadCID},
		{"CID in base58", kindPost, with(func(b *body) { b.CID, _ = good.StringOfBase('z') }), ErrBadCID},
		{"too many recipients", kindPost, with(func(b *body) { b.Recipients = tooMany }), ErrRecipients},
		{"lower-case key ID", kindPost, with(func(b *body) { b.Recipients = []string{"0123456789abcdef"} }), ErrRecipients},
		{"short key ID", kindPost, with(func(b *body) { b.Recipients = []string{"0123"} }), ErrRecipients},
		{"key ID twice", kindPost, with(func(b *body) { b.Recipients = []string{"0123456789ABCDEF", "0123456789ABCDEF"} }), ErrRecipients},
		{"negative size", kindPost, with(func(b *body) { b.Size = -1 }), ErrMalformed},
		{"no seq", kindPost, with(func(b *body) { b.Seq = 0 }), ErrMalformed},
		{"no time", kindPost, with(func(b *body) { b.Time = 0 }), ErrMalformed},
		{"address with /p2p", kindPost, with(func(b *body) { b.Addrs = []string{"/ip4/1.2.3.4/tcp/1/p2p/" + s.id.String()} }), ErrMalformed},
		{"bad address", kindPost, with(func(b *body) { b.Addrs = []string{"/ip4/999.1.1.1/tcp/1"} }), ErrMalformed},
		{"too many addresses", kindPost, with(func(b *body) {
			b.Addrs = strings.Split(strings.Repeat("/ip4/1.2.3.4/tcp/1,", maxAddrs+1), ",")[:maxAddrs+1]
		}), ErrMalformed},
		{"unknown kind", kindPost, with(func(b *body) { b.Kind = "poll" }), ErrMalformed},
		{"key in an announcement", kindPost, with(func(b *body) { b.Key = pub }), ErrMalformed},
		{"key record on the announce topic", kindPost, s.encode(t, s.keyRecord(1, pub)), ErrMalformed},
		{"announcement on the keys topic", kindKey, s.encode(t, s.post(1, good)), ErrMalformed},
		{"unknown field", kindPost, s.signRaw(t, append(bytes.TrimSuffix(canonical, []byte("}")), []byte(`,"extra":1}`)...)), ErrMalformed},
		{"white space", kindPost, s.signRaw(t, append([]byte(" "), canonical...)), ErrMalformed},
		{"duplicate field", kindPost, s.signRaw(t, append(bytes.TrimSuffix(canonical, []byte("}")), []byte(`,"seq":2}`)...)), ErrMalformed},
		{"trailing data", kindPost, s.signRaw(t, append(bytes.Clone(canonical), []byte(`{}`)...)), ErrMalformed},
		{"signed by another key", kindPost, other.signRaw(t, canonical), ErrSignature},
		{"signature flipped", kindPost, func() []byte { d := s.encode(t, s.post(1, good)); d[5] ^= 1; return d }(), ErrSignature},
		{"origin not a peer ID", kindPost, with(func(b *body) { b.Origin = "alice" }), ErrMalformed},
		{"key without valid self-signature", kindKey, s.encode(t, s.keyRecord(1, forgeSignatures(t, dearmorKey(t, pub)))), ErrBadKey},
		{"secret key", kindKey, s.encode(t, s.keyRecord(1, sec)), ErrBadKey},
		{"secret key, binary", kindKey, s.encode(t, s.keyRecord(1, dearmorKey(t, sec))), ErrBadKey},
		{"two keys", kindKey, s.encode(t, s.keyRecord(1, append(dearmorKey(t, pub), dearmorKey(t, pub2)...))), ErrBadKey},
		{"not a key", kindKey, s.encode(t, s.keyRecord(1, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxx\n-----END PGP PUBLIC KEY BLOCK-----\n"))), ErrBadKey},
		{"no key", kindKey, s.encode(t, s.keyRecord(1, nil)), ErrBadKey},
		{"oversized key", kindKey, s.signRaw(t, func() []byte {
			js, _ := json.Marshal(s.keyRecord(1, make([]byte, MaxKeySize+1)))
			return js
		}()), ErrTooLarge},
	}
}

func TestDecodeEntryRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range invalidEntries(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := decodeEntry(tc.data, tc.kind)
			if err == nil {
				t.Fatalf("accepted: %+v", e)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDecodeEntryAccepts(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	c := testCID(t, "post")
	e, err := decodeEntry(s.encode(t, s.post(7, c)), kindPost)
	if err != nil {
		t.Fatal(err)
	}
	if e.origin != s.id || e.seq != 7 || !e.cid.Equals(c) || e.size != 42 || len(e.recipients) != 1 ||
		e.recipients[0] != 0x0123456789ABCDEF || e.time.UnixMilli() != 1_700_000_000_000 || len(e.addrs) != 1 {
		t.Errorf("decoded %+v", e)
	}
	// Hidden recipients (key ID 0) may repeat.
	b := s.post(8, c)
	b.Recipients = []string{"0000000000000000", "0000000000000000"}
	if _, err := decodeEntry(s.encode(t, b), kindPost); err != nil {
		t.Errorf("hidden recipients: %v", err)
	}

	p, pub := newKey(t, "grace")
	for name, key := range map[string][]byte{"armored": pub, "binary": dearmorKey(t, pub)} {
		e, err := decodeEntry(s.encode(t, s.keyRecord(9, key)), kindKey)
		if err != nil {
			t.Errorf("%s key: %v", name, err)
		} else if !bytes.Equal(e.key, key) {
			t.Errorf("%s key: bytes changed", name)
		}
	}
	// A revoked key is news: it passes.
	if err := p.Entity().Revoke(0, "retired", nil); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.Entity().Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := decodeEntry(s.encode(t, s.keyRecord(10, buf.Bytes())), kindKey); err != nil {
		t.Errorf("revoked key: %v", err)
	}
}

func TestRecipientsRoundTrip(t *testing.T) {
	t.Parallel()
	ids := []uint64{0, 1, 0xFFFFFFFFFFFFFFFF, 0x0123456789ABCDEF}
	got, err := parseRecipients(formatRecipients(ids[1:]))
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids[1:] {
		if got[i] != id {
			t.Errorf("key ID %x came back as %x", id, got[i])
		}
	}
	if s := formatRecipients([]uint64{0x0123456789ABCDEF})[0]; s != "0123456789ABCDEF" {
		t.Errorf("formatted as %q", s)
	}
}

// FuzzDecodeEntry checks that decoding never panics, and that whatever it
// accepts is in canonical form: it encodes back to the same bytes.
func FuzzDecodeEntry(f *testing.F) {
	s := newSigner(f)
	f.Add(s.encode(f, s.post(1, testCID(f, "seed"))), false)
	_, pub := newKey(f, "seed")
	f.Add(s.encode(f, s.keyRecord(2, pub)), true)
	for _, tc := range invalidEntries(f) {
		f.Add(tc.data, tc.kind == kindKey)
	}
	f.Fuzz(func(t *testing.T, data []byte, key bool) {
		kind := kindPost
		if key {
			kind = kindKey
		}
		e, err := decodeEntry(data, kind)
		if err != nil {
			return
		}
		if e.kind != kind || e.seq == 0 || !bytes.Equal(e.raw, data) {
			t.Fatalf("accepted a bad entry: %+v", e)
		}
		var b body
		if err := json.Unmarshal(data[65:], &b); err != nil {
			t.Fatal(err)
		}
		again, err := json.Marshal(&b)
		if err != nil || !bytes.Equal(again, data[65:]) {
			t.Fatal("accepted a body that is not canonical")
		}
	})
}
