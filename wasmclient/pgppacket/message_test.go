package pgppacket

import (
	"bytes"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
)

// packetOf frames body as one OpenPGP-format packet with tag, using the
// shortest length encoding.
func packetOf(tag int, body []byte) []byte {
	b := []byte{byte(0xc0 | tag)}
	switch n := len(body); {
	case n < 192:
		b = append(b, byte(n))
	case n < 8384:
		n -= 192
		b = append(b, byte(n>>8)+192, byte(n))
	default:
		b = append(b, 255, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, body...)
}

func TestIsMessage(t *testing.T) {
	h := func(s string) []byte {
		b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	body := func(n int) []byte { return bytes.Repeat([]byte{0x5a}, n) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	pkesk := packetOf(TagPKESK, body(12))
	skesk := packetOf(TagSKESK, body(4))
	seipd := packetOf(TagSEIPD, body(30))
	onePass := packetOf(TagOnePass, body(13))
	literal := packetOf(TagLiteral, body(10))
	sig := packetOf(TagSignature, body(20))
	padding := packetOf(TagPadding, body(7))

	// A partial-length SEIPD: 512 bytes, then 2, then a final 5.
	partial := cat([]byte{byte(0xc0 | TagSEIPD), 0xe9}, body(512), []byte{0xe1}, body(2), []byte{5}, body(5))

	for _, tc := range []struct {
		name string
		msg  []byte
		want bool
	}{
		{"encrypted", cat(pkesk, seipd), true},
		{"two recipients and a passphrase", cat(pkesk, pkesk, skesk, seipd), true},
		{"encrypted, no key packets", seipd, true},
		{"AEAD packet", cat(pkesk, packetOf(TagAEAD, body(40))), true},
		{"old SED", cat(pkesk, packetOf(TagSED, body(9))), true},
		{"one-pass signed", cat(onePass, literal, sig), true},
		{"nested one-pass signatures", cat(onePass, onePass, literal, sig, sig), true},
		{"signature first", cat(sig, literal), true},
		{"compressed", packetOf(TagCompressed, body(50)), true},
		{"literal", literal, true},
		{"marker and padding", cat(packetOf(TagMarker, []byte("PGP")), pkesk, seipd, padding), true},
		{"partial lengths", cat(pkesk, partial), true},
		{"two-octet length", cat(pkesk, packetOf(TagSEIPD, body(1000))), true},
		{"five-octet length", cat(pkesk, h("d2ff00000003"), body(3)), true},
		{"legacy format", h("840c 404142434445464748494a4b a408 6061626364656667"), true},
		{"legacy two-octet length", cat(h("850003"), body(3), h("a5000a"), body(10)), true},
		{"legacy four-octet length", cat(h("a600000003"), body(3)), true},
		{"legacy indeterminate length", cat(pkesk, h("a7"), body(100)), true},

		{"empty", nil, false},
		{"text", []byte("hello world"), false},
		{"key packets only", cat(pkesk, skesk), false},
		{"one-pass without its signature", cat(onePass, literal), false},
		{"signature without a one-pass", cat(literal, sig), false},
		{"two bodies", cat(literal, literal), false},
		{"literal after key packets", cat(pkesk, literal), false},
		{"signature between key packets and data", cat(pkesk, sig, seipd), false},
		{"data then key packet", cat(seipd, pkesk), false},
		{"public key", packetOf(6, body(30)), false},
		{"reserved tag", packetOf(0, body(3)), false},
		{"legacy reserved tag", h("8001 00"), false},
		{"cut in the body", cat(pkesk, seipd)[:len(pkesk)+10], false},
		{"cut in the header", cat(pkesk, seipd[:1]), false},
		{"cut in a two-octet length", h("d2c0"), false},
		{"cut in a five-octet length", h("d2ff0000"), false},
		{"cut in a partial body", partial[:300], false},
		{"partial length last", cat([]byte{byte(0xc0 | TagSEIPD), 0xe0}, body(1)), false},
		{"trailing byte", cat(pkesk, seipd, []byte{0}), false},
		{"huge length", h("d2ffffffffff00"), false},
		{"legacy huge length", h("a6ffffffff00"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsMessage(tc.msg); got != tc.want {
				t.Errorf("IsMessage(%x) = %v, want %v", tc.msg, got, tc.want)
			}
		})
	}
}

// TestIsMessageLibraryOutput checks the framing check against messages made by
// go-crypto, as the envelope package makes them, and checks that no prefix of
// such a message passes: that is how the payload package tells a cut inline
// link from a whole one.
func TestIsMessageLibraryOutput(t *testing.T) {
	v4 := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519}
	v6 := &packet.Config{
		V6Keys:     true,
		Algorithm:  packet.PubKeyAlgoEd25519,
		AEADConfig: &packet.AEADConfig{DefaultMode: packet.AEADModeOCB},
	}
	alice, err := openpgp.NewEntity("Alice", "", "alice@example.org", v4)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := openpgp.NewEntity("Bob", "", "bob@example.org", v6)
	if err != nil {
		t.Fatal(err)
	}
	text := "Meet at the usual place at 8 🌙"
	messages := map[string][]byte{}
	write := func(name string, open func(io.Writer) (io.WriteCloser, error)) {
		var buf bytes.Buffer
		w, err := open(&buf)
		if err != nil {
			t.Fatal(name, err)
		}
		if _, err := io.WriteString(w, text); err != nil {
			t.Fatal(name, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(name, err)
		}
		messages[name] = buf.Bytes()
	}
	write("v4 encrypted and signed", func(w io.Writer) (io.WriteCloser, error) {
		return openpgp.Encrypt(w, []*openpgp.Entity{alice}, nil, []*openpgp.Entity{alice}, nil, v4)
	})
	write("v6 encrypted to two, signed", func(w io.Writer) (io.WriteCloser, error) {
		return openpgp.Encrypt(w, []*openpgp.Entity{bob, alice}, nil, []*openpgp.Entity{bob}, nil, v6)
	})
	write("hidden recipients", func(w io.Writer) (io.WriteCloser, error) {
		return openpgp.Encrypt(w, nil, []*openpgp.Entity{alice, bob}, []*openpgp.Entity{alice}, nil, v4)
	})
	write("public, signed only", func(w io.Writer) (io.WriteCloser, error) {
		return openpgp.Sign(w, []*openpgp.Entity{alice}, nil, v4)
	})
	write("compressed", func(w io.Writer) (io.WriteCloser, error) {
		c := *v4
		c.DefaultCompressionAlgo = packet.CompressionZLIB
		return openpgp.Encrypt(w, []*openpgp.Entity{alice}, nil, []*openpgp.Entity{alice}, nil, &c)
	})
	write("passphrase", func(w io.Writer) (io.WriteCloser, error) {
		return openpgp.SymmetricallyEncrypt(w, []byte("hunter2"), nil, v4)
	})
	for name, msg := range messages {
		t.Run(name, func(t *testing.T) {
			if !IsMessage(msg) {
				t.Fatalf("rejected %x", msg)
			}
			for n := range len(msg) {
				if IsMessage(msg[:n]) {
					t.Errorf("accepted the first %d of %d bytes", n, len(msg))
				}
			}
			t.Logf("%d bytes", len(msg))
		})
	}
}
