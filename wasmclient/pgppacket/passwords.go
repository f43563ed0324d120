package pgppacket

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrTooCostly is returned for a message whose password packets would make
// trying a password exhaust memory or time, or that hides packets in front
// of its data where password packets could be.
var ErrTooCostly = errors.New("password packets ask for too much work")

// Limits on the cost of a password packet's string-to-key function (S2K).
// The packet, that is whoever wrote the message, chooses it; trying a
// password runs it. Argon2 is capped at 2 GiB (2^21 KiB, the largest that
// RFC 9580 §3.7.1.4 recommends) and at 2^22 KiB-passes of work; the OpenPGP
// library accepts up to 2^31 KiB (2 TiB), which aborts the process before a
// single byte is checked. Iterated and salted S2K is bounded by its encoding
// (at most 65,011,712 bytes hashed, some 50 ms), but each password is tried
// on every password packet, so their number is capped too.
const (
	MaxArgon2MemoryExp = 21
	MaxArgon2Work      = 1 << 22
	MaxPasswordPackets = 16
)

// CheckPasswordPackets refuses a message whose password packets ask for more
// than the limits above. It reads the key packets at the head of the message
// and returns a reader of the whole message, unchanged. The OpenPGP library
// collects password packets from everything before the encrypted data packet
// and skips any other packet it finds there, so a head that does not split
// into key packets and a data packet is refused, unless it begins the way an
// unencrypted message does (the library then runs no password packet).
func CheckPasswordPackets(r io.Reader) (io.Reader, error) {
	var head bytes.Buffer
	s, err := SplitMessage(io.TeeReader(r, &head))
	replay := io.MultiReader(&head, r)
	if errors.Is(err, ErrNotEncrypted) {
		switch tag := firstTag(head.Bytes()); tag {
		case TagSignature, TagOnePass, TagCompressed, TagLiteral:
			return replay, nil
		default:
			return nil, fmt.Errorf("%w: packet type %d before the encrypted data", ErrTooCostly, tag)
		}
	}
	if err != nil {
		return nil, err
	}
	n := 0
	for _, kp := range s.KeyPackets {
		skesk, err := checkS2KCost(kp)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrTooCostly, err)
		}
		if skesk {
			n++
		}
	}
	if n > MaxPasswordPackets {
		return nil, fmt.Errorf("%w: %d password packets (at most %d are tried)", ErrTooCostly, n, MaxPasswordPackets)
	}
	return replay, nil
}

// firstTag returns the tag of the first packet of msg that is not a marker
// packet, or -1.
func firstTag(msg []byte) int {
	br := bufio.NewReader(bytes.NewReader(msg))
	for {
		h, err := ReadHeader(br)
		if err != nil {
			return -1
		}
		if h.Tag != TagMarker || h.Length < 0 {
			return h.Tag
		}
		if _, err := br.Discard(int(min(h.Length, int64(len(msg))))); err != nil {
			return -1
		}
	}
}

// checkS2KCost checks the S2K specifier of a password packet (SKESK v4, v5
// or v6, RFC 9580 §5.3) and reports whether pkt is one. Other packets, and
// password packets too short to hold an S2K specifier, pass: they are the
// OpenPGP library's to refuse.
func checkS2KCost(pkt []byte) (skesk bool, err error) {
	h, err := ReadHeader(bufio.NewReader(bytes.NewReader(pkt)))
	if err != nil || h.Tag != TagSKESK {
		return false, nil
	}
	body := pkt[len(h.Raw):]
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
	if memExp > MaxArgon2MemoryExp || passes<<memExp > MaxArgon2Work {
		return true, fmt.Errorf("password packet asks for Argon2 with 2^%d KiB of memory and %d passes", memExp, passes)
	}
	return true, nil
}
