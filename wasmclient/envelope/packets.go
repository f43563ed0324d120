package envelope

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// OpenPGP packet tags this package looks at before handing a message to the
// OpenPGP library.
const (
	tagPKESK  = 1  // public-key encrypted session key
	tagSKESK  = 3  // symmetric-key encrypted session key
	tagSED    = 9  // symmetrically encrypted data, no integrity: refused
	tagMarker = 10 // marker, ignored
	tagSEIPD  = 18 // symmetrically encrypted and integrity protected data
	tagAEAD   = 20 // AEAD encrypted data (draft, OCB)
)

// Limits on the key packets at the head of a message.
const (
	maxKeyPacket  = 64 << 10
	maxKeyPackets = 4096
)

// header is the parsed header of one OpenPGP packet.
type header struct {
	tag     int
	length  int64 // -1 when partial or indeterminate
	partial bool
	raw     []byte // the header bytes as read
}

// readHeader reads a packet header. It returns io.EOF only at a clean end.
func readHeader(r *bufio.Reader) (header, error) {
	b, err := r.ReadByte()
	if err != nil {
		return header{}, err
	}
	h := header{raw: []byte{b}}
	if b&0x80 == 0 {
		return h, fmt.Errorf("byte %#02x is not an OpenPGP packet header", b)
	}
	next := func() (byte, error) {
		c, err := r.ReadByte()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		h.raw = append(h.raw, c)
		return c, err
	}
	if b&0x40 != 0 { // new format
		h.tag = int(b & 0x3f)
		l0, err := next()
		if err != nil {
			return h, err
		}
		switch {
		case l0 < 192:
			h.length = int64(l0)
		case l0 < 224:
			l1, err := next()
			if err != nil {
				return h, err
			}
			h.length = (int64(l0)-192)<<8 + int64(l1) + 192
		case l0 == 255:
			var n int64
			for range 4 {
				c, err := next()
				if err != nil {
					return h, err
				}
				n = n<<8 | int64(c)
			}
			h.length = n
		default:
			h.partial, h.length = true, -1
		}
		return h, nil
	}
	h.tag = int(b>>2) & 0x0f
	var size int
	switch b & 3 {
	case 0:
		size = 1
	case 1:
		size = 2
	case 2:
		size = 4
	default:
		h.length = -1
		return h, nil
	}
	var n int64
	for range size {
		c, err := next()
		if err != nil {
			return h, err
		}
		n = n<<8 | int64(c)
	}
	h.length = n
	return h, nil
}

// split is a message cut after its key packets.
type split struct {
	keyPackets [][]byte // each PKESK/SKESK packet, header included
	// data reads the rest of the message from the first data packet on,
	// unchanged.
	data io.Reader
	// dataTag is the tag of the first packet after the key packets.
	dataTag int
	// seipdVersion and seipdCipher come from the data packet's first bytes
	// when it is a SEIPD packet (version 2 names the cipher there).
	seipdVersion int
	seipdCipher  packet.CipherFunction
}

// errNotEncrypted is returned by splitMessage for a message with no
// encrypted data packet (a signed-only or literal message).
var errNotEncrypted = errors.New("message is not encrypted")

// splitMessage reads the key packets at the head of a binary OpenPGP
// message without reading its data.
func splitMessage(r io.Reader) (*split, error) {
	br := bufio.NewReaderSize(r, 4096)
	s := &split{}
	for {
		h, err := readHeader(br)
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, err
		}
		switch h.tag {
		case tagPKESK, tagSKESK, tagMarker:
			if h.partial || h.length < 0 || h.length > maxKeyPacket {
				return nil, fmt.Errorf("key packet with bad length")
			}
			if len(s.keyPackets) >= maxKeyPackets {
				return nil, fmt.Errorf("more than %d key packets", maxKeyPackets)
			}
			pkt := make([]byte, len(h.raw)+int(h.length))
			copy(pkt, h.raw)
			if _, err := io.ReadFull(br, pkt[len(h.raw):]); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, err
			}
			if h.tag != tagMarker {
				s.keyPackets = append(s.keyPackets, pkt)
			}
			continue
		case tagSEIPD:
			body, err := br.Peek(2)
			if err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, err
			}
			s.seipdVersion = int(body[0])
			if s.seipdVersion == 2 {
				s.seipdCipher = packet.CipherFunction(body[1])
			}
		case tagAEAD, tagSED:
		default:
			if len(s.keyPackets) == 0 {
				return nil, errNotEncrypted
			}
			return nil, fmt.Errorf("key packets followed by packet type %d", h.tag)
		}
		s.dataTag = h.tag
		s.data = io.MultiReader(bytes.NewReader(h.raw), br)
		return s, nil
	}
}

// binaryReader returns a reader of the binary message whether the input is
// ASCII-armored or binary.
func binaryReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(64)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN PGP")) {
		return br, nil
	}
	block, err := armor.Decode(br)
	if err != nil {
		return nil, err
	}
	return block.Body, nil
}

// Limits on the cost of a password packet's string-to-key function (S2K).
// The packet, that is whoever wrote the message, chooses it; trying a
// password runs it. Argon2 is capped at 2 GiB (2^21 KiB, the largest that
// RFC 9580 §3.7.1.4 recommends) and at 2^22 KiB-passes of work; the OpenPGP
// library accepts up to 2^31 KiB (2 TiB), which aborts the process before a
// single byte is checked. Iterated and salted S2K is bounded by its encoding
// (at most 65,011,712 bytes hashed, some 50 ms), but each password is tried
// on every password packet, so their number is capped too.
const (
	maxArgon2MemoryExp = 21
	maxArgon2Work      = 1 << 22
	maxPasswordPackets = 16
)

// checkPasswordPackets refuses a message whose password packets ask for more
// than the limits above. It reads the key packets at the head of the message
// and returns a reader of the whole message, unchanged. The OpenPGP library
// collects password packets from everything before the encrypted data packet
// and skips any other packet it finds there, so a head that does not split
// into key packets and a data packet is refused, unless it begins the way an
// unencrypted message does (the library then runs no password packet).
func checkPasswordPackets(r io.Reader) (io.Reader, error) {
	var head bytes.Buffer
	s, err := splitMessage(io.TeeReader(r, &head))
	replay := io.MultiReader(&head, r)
	if errors.Is(err, errNotEncrypted) {
		switch tag := firstTag(head.Bytes()); tag {
		case tagSignature, tagOnePassSignature, tagCompressed, tagLiteral:
			return replay, nil
		default:
			return nil, newError("decrypt", ErrUnsupported, fmt.Errorf("packet type %d before the encrypted data", tag))
		}
	}
	if err != nil {
		return nil, classify("decrypt", err)
	}
	n := 0
	for _, kp := range s.keyPackets {
		skesk, err := checkS2KCost(kp)
		if err != nil {
			return nil, newError("decrypt", ErrUnsupported, err)
		}
		if skesk {
			n++
		}
	}
	if n > maxPasswordPackets {
		return nil, newError("decrypt", ErrUnsupported, fmt.Errorf("%d password packets (at most %d are tried)", n, maxPasswordPackets))
	}
	return replay, nil
}

// Tags of the packets that begin an unencrypted message.
const (
	tagSignature        = 2
	tagOnePassSignature = 4
	tagCompressed       = 8
	tagLiteral          = 11
)

// firstTag returns the tag of the first packet of msg that is not a marker
// packet, or -1.
func firstTag(msg []byte) int {
	br := bufio.NewReader(bytes.NewReader(msg))
	for {
		h, err := readHeader(br)
		if err != nil {
			return -1
		}
		if h.tag != tagMarker || h.length < 0 {
			return h.tag
		}
		if _, err := br.Discard(int(min(h.length, int64(len(msg))))); err != nil {
			return -1
		}
	}
}

// checkS2KCost checks the S2K specifier of a password packet (SKESK v4, v5
// or v6, RFC 9580 §5.3) and reports whether pkt is one. Other packets, and
// password packets too short to hold an S2K specifier, pass: they are the
// OpenPGP library's to refuse.
func checkS2KCost(pkt []byte) (skesk bool, err error) {
	h, err := readHeader(bufio.NewReader(bytes.NewReader(pkt)))
	if err != nil || h.tag != tagSKESK {
		return false, nil
	}
	body := pkt[len(h.raw):]
	if len(body) == 0 {
		return true, nil
	}
	var off int
	switch body[0] {
	case 4: // version, cipher, S2K
		off = 2
	case 5: // version, cipher, AEAD mode, S2K
		off = 3
	case 6: // version, count, cipher, AEAD mode, count, S2K
		off = 5
	default:
		return true, nil
	}
	const argon2 = 4 // S2K type: type, salt (16), passes, parallelism, memory exponent
	if len(body) < off+20 || body[off] != argon2 {
		return true, nil
	}
	passes, memExp := uint64(body[off+17]), body[off+19]
	if memExp > maxArgon2MemoryExp || passes<<memExp > maxArgon2Work {
		return true, fmt.Errorf("password packet asks for Argon2 with 2^%d KiB of memory and %d passes", memExp, passes)
	}
	return true, nil
}
