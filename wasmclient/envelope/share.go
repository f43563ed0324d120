package envelope

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

// SessionKey is the symmetric key of one message.
type SessionKey struct {
	// Cipher is the symmetric algorithm (for SEIPDv2 messages, the one the
	// data packet names).
	Cipher packet.CipherFunction
	Key    []byte
	// AEAD is set for SEIPDv2 messages, whose key packets are v6.
	AEAD bool
}

// String formats the key as the Stateless OpenPGP interface does:
// "<algorithm id>:<hex key>".
func (sk *SessionKey) String() string {
	return strconv.Itoa(int(sk.Cipher)) + ":" + strings.ToUpper(hex.EncodeToString(sk.Key))
}

// ParseSessionKey reads the "<algorithm id>:<hex key>" form.
func ParseSessionKey(s string) (*SessionKey, error) {
	algo, key, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return nil, errors.New("session key: want ALGO:HEX")
	}
	id, err := strconv.ParseUint(algo, 10, 8)
	if err != nil {
		return nil, fmt.Errorf("session key: bad algorithm %q", algo)
	}
	k, err := hex.DecodeString(key)
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	cf := packet.CipherFunction(id)
	if cf.KeySize() == 0 || cf.KeySize() != len(k) {
		return nil, fmt.Errorf("session key: %d bytes do not fit algorithm %d", len(k), id)
	}
	return &SessionKey{Cipher: cf, Key: k}, nil
}

// Share is a set of key packets that lets more recipients read a message
// whose data packet stays as it was. Share.Bytes followed by the message
// (or by any message with the same data packet) is a valid OpenPGP message.
type Share struct {
	Bytes      []byte
	Recipients []Recipient
}

// ListRecipients lists the recipients named by a message's key packets (and by
// any shares given), without decrypting anything.
func ListRecipients(msg io.Reader, shares ...[]byte) ([]Recipient, error) {
	in, err := binaryReader(io.MultiReader(append(readers(shares), msg)...))
	if err != nil {
		return nil, classify("audience", err)
	}
	s, err := pgppacket.SplitMessage(in)
	if err != nil {
		return nil, classifySplit("audience", err)
	}
	var out []Recipient
	for _, kp := range s.KeyPackets {
		if ek, ok := parseKeyPacket(kp).(*packet.EncryptedKey); ok {
			out = append(out, Recipient{KeyID: ek.KeyId, Hidden: ek.KeyId == 0})
		}
	}
	return out, nil
}

func readers(bs [][]byte) []io.Reader {
	out := make([]io.Reader, 0, len(bs)+1)
	for _, b := range bs {
		out = append(out, bytes.NewReader(b))
	}
	return out
}

func parseKeyPacket(raw []byte) packet.Packet {
	p, err := packet.Read(bytes.NewReader(raw))
	if err != nil {
		return nil
	}
	return p
}

func classifySplit(op string, err error) error {
	if errors.Is(err, pgppacket.ErrNotEncrypted) {
		return newError(op, ErrUnsupported, err)
	}
	return classify(op, err)
}

// RecoverSessionKey finds the session key of a message by decrypting one of
// its key packets (or a share's) with the keyring's unlocked keys. Only the
// head of msg is read; the data is not decrypted. The key packets' own
// integrity checks (key wrap) ensure the key is right.
func RecoverSessionKey(msg io.Reader, keyring openpgp.EntityList, shares ...[]byte) (*SessionKey, error) {
	in, err := binaryReader(msg)
	if err != nil {
		return nil, classify("share", err)
	}
	s, err := pgppacket.SplitMessage(io.MultiReader(append(readers(shares), in)...))
	if err != nil {
		return nil, classifySplit("share", err)
	}
	if s.DataTag != pgppacket.TagSEIPD {
		return nil, newError("share", ErrUnsupported, fmt.Errorf("data packet type %d", s.DataTag))
	}
	aead := s.SEIPDVersion == 2
	locked := false
	for _, kp := range s.KeyPackets {
		ek, ok := parseKeyPacket(kp).(*packet.EncryptedKey)
		if !ok {
			continue
		}
		for _, e := range keyring.EntitiesById(ek.KeyId) {
			for _, k := range e.DecryptionKeys(ek.KeyId, time.Time{}, nil) {
				if k.PrivateKey == nil {
					continue
				}
				if k.PrivateKey.Encrypted {
					locked = true
					continue
				}
				if err := ek.Decrypt(k.PrivateKey, nil); err != nil {
					continue
				}
				sk := &SessionKey{Cipher: ek.CipherFunc, Key: bytes.Clone(ek.Key), AEAD: aead}
				if aead {
					sk.Cipher = packet.CipherFunction(s.SEIPDCipher)
				}
				return sk, nil
			}
		}
	}
	if locked {
		return nil, newError("share", ErrLocked, nil)
	}
	return nil, newError("share", ErrNotForMe, nil)
}

// NewShare writes key packets for the session key to each recipient. The
// packets match the message's data packet: v3 key packets for SEIPDv1 and
// v6 ones for SEIPDv2. hidden writes wildcard key IDs.
func NewShare(sk *SessionKey, to []*openpgp.Entity, hidden bool) (*Share, error) {
	if sk == nil || len(sk.Key) == 0 {
		return nil, newError("share", ErrUnsupported, errors.New("no session key"))
	}
	if len(to) == 0 {
		return nil, newError("share", ErrNoRecipient, nil)
	}
	var buf bytes.Buffer
	share := &Share{}
	now := time.Now()
	for _, e := range to {
		key, err := e.EncryptionKeyWithError(now, nil)
		if err != nil {
			return nil, newError("share", ErrNoRecipient, err)
		}
		if err := packet.SerializeEncryptedKeyAEADwithHiddenOption(&buf, key.PublicKey, sk.Cipher, sk.AEAD, sk.Key, hidden, nil); err != nil {
			return nil, newError("share", ErrUnsupported, err)
		}
		id := key.PublicKey.KeyId
		if hidden {
			id = 0
		}
		share.Recipients = append(share.Recipients, Recipient{KeyID: id, Hidden: hidden})
	}
	share.Bytes = buf.Bytes()
	return share, nil
}

// AddRecipients makes a share that lets the new recipients read msg: it
// recovers the session key with keyring and wraps it to each of them. The
// data of msg is not read, let alone re-encrypted.
func AddRecipients(msg io.Reader, keyring openpgp.EntityList, to []*openpgp.Entity, hidden bool) (*Share, error) {
	sk, err := RecoverSessionKey(msg, keyring)
	if err != nil {
		return nil, err
	}
	return NewShare(sk, to, hidden)
}

// Join returns the message with the shares' key packets in front of it.
// msg may be ASCII-armored; the result is binary.
func Join(msg io.Reader, shares ...[]byte) (io.Reader, error) {
	in, err := binaryReader(msg)
	if err != nil {
		return nil, classify("join", err)
	}
	return io.MultiReader(append(readers(shares), in)...), nil
}

// withSessionKey rewrites a message so that a one-off password opens it with
// the given session key: its key packets are dropped and a password packet
// wrapping the session key takes their place. The recipients of the
// original key packets are recorded in res.
func withSessionKey(in io.Reader, sk *SessionKey, res *Result) (io.Reader, [][]byte, error) {
	s, err := pgppacket.SplitMessage(in)
	if err != nil {
		return nil, nil, classifySplit("decrypt", err)
	}
	for _, kp := range s.KeyPackets {
		if ek, ok := parseKeyPacket(kp).(*packet.EncryptedKey); ok {
			res.Recipients = append(res.Recipients, Recipient{KeyID: ek.KeyId, Hidden: ek.KeyId == 0})
		} else {
			res.Passwords++
		}
	}
	aead := s.SEIPDVersion == 2
	password := make([]byte, 32)
	if _, err := rand.Read(password); err != nil {
		return nil, nil, err
	}
	cipher := sk.Cipher
	if aead {
		cipher = packet.CipherFunction(s.SEIPDCipher)
	}
	config := &packet.Config{
		DefaultCipher: cipher,
		// The password is random and used once: no need to stretch it.
		S2KConfig:  &s2k.Config{S2KMode: s2k.IteratedSaltedS2K, S2KCount: 1024},
		AEADConfig: &packet.AEADConfig{DefaultMode: packet.AEADModeOCB},
	}
	var head bytes.Buffer
	if err := packet.SerializeSymmetricKeyEncryptedAEADReuseKey(&head, sk.Key, password, aead, config); err != nil {
		return nil, nil, newError("decrypt", ErrUnsupported, err)
	}
	return io.MultiReader(&head, s.Data), [][]byte{password}, nil
}
