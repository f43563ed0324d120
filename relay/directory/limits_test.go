package directory

import (
	"bytes"
	//lint:ignore SA1019 the test builds a hostile DSA key
	"crypto/dsa"
	"crypto/rand"
	"encoding/binary"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/veilsocial/veil/relay/api"
)

// randBits returns a random odd number of exactly n bits.
func randBits(t *testing.T, n int) *big.Int {
	t.Helper()
	b := make([]byte, n/8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	b[0] |= 0x80
	b[len(b)-1] |= 1
	return new(big.Int).SetBytes(b)
}

func mpi(x *big.Int) []byte {
	out := binary.BigEndian.AppendUint16(nil, uint16(x.BitLen()))
	return append(out, x.Bytes()...)
}

// newPacket frames a body as a new-format packet.
func newPacket(tag byte, body []byte) []byte {
	out := []byte{0xc0 | tag, 255}
	out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
	return append(out, body...)
}

// hugeDSAKey is a v4 DSA key with p and q of n bits, a user ID and n
// signature packets that claim to be its self-signatures. Checking one
// would take two modular exponentiations with n-bit exponents and moduli.
func hugeDSAKey(t *testing.T, bits, sigs int) []byte {
	t.Helper()
	p, q := randBits(t, bits), randBits(t, bits)
	pub := &dsa.PublicKey{Parameters: dsa.Parameters{P: p, Q: q, G: randBits(t, bits-8)}, Y: randBits(t, bits-8)}
	pk := packet.NewDSAPublicKey(time.Now(), pub)
	var buf bytes.Buffer
	if err := pk.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	if err := packet.NewUserId("Big", "", "big@example.org").Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	for range sigs {
		body := []byte{4, byte(packet.SigTypePositiveCert), byte(packet.PubKeyAlgoDSA), 8} // SHA-256
		hashed := []byte{5, 2}                                                             // creation time
		hashed = binary.BigEndian.AppendUint32(hashed, uint32(time.Now().Unix()))
		hashed = append(hashed, 22, 33, 4)
		hashed = append(hashed, pk.Fingerprint...)
		body = binary.BigEndian.AppendUint16(body, uint16(len(hashed)))
		body = append(body, hashed...)
		unhashed := []byte{9, 16}
		unhashed = binary.BigEndian.AppendUint64(unhashed, pk.KeyId)
		body = binary.BigEndian.AppendUint16(body, uint16(len(unhashed)))
		body = append(body, unhashed...)
		body = append(body, 0, 0) // hash tag
		r := new(big.Int).Rsh(q, 1)
		body = append(body, mpi(r)...)
		body = append(body, mpi(r)...)
		buf.Write(newPacket(2, body))
	}
	return buf.Bytes()
}

func TestHugeKeysRefusedQuickly(t *testing.T) {
	d := newDir(t, Options{})
	key := hugeDSAKey(t, 8192, 6)
	if len(key) > DefaultMaxKeySize {
		t.Fatalf("setup: %d bytes", len(key))
	}
	start := time.Now()
	_, err := d.Submit(ctx, key)
	elapsed := time.Since(start)
	wantAPIError(t, "huge DSA key", err, ErrBadKey, http.StatusUnprocessableEntity, api.CodeBadKey)
	if elapsed > time.Second {
		t.Fatalf("refusing a huge key took %v", elapsed)
	}
	t.Logf("refused in %v", elapsed)
}
