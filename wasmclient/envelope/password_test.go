package envelope

import (
	"bytes"
	"crypto"
	"errors"
	"io"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

// argon2Bomb is a 58-byte message: a v4 password packet whose S2K is
// Argon2 with 2^31 KiB (2 TiB) of memory, and a stub data packet. The OpenPGP
// library accepts the parameters; running them aborts the process with an
// out-of-memory fatal error, which no recover catches.
func argon2Bomb(passes, memExp byte) []byte {
	body := []byte{4, byte(packet.CipherAES256), 4} // SKESK v4, AES-256, S2K type 4 (Argon2)
	body = append(body, make([]byte, 16)...)        // salt
	body = append(body, passes, 1, memExp)          // passes, parallelism, memory exponent
	msg := append([]byte{0xc3, byte(len(body))}, body...)
	msg = append(msg, 0xd2, 0x20, 1) // SEIPDv1
	return append(msg, make([]byte, 31)...)
}

func TestPasswordS2KLimits(t *testing.T) {
	pw := [][]byte{[]byte("pw")}
	for _, c := range []struct {
		name           string
		passes, memExp byte
	}{
		{"2 TiB", 1, 31},
		{"4 GiB", 1, 22},
		{"255 passes over 64 MiB", 255, 16},
		{"3 passes over 2 GiB", 3, 21},
	} {
		var out bytes.Buffer
		_, err := Decrypt(bytes.NewReader(argon2Bomb(c.passes, c.memExp)), &out, &OpenOptions{Passwords: pw})
		if !errors.Is(err, ErrUnsupported) || out.Len() != 0 {
			t.Errorf("%s: err %v, %d bytes out", c.name, err, out.Len())
		}
	}
	// Without a password the packet is never run.
	if _, err := Decrypt(bytes.NewReader(argon2Bomb(1, 31)), io.Discard, nil); !errors.Is(err, ErrNotForMe) {
		t.Errorf("without a password: %v", err)
	}
	// Each password is tried on every password packet: their number is
	// capped.
	one := argon2Bomb(1, 10)[:24]
	var many []byte
	for range pgppacket.MaxPasswordPackets + 1 {
		many = append(many, one...)
	}
	many = append(many, argon2Bomb(1, 10)[24:]...)
	if _, err := Decrypt(bytes.NewReader(many), io.Discard, &OpenOptions{Passwords: pw}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("%d password packets: %v", pgppacket.MaxPasswordPackets+1, err)
	}
	// A head the splitter refuses is not passed on unchecked: here more
	// key packets than it reads (each a PKESK of an unknown algorithm,
	// which the OpenPGP library would skip) hide the 2 TiB packet.
	var hidden []byte
	for range pgppacket.MaxKeyPackets + 1 {
		hidden = append(hidden, 0xc1, 10, 3, 0, 0, 0, 0, 0, 0, 0, 0, 100)
	}
	hidden = append(hidden, argon2Bomb(1, 31)...)
	if _, err := Decrypt(bytes.NewReader(hidden), io.Discard, &OpenOptions{Passwords: pw}); err == nil {
		t.Error("a password packet behind 4097 key packets was let through")
	}
	// Nor is one behind a packet the library skips (an unknown packet, a
	// padding packet), while a message that is not encrypted is read as
	// usual.
	for _, pre := range [][]byte{{0xfc, 1, 0}, {0xd5, 1, 0}, {0xca, 3, 'P', 'G', 'P', 0xfc, 1, 0}} {
		msg := append(bytes.Clone(pre), argon2Bomb(1, 31)...)
		if _, err := Decrypt(bytes.NewReader(msg), io.Discard, &OpenOptions{Passwords: pw}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("password packet behind %x: %v", pre, err)
		}
	}
	literal := []byte{0xcb, 8, 'b', 0, 0, 0, 0, 0, 'h', 'i'}
	var out bytes.Buffer
	if _, err := Decrypt(bytes.NewReader(append([]byte{0xca, 3, 'P', 'G', 'P'}, literal...)), &out, &OpenOptions{Passwords: pw}); err != nil || out.String() != "hi" {
		t.Errorf("literal message with a password: %v, %q", err, out.String())
	}
	// Within the limits the S2K runs: the password is wrong, the key
	// packet does not open (cheap parameters, so the test stays fast).
	if _, err := Decrypt(bytes.NewReader(argon2Bomb(1, 10)), io.Discard, &OpenOptions{Passwords: pw}); !errors.Is(err, ErrNotForMe) && !errors.Is(err, ErrCorrupt) {
		t.Errorf("cheap Argon2: %v", err)
	}
}

// TestPasswordMessages opens password messages as Veil and go-crypto write
// them, with the S2K functions of both data packet versions, and refuses a
// v6 password packet whose Argon2 memory was raised.
func TestPasswordMessages(t *testing.T) {
	fixtures(t)
	pw := []byte("a long enough password")
	text := []byte("behind a password")
	seal := func(config *packet.Config) []byte {
		var buf bytes.Buffer
		w, err := openpgp.SymmetricallyEncryptWithParams(pw, &buf, &openpgp.EncryptParams{Config: config})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(text)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	var veil bytes.Buffer
	w, err := Encrypt(&veil, nil, alice, &SealOptions{Passwords: [][]byte{pw}})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(text)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	iterated := seal(&packet.Config{S2KConfig: &s2k.Config{S2KMode: s2k.IteratedSaltedS2K, Hash: crypto.SHA256, S2KCount: 65536}})
	argon := seal(&packet.Config{
		AEADConfig: &packet.AEADConfig{},
		S2KConfig:  &s2k.Config{S2KMode: s2k.Argon2S2K, Argon2Config: &s2k.Argon2Config{NumberOfPasses: 1, DegreeOfParallelism: 1, Memory: 1 << 10}},
	})
	for name, msg := range map[string][]byte{"veil": veil.Bytes(), "iterated": iterated, "argon2": argon} {
		var out bytes.Buffer
		if _, err := Decrypt(bytes.NewReader(msg), &out, &OpenOptions{Passwords: [][]byte{[]byte("wrong"), pw}, Keyring: openpgp.EntityList{public(t, alice)}}); err != nil {
			t.Errorf("%s: %v", name, err)
		} else if !bytes.Equal(out.Bytes(), text) {
			t.Errorf("%s: %q", name, out.Bytes())
		}
	}
	// The v6 password packet: header (2), version, count, cipher, AEAD
	// mode, count, then the S2K; its memory exponent is the 20th byte.
	if argon[0] != 0xc3 || argon[2] != 6 || argon[7] != 4 {
		t.Fatalf("unexpected packet %x", argon[:8])
	}
	bomb := bytes.Clone(argon)
	bomb[7+19] = 31
	if _, err := Decrypt(bytes.NewReader(bomb), io.Discard, &OpenOptions{Passwords: [][]byte{pw}}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("v6 packet asking for 2 TiB: %v", err)
	}
}

// TestPasswordOnlyIsV4 checks that a message for passwords alone uses the
// packets gpg 2.2 reads (v4 SKESK, SEIPDv1), one password packet per
// password, and opens with any of them.
func TestPasswordOnlyIsV4(t *testing.T) {
	var buf bytes.Buffer
	w, err := Encrypt(&buf, nil, nil, &SealOptions{Passwords: [][]byte{[]byte("one"), []byte("two")}})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "for password holders")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := pgppacket.SplitMessage(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.KeyPackets) != 2 || s.SEIPDVersion != 1 {
		t.Fatalf("%d key packets, SEIPD v%d", len(s.KeyPackets), s.SEIPDVersion)
	}
	for _, kp := range s.KeyPackets {
		h, err := pgppacket.ReadHeader(bytes.NewReader(kp))
		if err != nil || h.Tag != pgppacket.TagSKESK || kp[len(h.Raw)] != 4 {
			t.Fatalf("key packet %x is not a v4 SKESK", kp[:4])
		}
	}
	for _, pass := range []string{"one", "two"} {
		var out bytes.Buffer
		if _, err := Decrypt(bytes.NewReader(buf.Bytes()), &out, &OpenOptions{Passwords: [][]byte{[]byte(pass)}}); err != nil || out.String() != "for password holders" {
			t.Errorf("password %q: %v %q", pass, err, out.String())
		}
	}
}
