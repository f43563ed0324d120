package envelope

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/persona"

	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

var (
	fixtureOnce             sync.Once
	alice, bob, carol, dave *openpgp.Entity
	v6a, v6b                *openpgp.Entity
)

func newKey(tb testing.TB, name string, profile persona.Profile) *openpgp.Entity {
	tb.Helper()
	p, err := persona.New(persona.Options{Name: name, Email: strings.ToLower(name) + "@example.org", Profile: profile})
	if err != nil {
		tb.Fatal(err)
	}
	return p.Entity()
}

func fixtures(tb testing.TB) {
	fixtureOnce.Do(func() {
		alice = newKey(tb, "Alice", persona.ProfileV4)
		bob = newKey(tb, "Bob", persona.ProfileV4)
		carol = newKey(tb, "Carol", persona.ProfileV4)
		dave = newKey(tb, "Dave", persona.ProfileV4)
		v6a = newKey(tb, "Six A", persona.ProfileV6)
		v6b = newKey(tb, "Six B", persona.ProfileV6)
	})
}

func public(tb testing.TB, e *openpgp.Entity) *openpgp.Entity {
	tb.Helper()
	p, err := persona.PublicOnly(e)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func sealPost(tb testing.TB, text string, author *openpgp.Entity, to []*openpgp.Entity, opts *PostOptions) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := SealPost(&buf, Post{Text: text, Site: "twitter", Handle: "alice"}, author, to, opts); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestPostRoundTrip(t *testing.T) {
	fixtures(t)
	msg := sealPost(t, "hello friends 🔒", alice, []*openpgp.Entity{public(t, bob), public(t, carol)}, nil)
	for _, reader := range []*openpgp.Entity{bob, carol, alice} {
		keyring := openpgp.EntityList{reader, public(t, alice)}
		op, err := OpenPost(bytes.NewReader(msg), &OpenOptions{Keyring: keyring})
		if err != nil {
			t.Fatalf("%s: %v", persona.UserID(reader), err)
		}
		if op.Text != "hello friends 🔒" || op.Handle != "alice" || op.Site != "twitter" {
			t.Errorf("post = %+v", op.Post)
		}
		if op.Signature.Status != SigGood || op.Signature.Fingerprint != persona.Fingerprint(alice) {
			t.Errorf("signature = %+v", op.Signature)
		}
		if op.Audience != Private || len(op.Recipients) != 3 {
			t.Errorf("audience %v, recipients %v", op.Audience, op.Recipients)
		}
	}
}

func TestNotForMe(t *testing.T) {
	fixtures(t)
	msg := sealPost(t, "secret", alice, []*openpgp.Entity{public(t, bob)}, nil)
	_, err := OpenPost(bytes.NewReader(msg), &OpenOptions{Keyring: openpgp.EntityList{carol, public(t, alice)}})
	if !errors.Is(err, ErrNotForMe) {
		t.Fatalf("err = %v, want ErrNotForMe", err)
	}
}

func TestLateRecipient(t *testing.T) {
	fixtures(t)
	msg := sealPost(t, "for bob, later carol", alice, []*openpgp.Entity{public(t, bob)}, nil)
	// Carol cannot read it yet.
	carolRing := openpgp.EntityList{carol, public(t, alice)}
	if _, err := OpenPost(bytes.NewReader(msg), &OpenOptions{Keyring: carolRing}); !errors.Is(err, ErrNotForMe) {
		t.Fatalf("before share: %v", err)
	}
	// Alice adds Carol: only key packets are made.
	share, err := AddRecipients(bytes.NewReader(msg), openpgp.EntityList{alice}, []*openpgp.Entity{public(t, carol)}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(share.Recipients) != 1 || len(share.Bytes) > 200 {
		t.Errorf("share: %d recipients, %d bytes", len(share.Recipients), len(share.Bytes))
	}
	op, err := OpenPost(bytes.NewReader(msg), &OpenOptions{Keyring: carolRing}, share.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if op.Text != "for bob, later carol" || op.Signature.Status != SigGood {
		t.Errorf("late recipient got %q, %v", op.Text, op.Signature.Status)
	}
	if len(op.Recipients) != 3 {
		t.Errorf("recipients = %v", op.Recipients)
	}
	// Bob too can add Dave (any reader can share what they can read).
	share2, err := AddRecipients(bytes.NewReader(msg), openpgp.EntityList{bob}, []*openpgp.Entity{public(t, dave)}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPost(bytes.NewReader(msg), &OpenOptions{Keyring: openpgp.EntityList{dave, public(t, alice)}}, share2.Bytes, share.Bytes); err != nil {
		t.Fatalf("hidden late recipient: %v", err)
	}
}

func TestSessionKey(t *testing.T) {
	fixtures(t)
	msg := sealPost(t, "session", alice, []*openpgp.Entity{public(t, bob)}, nil)
	op, err := OpenPost(bytes.NewReader(msg), &OpenOptions{Keyring: openpgp.EntityList{bob, public(t, alice)}, KeepSessionKey: true})
	if err != nil {
		t.Fatal(err)
	}
	if op.SessionKey == nil {
		t.Fatal("no session key kept")
	}
	parsed, err := ParseSessionKey(op.SessionKey.String())
	if err != nil {
		t.Fatal(err)
	}
	op2, err := OpenPost(bytes.NewReader(msg), &OpenOptions{Keyring: openpgp.EntityList{public(t, alice)}, SessionKey: parsed})
	if err != nil {
		t.Fatal(err)
	}
	if op2.Text != "session" || op2.Signature.Status != SigGood {
		t.Errorf("with session key: %q %v", op2.Text, op2.Signature.Status)
	}
	wrong := &SessionKey{Cipher: parsed.Cipher, Key: make([]byte, len(parsed.Key))}
	if _, err := OpenPost(bytes.NewReader(msg), &OpenOptions{SessionKey: wrong}); err == nil {
		t.Fatal("wrong session key opened the post")
	}
}

func TestHiddenRecipients(t *testing.T) {
	fixtures(t)
	msg := sealPost(t, "hidden", alice, []*openpgp.Entity{public(t, bob), public(t, carol)}, &PostOptions{Hidden: true})
	rs, err := ListRecipients(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if !r.Hidden || r.KeyID != 0 {
			t.Errorf("recipient %+v not hidden", r)
		}
	}
	op, err := OpenPost(bytes.NewReader(msg), &OpenOptions{Keyring: openpgp.EntityList{dave, carol, public(t, alice)}})
	if err != nil {
		t.Fatal(err)
	}
	if op.Text != "hidden" {
		t.Errorf("text %q", op.Text)
	}
	if _, err := OpenPost(bytes.NewReader(msg), &OpenOptions{Keyring: openpgp.EntityList{dave}}); !errors.Is(err, ErrNotForMe) {
		t.Errorf("dave: %v", err)
	}
}

func TestPublicPost(t *testing.T) {
	fixtures(t)
	msg := sealPost(t, "hello world", alice, nil, &PostOptions{Audience: Public})
	op, err := OpenPost(bytes.NewReader(msg), &OpenOptions{Keyring: openpgp.EntityList{public(t, alice)}})
	if err != nil {
		t.Fatal(err)
	}
	if op.Audience != Public || op.Signature.Status != SigGood || len(op.Recipients) != 0 {
		t.Errorf("public post: %+v", op)
	}
	// Without the author's key it still reads, but unverified.
	op, err = OpenPost(bytes.NewReader(msg), nil)
	if err != nil {
		t.Fatal(err)
	}
	if op.Signature.Status != SigUnknownSigner {
		t.Errorf("status %v", op.Signature.Status)
	}
}

func TestTamperedYieldsNoText(t *testing.T) {
	fixtures(t)
	msg := sealPost(t, strings.Repeat("tamper me ", 100), alice, []*openpgp.Entity{public(t, bob)}, nil)
	keyring := openpgp.EntityList{bob, public(t, alice)}
	for i := len(msg) - 1; i > len(msg)-400; i -= 7 {
		bad := bytes.Clone(msg)
		bad[i] ^= 0x01
		var out bytes.Buffer
		_, err := Decrypt(bytes.NewReader(bad), &out, &OpenOptions{Keyring: keyring})
		if err == nil {
			t.Fatalf("flip at %d: no error", i)
		}
		if out.Len() != 0 {
			t.Fatalf("flip at %d: %d bytes of plaintext released with %v", i, out.Len(), err)
		}
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("flip at %d: err %v is neither corrupt nor bad signature", i, err)
		}
	}
	// Truncation.
	var out bytes.Buffer
	_, err := Decrypt(bytes.NewReader(msg[:len(msg)-30]), &out, &OpenOptions{Keyring: keyring})
	if !errors.Is(err, ErrCorrupt) || out.Len() != 0 {
		t.Fatalf("truncated: err %v, %d bytes", err, out.Len())
	}
}

func TestAuthorMismatch(t *testing.T) {
	fixtures(t)
	// Bob signs a document that claims Alice wrote it.
	doc := `{"v":1,"text":"I am alice","created":"2026-01-01T00:00:00Z","author":"` + persona.Fingerprint(alice) + `"}`
	var buf bytes.Buffer
	w, err := Encrypt(&buf, []*openpgp.Entity{public(t, carol)}, bob, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, doc)
	w.Close()
	_, err = OpenPost(bytes.NewReader(buf.Bytes()), &OpenOptions{Keyring: openpgp.EntityList{carol, public(t, alice), public(t, bob)}})
	if !errors.Is(err, ErrBadSignature) {
		t.Fatalf("err = %v, want ErrBadSignature", err)
	}
}

func TestUnsupportedAndGarbage(t *testing.T) {
	fixtures(t)
	cases := map[string][]byte{
		"empty":   {},
		"text":    []byte("just some text"),
		"armor":   []byte("-----BEGIN PGP MESSAGE-----\n\nnot base64!!\n-----END PGP MESSAGE-----\n"),
		"header":  {0xc1},
		"partial": {0xc1, 0xe0},
	}
	for name, in := range cases {
		var out bytes.Buffer
		_, err := Decrypt(bytes.NewReader(in), &out, &OpenOptions{Keyring: openpgp.EntityList{bob}})
		if err == nil || out.Len() != 0 {
			t.Errorf("%s: err %v, %d bytes out", name, err, out.Len())
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: untyped error %v", name, err)
		}
	}
}

func TestV6Profile(t *testing.T) {
	fixtures(t)
	msg := sealPost(t, "aead", v6a, []*openpgp.Entity{public(t, v6b)}, nil)
	// Both keys ask for SEIPDv2.
	s, err := pgppacket.SplitMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if s.SEIPDVersion != 2 {
		t.Errorf("SEIPD version %d, want 2", s.SEIPDVersion)
	}
	op, err := OpenPost(bytes.NewReader(msg), &OpenOptions{Keyring: openpgp.EntityList{v6b, public(t, v6a)}})
	if err != nil || op.Text != "aead" {
		t.Fatalf("v6: %v", err)
	}
	share, err := AddRecipients(bytes.NewReader(msg), openpgp.EntityList{v6b}, []*openpgp.Entity{public(t, carol)}, false)
	if err != nil {
		t.Fatal(err)
	}
	op, err = OpenPost(bytes.NewReader(msg), &OpenOptions{Keyring: openpgp.EntityList{carol, public(t, v6a)}}, share.Bytes)
	if err != nil || op.Text != "aead" {
		t.Fatalf("v4 late recipient of v6 post: %v", err)
	}
	// Mixed audiences fall back to SEIPDv1 so v4 tools can read.
	mixed := sealPost(t, "mixed", v6a, []*openpgp.Entity{public(t, bob)}, nil)
	s, err = pgppacket.SplitMessage(bytes.NewReader(mixed))
	if err != nil || s.SEIPDVersion != 1 {
		t.Fatalf("mixed: version %d err %v", s.SEIPDVersion, err)
	}
}

func TestStreamingLarge(t *testing.T) {
	fixtures(t)
	data := make([]byte, 5<<20)
	rand.Read(data)
	var ct bytes.Buffer
	w, err := Encrypt(&ct, []*openpgp.Entity{public(t, bob)}, alice, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := Decrypt(bytes.NewReader(ct.Bytes()), &out, &OpenOptions{
		Keyring: openpgp.EntityList{bob, public(t, alice)}, MemLimit: 64 << 10, TempDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), data) || res.Size != int64(len(data)) {
		t.Fatal("large plaintext differs")
	}
	if _, ok := res.Verified(); !ok {
		t.Error("large message not verified")
	}
	// A cap refuses it without output.
	out.Reset()
	_, err = Decrypt(bytes.NewReader(ct.Bytes()), &out, &OpenOptions{Keyring: openpgp.EntityList{bob}, MaxSize: 1 << 20})
	if !errors.Is(err, ErrTooLarge) || out.Len() != 0 {
		t.Fatalf("cap: %v, %d bytes", err, out.Len())
	}
}

func TestLockedKey(t *testing.T) {
	p, err := persona.New(persona.Options{Name: "Locked", Passphrase: []byte("pw")})
	if err != nil {
		t.Fatal(err)
	}
	fixtures(t)
	var buf bytes.Buffer
	if _, err := Encrypt(&buf, []*openpgp.Entity{public(t, bob)}, p.Entity(), nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("sign with locked key: %v", err)
	}
	pub := public(t, p.Entity())
	w, _ := Encrypt(&buf, []*openpgp.Entity{pub}, nil, &SealOptions{Time: time.Now()})
	w.Write([]byte("x"))
	w.Close()
	if _, err := Decrypt(bytes.NewReader(buf.Bytes()), io.Discard, &OpenOptions{Keyring: openpgp.EntityList{p.Entity()}}); !errors.Is(err, ErrLocked) {
		t.Fatalf("decrypt with locked key: %v", err)
	}
}
