package envelope

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"testing"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/persona"
)

// The benchmarks measure the client core as the extension and the command
// line use it: keys are generated once, unlocked, outside the timed loop
// (unlocking with a passphrase is persona.BenchmarkUnlock), and each
// iteration does one whole operation on in-memory buffers. Targets are in
// docs/BENCHMARKS.md.

const (
	postSize  = 1 << 10 // a post's text
	largeSize = 1 << 20 // a large attachment
)

var (
	crowdOnce sync.Once
	crowd     []*openpgp.Entity // public keys of 100 other people
)

// benchCrowd returns n distinct recipients' public keys (v4, the default
// profile), generated once per process.
func benchCrowd(b *testing.B, n int) []*openpgp.Entity {
	b.Helper()
	crowdOnce.Do(func() {
		for i := range 100 {
			crowd = append(crowd, public(b, newKey(b, fmt.Sprintf("Reader %03d", i), persona.ProfileV4)))
		}
	})
	if n > len(crowd) {
		b.Fatalf("only %d recipients in the crowd", len(crowd))
	}
	return crowd[:n]
}

func benchPost() Post {
	return Post{Text: strings.Repeat("x", postSize), Site: "twitter", Handle: "alice"}
}

// BenchmarkSealPost encrypts and signs a 1 KiB post to N recipients plus the
// author: one key packet per recipient (an X25519 key agreement each), one
// Ed25519 signature, the JSON document and the data packet.
func BenchmarkSealPost(b *testing.B) {
	fixtures(b)
	for _, n := range []int{1, 10, 100} {
		to := benchCrowd(b, n)
		b.Run(fmt.Sprintf("1KiB/to=%d", n), func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			b.SetBytes(postSize)
			for b.Loop() {
				buf.Reset()
				if err := SealPost(&buf, benchPost(), alice, to, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// The RFC 9580 profile: every recipient asks for AEAD, so the data
	// packet is SEIPDv2 (AES-256-OCB) and the key packets are v6.
	b.Run("1KiB/to=1/v6", func(b *testing.B) {
		to := []*openpgp.Entity{public(b, v6b)}
		var buf bytes.Buffer
		b.ReportAllocs()
		b.SetBytes(postSize)
		for b.Loop() {
			buf.Reset()
			if err := SealPost(&buf, benchPost(), v6a, to, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpenPost decrypts and verifies a 1 KiB post as a recipient who
// has the author's public key: one X25519 key agreement, the data packet
// with its integrity check, one Ed25519 verification, the JSON document.
func BenchmarkOpenPost(b *testing.B) {
	fixtures(b)
	keyring := openpgp.EntityList{bob, public(b, alice)}
	cases := []struct {
		name    string
		msg     []byte
		keyring openpgp.EntityList
	}{
		{"1KiB", sealPost(b, strings.Repeat("x", postSize), alice, []*openpgp.Entity{public(b, bob)}, nil), keyring},
		// Ten recipients: the reader's key packet is found by key ID.
		{"1KiB/to=10", sealPost(b, strings.Repeat("x", postSize), alice, append(benchCrowd(b, 9), public(b, bob)), nil), keyring},
		// Hidden recipients: the reader tries every key packet in turn
		// (the reader's is the last of ten here, the worst case).
		{"1KiB/to=10/hidden", sealPost(b, strings.Repeat("x", postSize), alice, append(benchCrowd(b, 9), public(b, bob)), &PostOptions{Hidden: true}), keyring},
		{"1KiB/public", sealPost(b, strings.Repeat("x", postSize), alice, nil, &PostOptions{Audience: Public}), keyring},
		{"1KiB/v6", sealPost(b, strings.Repeat("x", postSize), v6a, []*openpgp.Entity{public(b, v6b)}, nil), openpgp.EntityList{v6b, public(b, v6a)}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			opts := &OpenOptions{Keyring: c.keyring}
			if _, err := OpenPost(bytes.NewReader(c.msg), opts); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(postSize)
			for b.Loop() {
				op, err := OpenPost(bytes.NewReader(c.msg), opts)
				if err != nil {
					b.Fatal(err)
				}
				if op.Signature.Status != SigGood {
					b.Fatalf("signature %v", op.Signature.Status)
				}
			}
		})
	}
}

// BenchmarkAddRecipients makes a share for N new recipients of a post the
// sharer can read: the session key is recovered from the sharer's key packet
// (one X25519 key agreement), then wrapped to each new recipient. The cached
// variants start from a session key kept when the post was opened
// (OpenOptions.KeepSessionKey) and only call NewShare.
func BenchmarkAddRecipients(b *testing.B) {
	fixtures(b)
	msg := sealPost(b, strings.Repeat("x", postSize), alice, []*openpgp.Entity{public(b, bob)}, nil)
	sharer := openpgp.EntityList{bob}
	sk, err := RecoverSessionKey(bytes.NewReader(msg), sharer)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 10} {
		to := benchCrowd(b, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				share, err := AddRecipients(bytes.NewReader(msg), sharer, to, false)
				if err != nil {
					b.Fatal(err)
				}
				if len(share.Recipients) != n {
					b.Fatalf("%d recipients", len(share.Recipients))
				}
			}
		})
	}
	for _, n := range []int{1, 10} {
		to := benchCrowd(b, n)
		b.Run(fmt.Sprintf("cached/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				share, err := NewShare(sk, to, false)
				if err != nil {
					b.Fatal(err)
				}
				if len(share.Recipients) != n {
					b.Fatalf("%d recipients", len(share.Recipients))
				}
			}
		})
	}
}

func randomBytes(b *testing.B, n int) []byte {
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkEncrypt streams 1 MiB through Encrypt to one recipient: the
// default profile's SEIPDv1 (AES-256-CFB with a SHA-1 MDC), without and with
// a signature (SHA-256 over the data, one Ed25519 signature), and the v6
// profile's SEIPDv2 (AES-256-OCB). No compression.
func BenchmarkEncrypt(b *testing.B) {
	fixtures(b)
	data := randomBytes(b, largeSize)
	cases := []struct {
		name   string
		to     *openpgp.Entity
		signer *openpgp.Entity
		chunk  int // size of each Write; 0 writes the 1 MiB at once
	}{
		{"1MiB", public(b, bob), nil, 0},
		{"1MiB/sign", public(b, bob), alice, 0},
		// As io.Copy from a file writes: 32 KiB at a time.
		{"1MiB/sign/32KiB-writes", public(b, bob), alice, 32 << 10},
		{"1MiB/v6", public(b, v6b), nil, 0},
		{"1MiB/v6/sign", public(b, v6b), v6a, 0},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var buf bytes.Buffer
			buf.Grow(largeSize + 4096)
			b.ReportAllocs()
			b.SetBytes(largeSize)
			for b.Loop() {
				buf.Reset()
				w, err := Encrypt(&buf, []*openpgp.Entity{c.to}, c.signer, nil)
				if err != nil {
					b.Fatal(err)
				}
				chunk := c.chunk
				if chunk == 0 {
					chunk = len(data)
				}
				for p := data; len(p) > 0; p = p[min(chunk, len(p)):] {
					if _, err := w.Write(p[:min(chunk, len(p))]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecrypt decrypts 1 MiB and checks its integrity (and signature),
// holding the plaintext in memory until it is authenticated, as Decrypt
// always does.
func BenchmarkDecrypt(b *testing.B) {
	fixtures(b)
	data := randomBytes(b, largeSize)
	encrypt := func(to, signer *openpgp.Entity) []byte {
		var buf bytes.Buffer
		w, err := Encrypt(&buf, []*openpgp.Entity{public(b, to)}, signer, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		return buf.Bytes()
	}
	cases := []struct {
		name    string
		msg     []byte
		keyring openpgp.EntityList
		signed  bool
	}{
		{"1MiB", encrypt(bob, nil), openpgp.EntityList{bob}, false},
		{"1MiB/verify", encrypt(bob, alice), openpgp.EntityList{bob, public(b, alice)}, true},
		{"1MiB/v6", encrypt(v6b, nil), openpgp.EntityList{v6b}, false},
		{"1MiB/v6/verify", encrypt(v6b, v6a), openpgp.EntityList{v6b, public(b, v6a)}, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			opts := &OpenOptions{Keyring: c.keyring}
			var out bytes.Buffer
			out.Grow(largeSize)
			b.ReportAllocs()
			b.SetBytes(largeSize)
			for b.Loop() {
				out.Reset()
				res, err := Decrypt(bytes.NewReader(c.msg), &out, opts)
				if err != nil {
					b.Fatal(err)
				}
				if _, ok := res.Verified(); ok != c.signed || out.Len() != largeSize {
					b.Fatalf("verified %v, %d bytes", ok, out.Len())
				}
			}
		})
	}
}
