package eth

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzHexDecoding feeds JSON-RPC's hex forms to their decoders: whatever
// they take must be a quantity or data, and write back the same.
func FuzzHexDecoding(f *testing.F) {
	for _, s := range []string{"0x0", "0x00", "0x1", "0xff", "0XAB", "0x", "0x-1", "0x+1", "0x1_0", "12", "0x" + strings.Repeat("f", 64), "0x" + strings.Repeat("f", 65), "0x" + strings.Repeat("0", 70) + "1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		digits, prefixed := strings.CutPrefix(strings.Replace(s, "0X", "0x", 1), "0x")
		if n, err := decodeBig(s); err == nil {
			if !prefixed || digits == "" || !isHex(digits) || n.Sign() < 0 || n.BitLen() > 256 {
				t.Fatalf("decodeBig(%q) = %v", s, n)
			}
			want := strings.TrimLeft(strings.ToLower(digits), "0")
			if want == "" {
				want = "0"
			}
			if got := encodeBig(n); got != "0x"+want {
				t.Fatalf("decodeBig(%q) writes back as %s", s, got)
			}
			if u, err := decodeUint(s); err == nil && (!n.IsUint64() || u != n.Uint64() || encodeUint(u) != "0x"+want) {
				t.Fatalf("decodeUint(%q) = %d", s, u)
			} else if err != nil && n.IsUint64() {
				t.Fatalf("decodeUint(%q): %v", s, err)
			}
		} else if _, err := decodeUint(s); err == nil {
			t.Fatalf("decodeUint(%q) took what decodeBig refused", s)
		}
		if b, err := decodeHexData(s); err == nil {
			if !prefixed || len(digits)%2 != 0 || encodeData(b) != "0x"+strings.ToLower(digits) {
				t.Fatalf("decodeHexData(%q) = %x", s, b)
			}
			if h, err := ParseHash(s); (err == nil) != (len(b) == 32) || err == nil && !bytes.Equal(h[:], b) {
				t.Fatalf("ParseHash(%q) = %s, %v", s, h, err)
			}
			if n, err := DecodeUint256(b); (err == nil) != (len(b) == 32) || err == nil && n.Sign() < 0 {
				t.Fatalf("DecodeUint256(%x) = %v, %v", b, n, err)
			}
		}
	})
}
