package pgppacket

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Limits on the key packets at the head of a message.
const (
	MaxKeyPacket  = 64 << 10
	MaxKeyPackets = 4096
)

// ErrNotEncrypted is returned by SplitMessage for a message with no
// encrypted data packet (a signed-only or literal message).
var ErrNotEncrypted = errors.New("message is not encrypted")

// Split is a message cut after its key packets.
type Split struct {
	// KeyPackets are the PKESK and SKESK packets, headers included, in
	// order (marker packets are dropped).
	KeyPackets [][]byte
	// Data reads the rest of the message from the data packet on, unchanged.
	Data io.Reader
	// DataTag is the tag of the data packet.
	DataTag int
	// SEIPDVersion and SEIPDCipher come from the data packet's first bytes
	// when it is a SEIPD packet (version 2 names the cipher there).
	SEIPDVersion int
	SEIPDCipher  byte
}

// SplitMessage reads the key packets at the head of a binary OpenPGP
// message without reading its data.
func SplitMessage(r io.Reader) (*Split, error) {
	br := bufio.NewReaderSize(r, 4096)
	s := &Split{}
	for {
		h, err := ReadHeader(br)
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, err
		}
		switch h.Tag {
		case TagPKESK, TagSKESK, TagMarker:
			if h.Partial || h.Length < 0 || h.Length > MaxKeyPacket {
				return nil, fmt.Errorf("key packet with bad length")
			}
			if len(s.KeyPackets) >= MaxKeyPackets {
				return nil, fmt.Errorf("more than %d key packets", MaxKeyPackets)
			}
			pkt := make([]byte, len(h.Raw)+int(h.Length))
			copy(pkt, h.Raw)
			if _, err := io.ReadFull(br, pkt[len(h.Raw):]); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, err
			}
			if h.Tag != TagMarker {
				s.KeyPackets = append(s.KeyPackets, pkt)
			}
			continue
		case TagSEIPD:
			body, err := br.Peek(2)
			if err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, err
			}
			s.SEIPDVersion = int(body[0])
			if s.SEIPDVersion == 2 {
				s.SEIPDCipher = body[1]
			}
		case TagAEAD, TagSED:
		default:
			if len(s.KeyPackets) == 0 {
				return nil, ErrNotEncrypted
			}
			return nil, fmt.Errorf("key packets followed by packet type %d", h.Tag)
		}
		s.DataTag = h.Tag
		s.Data = io.MultiReader(bytes.NewReader(h.Raw), br)
		return s, nil
	}
}
