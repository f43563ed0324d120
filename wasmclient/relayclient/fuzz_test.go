package relayclient

import (
	"crypto/ed25519"
	"errors"
	"testing"
)

// FuzzVerifyShareSignature feeds the relay's share check what a client
// sends: it must refuse anything but a good signature, and never panic.
func FuzzVerifyShareSignature(f *testing.F) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	c := BlobCID([]byte("post")).String()
	body := []byte{0xc1, 0x0e, 0x03}
	header := ShareKeyHeader(key.Public().(ed25519.PublicKey))
	f.Add(header, ShareSignature(key, c, body), c, body)
	f.Add("ed25519:", "", c, []byte(nil))
	f.Add("ed25519:====", "====", "bafkqaaa", []byte("x"))
	f.Fuzz(func(t *testing.T, header, sig, c string, body []byte) {
		err := VerifyShareSignature(header, sig, c, body)
		if err != nil && !errors.Is(err, ErrBadShareSignature) {
			t.Fatalf("error %v does not wrap ErrBadShareSignature", err)
		}
		if err == nil {
			pub, perr := ParseShareKey(header)
			if perr != nil || len(pub) != ed25519.PublicKeySize {
				t.Fatalf("verified with a header ParseShareKey refuses: %v", perr)
			}
		}
	})
}
