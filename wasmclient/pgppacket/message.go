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
	// Signed: signed data, not encrypted (a public post).
	Signed
	// Literal: data that is neither encrypted nor signed.
	Literal
)

// Kind checks the framing and grammar of b like IsMessage and also tells
// whether the message is encrypted, signed, or neither.
func Kind(b []byte) (MessageKind, bool) {
	var tags []int
	for len(b) > 0 {
		tag, rest, ok := Next(b)
		if !ok {
			return 0, false
		}
		tags, b = append(tags, tag), rest
	}
	return KindOf(tags)
}

// KindOf checks a sequence of top-level packet tags against the message
// grammar (RFC 9580, section 10.3) and tells what kind of message it is.
func KindOf(tags []int) (MessageKind, bool) {
	const (
		before = iota // signatures, one-pass signatures, key packets may come
		keys          // after a key packet: more key packets or encrypted data
		after         // after the body: the one-pass signatures' signatures
	)
	state := before
	onePass, leading, trailing := 0, 0, 0
	var kind MessageKind
	for _, tag := range tags {
		switch tag {
		case TagMarker, TagPadding:
			// Ignored by readers wherever they appear.
		case TagPKESK, TagSKESK:
			if state == after || onePass > 0 || leading > 0 {
				return 0, false
			}
			state = keys
		case TagSED, TagSEIPD, TagAEAD:
			if state == after || onePass > 0 || leading > 0 {
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
			default:
				leading++
			}
		default:
			return 0, false
		}
	}
	if kind == 0 || trailing != onePass {
		return 0, false
	}
	if kind == Signed && onePass == 0 && leading == 0 {
		kind = Literal
	}
	return kind, true
}
