package directory

import (
	"strings"
	"unicode"
)

// normalizeHex strips spaces and a 0x prefix and upper-cases s; ok is false
// if what is left is not all hex digits.
func normalizeHex(s string) (string, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	s = strings.ToUpper(s)
	if s == "" {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return "", false
		}
	}
	return s, true
}

// normalizeFingerprint accepts a v4 (40 hex digits) or v6 (64) fingerprint.
func normalizeFingerprint(s string) (string, bool) {
	h, ok := normalizeHex(s)
	if !ok || (len(h) != 40 && len(h) != 64) {
		return "", false
	}
	return h, true
}

// normalizeKeyID accepts a 64-bit key ID (16 hex digits).
func normalizeKeyID(s string) (string, bool) {
	h, ok := normalizeHex(s)
	if !ok || len(h) != 16 {
		return "", false
	}
	return h, true
}

// keyIDOfFingerprint derives the key ID from a fingerprint: the low 64 bits
// of a v4 fingerprint, the high 64 bits of a v6 one.
func keyIDOfFingerprint(fp string) string {
	if len(fp) == 64 {
		return fp[:16]
	}
	return fp[len(fp)-16:]
}

// normalizeEmail returns an address in the form the indexes use: no angle
// brackets, ASCII lower case (as gpg compares mailboxes). ok is false for
// anything that is not local@domain.
func normalizeEmail(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > 320 {
		return "", false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '<' || r == '>' {
			return "", false
		}
	}
	return asciiLower(s), true
}

// asciiLower lower-cases ASCII letters only (what WKD and gpg do).
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// zbase32Alphabet is the human-oriented base-32 alphabet of
// https://philzimmermann.com/docs/human-oriented-base-32-encoding.txt.
const zbase32Alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769"

// zbase32 encodes b in z-base-32, most significant bits first, without
// padding (WKD hashes 20 bytes into 32 characters).
func zbase32(b []byte) string {
	var out strings.Builder
	out.Grow((len(b)*8 + 4) / 5)
	var acc uint32
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out.WriteByte(zbase32Alphabet[(acc>>uint(bits))&31])
		}
		acc &= 1<<uint(bits) - 1
	}
	if bits > 0 {
		out.WriteByte(zbase32Alphabet[(acc<<uint(5-bits))&31])
	}
	return out.String()
}
