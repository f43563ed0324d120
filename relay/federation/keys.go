package federation

import (
	"bytes"
	//lint:ignore SA1019 DSA keys exist in the wild; only their size is read
	"crypto/dsa"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

// OpenPGP packet tags of secret keys.
const (
	tagSecretKey    = 5
	tagSecretSubkey = 7
)

// Size caps of finite-field keys in a record (what the directory accepts),
// so that checking a record's signatures stays cheap.
const (
	maxKeyBits  = 16384
	maxDSABits  = 3072
	maxDSAQBits = 256
)

// checkKey checks a key record's key: one OpenPGP public key, armored or
// binary, no secret key material anywhere, and a primary key with a valid
// self-signature. A revoked key passes (its revocation is news the network
// must carry); expiry is not checked (the directory keeps expired keys).
func checkKey(data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("%w: empty", ErrBadKey)
	}
	if len(data) > MaxKeySize {
		return fmt.Errorf("%w: over %d bytes", ErrTooLarge, MaxKeySize)
	}
	bin := data
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("-----BEGIN ")) {
		block, err := armor.Decode(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%w: bad armor", ErrBadKey)
		}
		if block.Type != openpgp.PublicKeyType {
			return fmt.Errorf("%w: armor type %q", ErrBadKey, block.Type)
		}
		if bin, err = io.ReadAll(io.LimitReader(block.Body, MaxKeySize+1)); err != nil {
			return fmt.Errorf("%w: bad armor", ErrBadKey)
		}
	}
	// Exact framing, and no secret key packet, whatever the parser below
	// would make of them.
	for rest := bin; len(rest) > 0; {
		tag, next, ok := pgppacket.Next(rest)
		if !ok {
			return fmt.Errorf("%w: broken packet framing", ErrBadKey)
		}
		if tag == tagSecretKey || tag == tagSecretSubkey {
			return fmt.Errorf("%w: holds secret key material", ErrBadKey)
		}
		rest = next
	}
	el, err := persona.ReadKeys(bin)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	if len(el) != 1 {
		return fmt.Errorf("%w: %d keys in one record", ErrBadKey, len(el))
	}
	e := el[0]
	if e.PrivateKey != nil {
		return fmt.Errorf("%w: holds secret key material", ErrBadKey)
	}
	if err := keySize(e.PrimaryKey); err != nil {
		return err
	}
	for _, sk := range e.Subkeys {
		if sk.PrivateKey != nil {
			return fmt.Errorf("%w: holds secret key material", ErrBadKey)
		}
		if err := keySize(sk.PublicKey); err != nil {
			return err
		}
	}
	if _, err := e.VerifyPrimaryKey(time.Time{}, nil); err != nil && !errors.Is(err, pgperrors.ErrKeyRevoked) {
		return fmt.Errorf("%w: no valid self-signature", ErrBadKey)
	}
	return nil
}

func keySize(pk *packet.PublicKey) error {
	if pk == nil {
		return fmt.Errorf("%w: missing key packet", ErrBadKey)
	}
	bits, err := pk.BitLength()
	if err != nil {
		return nil // not a finite-field key
	}
	if int(bits) > maxKeyBits {
		return fmt.Errorf("%w: %d-bit key (at most %d)", ErrBadKey, bits, maxKeyBits)
	}
	if k, ok := pk.PublicKey.(*dsa.PublicKey); ok {
		if int(bits) > maxDSABits || k.Q == nil || k.Q.BitLen() > maxDSAQBits {
			return fmt.Errorf("%w: DSA key over %d/%d bits", ErrBadKey, maxDSABits, maxDSAQBits)
		}
	}
	return nil
}
