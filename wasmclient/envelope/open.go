package envelope

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/pgppacket"

	"github.com/veilsocial/veil/wasmclient/spool"
)

// OpenOptions tell Decrypt what it may use.
type OpenOptions struct {
	// Keyring holds the secret keys to decrypt with (unlocked) and the
	// public keys of people whose signatures should be checked.
	Keyring openpgp.EntityList
	// Passwords are tried on password-encrypted messages.
	Passwords [][]byte
	// SessionKey decrypts the message directly, without any key packet.
	SessionKey *SessionKey
	// KeepSessionKey returns the session key in the Result, so recipients
	// can be added later without decrypting a key packet again.
	KeepSessionKey bool
	// MaxSize caps the plaintext (and decompression); 0 means no cap.
	MaxSize int64
	// MemLimit is how much plaintext is held in memory while it waits for
	// authentication before the rest goes to a temporary file in TempDir
	// (default 8 MiB; TempDir "" is the system's).
	MemLimit int64
	TempDir  string
	// Time is when signatures are checked; zero means now.
	Time time.Time
}

// Recipient is one key packet of a message: who it is encrypted to.
type Recipient struct {
	KeyID  uint64 // 0 for a hidden recipient
	Hidden bool
}

// SigStatus is the outcome of checking one signature.
type SigStatus int

const (
	// SigGood: the signature verifies with a known key.
	SigGood SigStatus = iota + 1
	// SigUnknownSigner: the signer's key is not in the keyring.
	SigUnknownSigner
	// SigBad: the signer's key is known and the signature does not verify
	// (or the key is expired or revoked). Decrypt fails with
	// ErrBadSignature when any signature is bad.
	SigBad
)

func (s SigStatus) String() string {
	switch s {
	case SigGood:
		return "good"
	case SigUnknownSigner:
		return "unknown signer"
	case SigBad:
		return "bad"
	}
	return "unsigned"
}

// Signature describes one signature on a message.
type Signature struct {
	Status SigStatus
	// Signer is the signing entity when its key is known.
	Signer *openpgp.Entity
	// Fingerprint is the signer's primary key fingerprint (upper-case
	// hex) when known; SigningKey is the fingerprint of the key that
	// made the signature (a subkey or the primary).
	Fingerprint string
	SigningKey  string
	// IssuerKeyID is the key ID the signature names.
	IssuerKeyID uint64
	Created     time.Time
	Text        bool
	Err         error // why a signature is bad
}

// Result is what Decrypt learned about a message.
type Result struct {
	// Encrypted is false for a public (signed-only) message.
	Encrypted bool
	// Recipients lists the message's key packets, in order.
	Recipients []Recipient
	// Passwords counts password (SKESK) packets.
	Passwords int
	// DecryptedWith is the entity whose key opened the message (nil when a
	// password or session key did).
	DecryptedWith *openpgp.Entity
	// SessionKey is set when OpenOptions.KeepSessionKey was.
	SessionKey *SessionKey
	// Signatures lists every signature; Signed is true when there is one.
	Signatures []Signature
	Signed     bool
	// FileName and Text are from the literal data packet.
	FileName string
	Text     bool
	Size     int64
}

// Verified returns the first good signature, if any.
func (r *Result) Verified() (Signature, bool) {
	for _, s := range r.Signatures {
		if s.Status == SigGood {
			return s, true
		}
	}
	return Signature{}, false
}

var errPromptLocked = errors.New("locked")

// Decrypt reads an OpenPGP message (binary or ASCII-armored), decrypts it
// if it is encrypted, checks its signatures, and writes the plaintext to w
// only after the whole message has been authenticated. On any error
// nothing has been written to w.
func Decrypt(r io.Reader, w io.Writer, opts *OpenOptions) (*Result, error) {
	if opts == nil {
		opts = &OpenOptions{}
	}
	in, err := binaryReader(r)
	if err != nil {
		return nil, classify("decrypt", err)
	}
	fr := pgppacket.NewFraming(in)
	in = fr
	res := &Result{}
	passwords := opts.Passwords
	if opts.SessionKey != nil {
		in, passwords, err = withSessionKey(in, opts.SessionKey, res)
		if err != nil {
			return nil, err
		}
	} else if len(passwords) > 0 {
		// The message's password packets choose the cost of trying a
		// password; refuse the ones that would exhaust memory or time.
		in, err = pgppacket.CheckPasswordPackets(in)
		if errors.Is(err, pgppacket.ErrTooCostly) {
			return nil, newError("decrypt", ErrUnsupported, err)
		}
		if err != nil {
			return nil, classify("decrypt", err)
		}
	}
	no := false
	config := &packet.Config{
		CheckIntendedRecipients: &no,
		CacheSessionKey:         opts.KeepSessionKey,
	}
	if !opts.Time.IsZero() {
		t := opts.Time
		config.Time = func() time.Time { return t }
	}
	if opts.MaxSize > 0 {
		m := opts.MaxSize
		config.MaxDecompressedMessageSize = &m
	}
	next := 0
	prompt := func(keys []openpgp.Key, symmetric bool) ([]byte, error) {
		if symmetric && next < len(passwords) {
			next++
			return passwords[next-1], nil
		}
		if len(keys) > 0 {
			return nil, errPromptLocked
		}
		return nil, pgperrors.ErrKeyIncorrect
	}
	md, err := openpgp.ReadMessage(in, opts.Keyring, prompt, config)
	if err != nil {
		if errors.Is(err, errPromptLocked) {
			return nil, newError("decrypt", ErrLocked, nil)
		}
		if next > 0 && errors.Is(err, pgperrors.ErrKeyIncorrect) {
			return nil, newError("decrypt", ErrNotForMe, errors.New("no password matched"))
		}
		return nil, classify("decrypt", err)
	}
	res.Encrypted = md.IsEncrypted
	if opts.SessionKey == nil {
		for _, id := range md.EncryptedToKeyIds {
			res.Recipients = append(res.Recipients, Recipient{KeyID: id, Hidden: id == 0})
		}
		if md.IsSymmetricallyEncrypted {
			res.Passwords = 1 // the library does not count them
		}
	}
	if md.DecryptedWith.Entity != nil {
		res.DecryptedWith = md.DecryptedWith.Entity
	}
	if md.LiteralData != nil {
		res.FileName = md.LiteralData.FileName
		res.Text = !md.LiteralData.IsBinary
	}

	memLimit := opts.MemLimit
	if memLimit <= 0 {
		memLimit = 8 << 20
	}
	sp := spool.New(memLimit, opts.TempDir)
	defer sp.Close()
	body := md.UnverifiedBody
	if opts.MaxSize > 0 {
		body = io.LimitReader(body, opts.MaxSize+1)
	}
	n, err := io.Copy(sp, body)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("decrypt: cannot hold plaintext while it is checked: %w", err)
		}
		return nil, classify("decrypt", err)
	}
	if opts.MaxSize > 0 && n > opts.MaxSize {
		return nil, newError("decrypt", ErrTooLarge, fmt.Errorf("more than %d bytes", opts.MaxSize))
	}
	res.Size = n
	if err := fr.Finish(); err != nil {
		return nil, classify("decrypt", err)
	}
	if !md.IsSigned && md.SignatureError != nil {
		return nil, classify("decrypt", md.SignatureError)
	}
	if opts.KeepSessionKey && len(md.SessionKey) > 0 {
		res.SessionKey = &SessionKey{Cipher: md.DecryptedWithAlgorithm, Key: bytes.Clone(md.SessionKey)}
	} else if opts.SessionKey != nil {
		res.SessionKey = opts.SessionKey
	}
	if err := checkSignatures(md, res); err != nil {
		return nil, err
	}
	if _, err := sp.WriteTo(w); err != nil {
		return nil, fmt.Errorf("decrypt: failed to write plaintext: %w", err)
	}
	return res, nil
}

// checkSignatures fills res.Signatures and fails if any signature by a
// known key is bad.
func checkSignatures(md *openpgp.MessageDetails, res *Result) error {
	res.Signed = md.IsSigned
	if !md.IsSigned {
		return nil
	}
	var bad error
	for _, c := range md.SignatureCandidates {
		s := Signature{IssuerKeyID: c.IssuerKeyId, Text: c.SigType == packet.SigTypeText}
		if sig := c.CorrespondingSig; sig != nil {
			s.Created = sig.CreationTime
			if sig.IssuerKeyId != nil {
				s.IssuerKeyID = *sig.IssuerKeyId
			}
			s.Text = sig.SigType == packet.SigTypeText
		}
		switch {
		case c.SignedBy == nil && (c.SignatureError == nil || errors.Is(c.SignatureError, pgperrors.ErrUnknownIssuer)):
			s.Status = SigUnknownSigner
		case c.SignatureError == nil && c.CorrespondingSig != nil:
			s.Status = SigGood
		default:
			s.Status = SigBad
			s.Err = c.SignatureError
			if s.Err == nil {
				s.Err = errors.New("signature packet missing")
			}
			bad = s.Err
		}
		if c.SignedBy != nil {
			s.Signer = c.SignedBy.Entity
			s.SigningKey = hexFingerprint(c.SignedBy.PublicKey.Fingerprint)
			if c.SignedBy.Entity != nil {
				s.Fingerprint = hexFingerprint(c.SignedBy.Entity.PrimaryKey.Fingerprint)
			}
		}
		res.Signatures = append(res.Signatures, s)
	}
	if len(md.SignatureCandidates) == 0 && md.SignatureError != nil {
		bad = md.SignatureError
	}
	if bad != nil {
		return newError("verify", ErrBadSignature, bad)
	}
	return nil
}

func hexFingerprint(fp []byte) string { return fmt.Sprintf("%X", fp) }
