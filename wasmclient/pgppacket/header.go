package pgppacket

import (
	"errors"
	"fmt"
	"io"
)

// Packet tags (RFC 9580, section 5) that make up messages.
const (
	TagPKESK      = 1  // public-key encrypted session key
	TagSignature  = 2  // signature
	TagSKESK      = 3  // symmetric-key encrypted session key
	TagOnePass    = 4  // one-pass signature
	TagCompressed = 8  // compressed data
	TagSED        = 9  // symmetrically encrypted data without integrity protection
	TagMarker     = 10 // marker, ignored
	TagLiteral    = 11 // literal data
	TagSEIPD      = 18 // symmetrically encrypted and integrity protected data
	TagAEAD       = 20 // AEAD encrypted data (OCB draft)
	TagPadding    = 21 // padding, ignored
)

// ErrHeader is returned for bytes that are not a packet header.
var ErrHeader = errors.New("not an OpenPGP packet header")

// Header is the header of one packet.
type Header struct {
	Tag int
	// Length is the body length, or of the first chunk when Partial; -1
	// for a legacy packet of indeterminate length (it runs to the end).
	Length  int64
	Partial bool
	// Raw holds the header bytes as read.
	Raw []byte
}

// lengthSize tells how many octets a new-format length that starts with
// first takes.
func lengthSize(first byte) int {
	switch {
	case first < 192:
		return 1
	case first < 224:
		return 2
	case first == 255:
		return 5
	}
	return 1 // partial body length
}

// decodeLength decodes a complete new-format length (lengthSize octets).
func decodeLength(o []byte) (n int64, partial bool) {
	switch l0 := o[0]; {
	case l0 < 192:
		return int64(l0), false
	case l0 < 224:
		return (int64(l0)-192)<<8 + int64(o[1]) + 192, false
	case l0 == 255:
		return int64(o[1])<<24 | int64(o[2])<<16 | int64(o[3])<<8 | int64(o[4]), false
	default:
		return int64(1) << (l0 & 0x1f), true
	}
}

// legacySize tells how many length octets a legacy header byte announces
// (0 for indeterminate length).
func legacySize(h byte) int { return [4]int{1, 2, 4, 0}[h&3] }

func decodeLegacy(o []byte) int64 {
	var n int64
	for _, c := range o {
		n = n<<8 | int64(c)
	}
	return n
}

// ReadHeader reads one packet header. It returns io.EOF only when r ends
// before the header starts, and io.ErrUnexpectedEOF when it ends inside it.
func ReadHeader(r io.ByteReader) (Header, error) {
	b, err := r.ReadByte()
	if err != nil {
		return Header{}, err
	}
	h := Header{Raw: []byte{b}}
	if b&0x80 == 0 {
		return h, fmt.Errorf("%w: byte %#02x", ErrHeader, b)
	}
	more := func(n int) ([]byte, error) {
		start := len(h.Raw)
		for range n {
			c, err := r.ReadByte()
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			if err != nil {
				return nil, err
			}
			h.Raw = append(h.Raw, c)
		}
		return h.Raw[start:], nil
	}
	if b&0x40 == 0 {
		h.Tag = int(b>>2) & 0x0f
		size := legacySize(b)
		if size == 0 {
			h.Length = -1
			return h, nil
		}
		o, err := more(size)
		if err != nil {
			return h, err
		}
		h.Length = decodeLegacy(o)
		return h, nil
	}
	h.Tag = int(b & 0x3f)
	first, err := more(1)
	if err != nil {
		return h, err
	}
	rest, err := more(lengthSize(first[0]) - 1)
	if err != nil {
		return h, err
	}
	h.Length, h.Partial = decodeLength(append([]byte{first[0]}, rest...))
	return h, nil
}

// ReadChunkLength reads the length that follows a partial chunk.
func ReadChunkLength(r io.ByteReader) (n int64, partial bool, err error) {
	first, err := r.ReadByte()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, false, err
	}
	o := []byte{first}
	for range lengthSize(first) - 1 {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, false, err
		}
		o = append(o, c)
	}
	n, partial = decodeLength(o)
	return n, partial, nil
}

// Next reads the packet at the start of b (header and whole body, all
// chunks) and returns its tag and what follows it. ok is false if the
// header is malformed or the packet runs past the end of b.
func Next(b []byte) (tag int, rest []byte, ok bool) {
	if len(b) == 0 || b[0]&0x80 == 0 {
		return 0, nil, false
	}
	h := b[0]
	b = b[1:]
	if h&0x40 == 0 {
		tag = int(h>>2) & 0x0f
		size := legacySize(h)
		if size == 0 {
			return tag, nil, tag != 0 // runs to the end
		}
		if len(b) < size {
			return 0, nil, false
		}
		n := decodeLegacy(b[:size])
		b = b[size:]
		if n > int64(len(b)) {
			return 0, nil, false
		}
		return tag, b[n:], tag != 0
	}
	tag = int(h & 0x3f)
	for {
		if len(b) == 0 || len(b) < lengthSize(b[0]) {
			return 0, nil, false
		}
		size := lengthSize(b[0])
		n, partial := decodeLength(b[:size])
		b = b[size:]
		if n > int64(len(b)) {
			return 0, nil, false
		}
		b = b[n:]
		if !partial {
			return tag, b, tag != 0
		}
	}
}
