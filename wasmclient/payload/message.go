package payload

import "encoding/binary"

// OpenPGP packet tags (RFC 9580, section 5) that make up messages.
const (
	tagPKESK      = 1
	tagSignature  = 2
	tagSKESK      = 3
	tagOnePass    = 4
	tagCompressed = 8
	tagSED        = 9
	tagMarker     = 10
	tagLiteral    = 11
	tagSEIPD      = 18
	tagAEAD       = 20
	tagPadding    = 21
)

// isMessage reports whether b is exactly one binary OpenPGP message: packets
// with well-formed headers that end where b ends, in the order the message
// grammar of RFC 9580 (section 10.3) allows at the top level. Only the framing
// is checked, not the packets' contents.
//
// This is what tells a whole message from one cut short: a site that truncates
// or wraps an inline link almost never cuts it where a message could end. A
// cut at a packet boundary leaves key packets without their encrypted data or
// one-pass signatures without their signatures, which the grammar rejects.
func isMessage(b []byte) bool {
	const (
		before = iota // signatures, one-pass signatures, key packets may come
		keys          // after a key packet: more key packets or encrypted data
		after         // after the body: the one-pass signatures' signatures
	)
	state := before
	onePass, trailing := 0, 0
	body := false
	for len(b) > 0 {
		tag, rest, ok := nextPacket(b)
		if !ok {
			return false
		}
		b = rest
		switch tag {
		case tagMarker, tagPadding:
			// Ignored by readers wherever they appear.
		case tagPKESK, tagSKESK:
			if state == after {
				return false
			}
			state = keys
		case tagSED, tagSEIPD, tagAEAD:
			if state == after {
				return false
			}
			state, body = after, true
		case tagCompressed, tagLiteral:
			if state != before {
				return false
			}
			state, body = after, true
		case tagOnePass:
			if state != before {
				return false
			}
			onePass++
		case tagSignature:
			switch state {
			case keys:
				return false
			case after:
				trailing++
			}
		default:
			return false
		}
	}
	return body && trailing == onePass
}

// nextPacket reads the header of the packet at the start of b and returns its
// tag and what follows the packet. ok is false if the header is malformed or
// the packet runs past the end of b.
func nextPacket(b []byte) (tag byte, rest []byte, ok bool) {
	if len(b) == 0 || b[0]&0x80 == 0 {
		return 0, nil, false
	}
	h := b[0]
	b = b[1:]
	if h&0x40 == 0 {
		// Legacy format: four bits of tag, two of length type.
		tag = h >> 2 & 0x0f
		var n uint64
		switch h & 3 {
		case 0:
			if len(b) < 1 {
				return 0, nil, false
			}
			n, b = uint64(b[0]), b[1:]
		case 1:
			if len(b) < 2 {
				return 0, nil, false
			}
			n, b = uint64(binary.BigEndian.Uint16(b)), b[2:]
		case 2:
			if len(b) < 4 {
				return 0, nil, false
			}
			n, b = uint64(binary.BigEndian.Uint32(b)), b[4:]
		case 3:
			// Indeterminate length: the packet runs to the end.
			return tag, nil, tag != 0
		}
		if n > uint64(len(b)) {
			return 0, nil, false
		}
		return tag, b[n:], tag != 0
	}
	// OpenPGP format: six bits of tag, then one or more lengths, all but the
	// last of them partial body lengths.
	tag = h & 0x3f
	for {
		if len(b) == 0 {
			return 0, nil, false
		}
		var n uint64
		partial := false
		switch o := b[0]; {
		case o < 192:
			n, b = uint64(o), b[1:]
		case o < 224:
			if len(b) < 2 {
				return 0, nil, false
			}
			n, b = uint64(o-192)<<8+uint64(b[1])+192, b[2:]
		case o == 255:
			if len(b) < 5 {
				return 0, nil, false
			}
			n, b = uint64(binary.BigEndian.Uint32(b[1:])), b[5:]
		default:
			n, b, partial = 1<<(o&0x1f), b[1:], true
		}
		if n > uint64(len(b)) {
			return 0, nil, false
		}
		b = b[n:]
		if !partial {
			return tag, b, tag != 0
		}
	}
}
