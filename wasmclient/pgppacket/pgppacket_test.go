package pgppacket

import (
	"bufio"
	"bytes"
	"io"
	"testing"
)

// A literal packet "hi" in both header formats, and a partial-length one.
var (
	newLiteral    = []byte{0xcb, 0x08, 'b', 0, 0, 0, 0, 0, 'h', 'i'}
	legacyLiteral = []byte{0xac, 0x08, 'b', 0, 0, 0, 0, 0, 'h', 'i'}
	// tag 11, partial chunk of 1 byte (0xe0), then final length 7.
	partialLiteral = []byte{0xcb, 0xe0, 'b', 0x07, 0, 0, 0, 0, 0, 'h', 'i'}
	onePass        = []byte{0xc4, 0x01, 0x03}
	signature      = []byte{0xc2, 0x01, 0x04}
	pkesk          = []byte{0xc1, 0x02, 0x03, 0x00}
	seipd          = []byte{0xd2, 0x02, 0x01, 0xff}
)

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestKind(t *testing.T) {
	cases := []struct {
		name string
		msg  []byte
		want MessageKind
		ok   bool
	}{
		{"literal", newLiteral, Literal, true},
		{"legacy literal", legacyLiteral, Literal, true},
		{"partial literal", partialLiteral, Literal, true},
		{"signature first", cat(signature, newLiteral), Signed, true},
		{"signature then keys", cat(signature, pkesk, seipd), 0, false},
		{"signed", cat(onePass, newLiteral, signature), Signed, true},
		{"encrypted", cat(pkesk, pkesk, seipd), Encrypted, true},
		{"no key packets", seipd, Encrypted, true},
		{"key packets only", cat(pkesk), 0, false},
		{"missing signature", cat(onePass, newLiteral), 0, false},
		{"one-pass then encrypted", cat(onePass, seipd), 0, false},
		{"data twice", cat(seipd, seipd), 0, false},
		{"trailing byte", cat(pkesk, seipd, []byte{0x00}), 0, false},
		{"cut", cat(pkesk, seipd)[:5], 0, false},
		{"empty", nil, 0, false},
		{"user id packet", []byte{0xcd, 0x01, 'x'}, 0, false},
	}
	for _, c := range cases {
		k, ok := Kind(c.msg)
		if k != c.want || ok != c.ok {
			t.Errorf("%s: Kind = %v, %v; want %v, %v", c.name, k, ok, c.want, c.ok)
		}
	}
}

func TestReadHeader(t *testing.T) {
	for _, in := range [][]byte{newLiteral, legacyLiteral, {0xcb, 0xff, 0, 0, 0, 8}, {0xcb, 0xc0, 0x00}} {
		h, err := ReadHeader(bufio.NewReader(bytes.NewReader(in)))
		if err != nil || h.Tag != TagLiteral {
			t.Errorf("%x: %+v %v", in, h, err)
		}
	}
	h, _ := ReadHeader(bytes.NewReader([]byte{0xcb, 0xc0, 0x00}))
	if h.Length != 192 {
		t.Errorf("two-octet length %d", h.Length)
	}
	if _, err := ReadHeader(bytes.NewReader([]byte{0x41})); err == nil {
		t.Error("accepted a non-header byte")
	}
	if _, err := ReadHeader(bytes.NewReader([]byte{0xcb, 0xff, 0})); err != io.ErrUnexpectedEOF {
		t.Errorf("cut header: %v", err)
	}
	if _, err := ReadHeader(bytes.NewReader(nil)); err != io.EOF {
		t.Errorf("empty: %v", err)
	}
}

func TestFraming(t *testing.T) {
	good := [][]byte{cat(pkesk, seipd), cat(onePass, partialLiteral, signature), legacyLiteral}
	for _, msg := range good {
		// Read in odd-sized pieces to cross header boundaries.
		f := NewFraming(bytes.NewReader(msg))
		buf := make([]byte, 3)
		for {
			if _, err := f.Read(buf); err != nil {
				break
			}
		}
		if err := f.Finish(); err != nil {
			t.Errorf("%x: %v", msg, err)
		}
		if k, ok := KindOf(f.Tags()); !ok || k == 0 {
			t.Errorf("%x: tags %v do not make a message", msg, f.Tags())
		}
	}
	bad := [][]byte{cat(pkesk, seipd)[:6], {0xcb, 0xe0, 'b'}, {0x01}}
	for _, msg := range bad {
		f := NewFraming(bytes.NewReader(msg))
		io.Copy(io.Discard, f)
		if err := f.Finish(); err == nil {
			t.Errorf("%x: broken framing accepted", msg)
		}
	}
	// Bytes the consumer left unread are trailing data.
	f := NewFraming(bytes.NewReader(cat(pkesk, seipd, []byte{0xc2})))
	io.CopyN(io.Discard, f, int64(len(pkesk)+len(seipd)))
	if err := f.Finish(); err == nil {
		t.Error("trailing data accepted")
	}
}

func FuzzNext(f *testing.F) {
	for _, s := range [][]byte{newLiteral, legacyLiteral, partialLiteral, cat(pkesk, seipd), cat(onePass, newLiteral, signature)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// The slice and streaming readers must agree on well-formed input.
		kind, ok := Kind(b)
		fr := NewFraming(bytes.NewReader(b))
		io.Copy(io.Discard, fr)
		ferr := fr.Finish()
		if ok && ferr != nil {
			t.Fatalf("Kind accepts (%v) what Framing rejects: %v", kind, ferr)
		}
		if ferr == nil {
			if k2, ok2 := KindOf(fr.Tags()); ok2 != ok || k2 != kind {
				t.Fatalf("streaming says %v %v, slice says %v %v", k2, ok2, kind, ok)
			}
		}
		tag, rest, nok := Next(b)
		if nok && (tag == 0 || len(rest) > len(b)) {
			t.Fatalf("Next: tag %d rest %d of %d", tag, len(rest), len(b))
		}
	})
}
