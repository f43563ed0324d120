package pgppacket

// IsMessage reports whether b is exactly one binary OpenPGP message: packets
// with well-formed headers that end where b ends, in an order the message
// grammar allows at the top level (key packets then encrypted data, or
// one-pass signatures, a literal or compressed packet and their signatures,
// or signatures before the data). Only the framing is checked.
func IsMessage(b []byte) bool {
	_, ok := Kind(b)
	return ok
}

// MessageKind says what a well-formed message holds at the top level.
type MessageKind int

const (
	// Encrypted: key packets (possibly none) and encrypted data.
	Encrypted MessageKind = iota + 1
	// Signed: signed or literal data, not encrypted.
	Signed
)

// Kind checks the framing and grammar of b like IsMessage and also tells
// whether the message is encrypted or only signed (or literal).
func Kind(b []byte) (MessageKind, bool) {
	const (
		before = iota // signatures, one-pass signatures, key packets may come
		keys          // after a key packet: more key packets or encrypted data
		after         // after the body: the one-pass signatures' signatures
	)
	state := before
	onePass, trailing := 0, 0
	var kind MessageKind
	for len(b) > 0 {
		tag, rest, ok := Next(b)
		if !ok {
			return 0, false
		}
		b = rest
		switch tag {
		case TagMarker, TagPadding:
			// Ignored by readers wherever they appear.
		case TagPKESK, TagSKESK:
			if state == after {
				return 0, false
			}
			state = keys
		case TagSED, TagSEIPD, TagAEAD:
			if state == after || onePass > 0 {
				return 0, false
			}
			state, kind = after, Encrypted
		case TagCompressed, TagLiteral:
			if state != before {
				return 0, false
			}
			state, kind = after, Signed
		case TagOnePass:
			if state != before {
				return 0, false
			}
			onePass++
		case TagSignature:
			switch state {
			case keys:
				return 0, false
			case after:
				trailing++
			}
		default:
			return 0, false
		}
	}
	if kind == 0 || trailing != onePass {
		return 0, false
	}
	return kind, true
}
