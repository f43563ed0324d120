package eth

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/secp256k1"
	"github.com/consensys/gnark-crypto/ecc/secp256k1/fp"
	"github.com/consensys/gnark-crypto/ecc/secp256k1/fr"
)

// PrivateKey is a secp256k1 private key and the address it controls.
type PrivateKey struct {
	d    fr.Element
	addr Address
}

// SignatureSize is the length of a signature: r ‖ s ‖ v.
const SignatureSize = 65

// GenerateKey makes a new random key.
func GenerateKey() (*PrivateKey, error) {
	var b [fr.Bytes]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		if k, err := PrivateKeyFromBytes(b[:]); err == nil {
			return k, nil
		}
	}
}

// PrivateKeyFromBytes reads a key: 32 bytes, big-endian, a number from 1 to
// the curve order less one.
func PrivateKeyFromBytes(b []byte) (*PrivateKey, error) {
	k := &PrivateKey{}
	if err := k.d.SetBytesCanonical(b); err != nil || k.d.IsZero() {
		return nil, errors.New("eth: invalid private key")
	}
	var d big.Int
	var pub secp256k1.G1Jac
	pub.ScalarMultiplicationBase(k.d.BigInt(&d))
	var a secp256k1.G1Affine
	a.FromJacobian(&pub)
	k.addr = pointAddress(&a)
	return k, nil
}

// ParsePrivateKey reads a key as 64 hex digits, with or without 0x. The
// error does not repeat the input.
func ParsePrivateKey(s string) (*PrivateKey, error) {
	digits := strings.TrimPrefix(strings.TrimSpace(s), "0x")
	if len(digits) != 2*fr.Bytes || !isHex(digits) {
		return nil, errors.New("eth: invalid private key: want 64 hex digits")
	}
	b, _ := hex.DecodeString(digits)
	return PrivateKeyFromBytes(b)
}

// Bytes is the key as 32 big-endian bytes.
func (k *PrivateKey) Bytes() []byte {
	b := k.d.Bytes()
	return b[:]
}

// Hex is the key as 0x and 64 hex digits, the form wallets import.
func (k *PrivateKey) Hex() string { return encodeData(k.Bytes()) }

// Address is the account the key controls.
func (k *PrivateKey) Address() Address { return k.addr }

// pointAddress is the address of a public key: the last 20 bytes of the
// Keccak-256 of its coordinates.
func pointAddress(p *secp256k1.G1Affine) Address {
	x, y := p.X.Bytes(), p.Y.Bytes()
	h := Keccak256(x[:], y[:])
	var a Address
	copy(a[:], h[12:])
	return a
}

// Sign signs a 32-byte hash: r ‖ s ‖ v, with s in the lower half of the
// order and v the recovery ID, 0 or 1. The nonce is RFC 6979's
// (HMAC-SHA256), so a key signs a hash the same way every time, as
// go-ethereum's signer does.
func (k *PrivateKey) Sign(hash Hash) []byte {
	var e fr.Element
	e.SetBytes(hash[:]) // reduced mod n: RFC 6979's bits2octets
	d := k.d.Bytes()
	h := e.Bytes()
	nonces := newRFC6979(d[:], h[:])
	for {
		kb := nonces.next()
		var kk fr.Element
		if kk.SetBytesCanonical(kb) != nil || kk.IsZero() {
			continue
		}
		var kbig big.Int
		var rj secp256k1.G1Jac
		rj.ScalarMultiplicationBase(kk.BigInt(&kbig))
		var R secp256k1.G1Affine
		R.FromJacobian(&rj)
		rx := R.X.Bytes()
		var r fr.Element
		// r = R.x mod n; an R.x at or above n would need a recovery ID of 2
		// or 3, which Ethereum's v cannot carry: take the next nonce (this
		// happens with probability about 2^-128).
		if r.SetBytesCanonical(rx[:]) != nil || r.IsZero() {
			continue
		}
		var s, kinv fr.Element
		s.Mul(&r, &k.d).Add(&s, &e).Mul(&s, kinv.Inverse(&kk))
		if s.IsZero() {
			continue
		}
		ry := R.Y.Bytes()
		v := ry[31] & 1
		if s.LexicographicallyLargest() { // s > n/2: use n - s, which flips R's y
			s.Neg(&s)
			v ^= 1
		}
		sig := make([]byte, 0, SignatureSize)
		rb, sb := r.Bytes(), s.Bytes()
		sig = append(append(append(sig, rb[:]...), sb[:]...), v)
		return sig
	}
}

// rfc6979 draws the nonce candidates of RFC 6979 section 3.2 for a 256-bit
// order with HMAC-SHA256.
type rfc6979 struct {
	k, v  []byte
	first bool
}

func newRFC6979(key, hash []byte) *rfc6979 {
	g := &rfc6979{k: make([]byte, 32), v: bytes.Repeat([]byte{1}, 32), first: true}
	g.k = g.mac(g.v, []byte{0}, key, hash)
	g.v = g.mac(g.v)
	g.k = g.mac(g.v, []byte{1}, key, hash)
	g.v = g.mac(g.v)
	return g
}

func (g *rfc6979) mac(parts ...[]byte) []byte {
	m := hmac.New(sha256.New, g.k)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// next returns the next candidate (step h: after a refused candidate K and V
// are stirred first).
func (g *rfc6979) next() []byte {
	if !g.first {
		g.k = g.mac(g.v, []byte{0})
		g.v = g.mac(g.v)
	}
	g.first = false
	g.v = g.mac(g.v)
	return g.v
}

// Recover returns the address whose key made sig (r ‖ s ‖ v, v 0 or 1, or
// 27 or 28 as personal_sign writes it) over hash. Any s is taken, as
// Ethereum's ecrecover takes it.
func Recover(hash Hash, sig []byte) (Address, error) {
	if len(sig) != SignatureSize {
		return Address{}, errors.New("eth: a signature is 65 bytes")
	}
	v := sig[64]
	if v >= 27 {
		v -= 27
	}
	var r, s fr.Element
	if v > 1 || r.SetBytesCanonical(sig[:32]) != nil || s.SetBytesCanonical(sig[32:64]) != nil || r.IsZero() || s.IsZero() {
		return Address{}, errors.New("eth: malformed signature")
	}
	// R is the point with x = r (r < n < p) and y of v's parity.
	var R secp256k1.G1Affine
	R.X.SetBytes(sig[:32])
	var y2 fp.Element
	y2.Square(&R.X).Mul(&y2, &R.X).Add(&y2, new(fp.Element).SetUint64(7))
	if R.Y.Sqrt(&y2) == nil {
		return Address{}, errors.New("eth: signature has no point for r")
	}
	if y := R.Y.Bytes(); y[31]&1 != v {
		R.Y.Neg(&R.Y)
	}
	// Q = r⁻¹(s·R − e·G)
	var e, rinv, u1, u2 fr.Element
	e.SetBytes(hash[:])
	rinv.Inverse(&r)
	u1.Mul(&e, &rinv).Neg(&u1)
	u2.Mul(&s, &rinv)
	var b1, b2 big.Int
	var qj secp256k1.G1Jac
	qj.JointScalarMultiplicationBase(&R, u1.BigInt(&b1), u2.BigInt(&b2))
	var Q secp256k1.G1Affine
	Q.FromJacobian(&qj)
	if Q.IsInfinity() {
		return Address{}, errors.New("eth: signature recovers no key")
	}
	return pointAddress(&Q), nil
}
