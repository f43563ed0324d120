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
