package relay

import (
	"errors"
	"io"
	"testing"

	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

// FuzzValidator: the upload validator accepts exactly the whole OpenPGP
// messages that are encrypted or signed, however the body is cut into reads,
// and never panics.
func FuzzValidator(f *testing.F) {
	f.Add(fakeMessage(64), uint8(7))
	f.Add([]byte{0xcb, 0x08, 'b', 0, 0, 0, 0, 0, 'h', 'i'}, uint8(1))                            // literal: plaintext
	f.Add([]byte{0xc4, 0x01, 0x03, 0xcb, 0x03, 'b', 0, 0, 0xc2, 0x01, 0x04}, uint8(2))           // signed
	f.Add([]byte{0xc1, 0x02, 0x03, 0x00, 0xd2, 0xe0, 0x01, 0x01, 0x00}, uint8(3))                // partial lengths
	f.Add([]byte("-----BEGIN PGP MESSAGE-----\n\nwcBMA\n-----END PGP MESSAGE-----\n"), uint8(5)) // armor is not accepted
	f.Fuzz(func(t *testing.T, body []byte, cut uint8) {
		v := newValidator(&chunked{data: body, size: int(cut)%37 + 1})
		_, err := io.Copy(io.Discard, v)
		kind, ok := pgppacket.Kind(body)
		accept := ok && kind != pgppacket.Literal
		if accept != (err == nil) {
			t.Fatalf("validator err=%v, but Kind says %v %v", err, kind, ok)
		}
		if err != nil && !errors.Is(err, errNotOpenPGP) && !errors.Is(err, errPlaintext) {
			t.Fatalf("unexpected error %v", err)
		}
		if err == nil && kind == pgppacket.Encrypted {
			v.recipients() // must not panic on any accepted head
		}
	})
}

// chunked reads data in pieces of size bytes.
type chunked struct {
	data []byte
	size int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.size)], c.data)
	c.data = c.data[n:]
	return n, nil
}
