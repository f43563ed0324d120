package envelope

import (
	"crypto"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
)

// SealOptions tune Encrypt and Sign. The zero value is the default.
type SealOptions struct {
	// Hidden writes wildcard key IDs for all recipients, so the message
	// does not tell who it is for. Readers then try all their keys, and a
	// relay cannot route notifications by key ID.
	Hidden bool
	// Text marks the data as UTF-8 text in the literal packet and makes a
	// text-mode signature (line endings normalized).
	Text bool
	// FileName goes into the literal packet (not covered by the signature).
	FileName string
	// Passwords also let these passphrases decrypt the message.
	Passwords [][]byte
	// SessionKey, when set, is used instead of a fresh one (tests and the
	// Stateless OpenPGP interface).
	SessionKey []byte
	// Time is the signature and literal data time; zero means now.
	Time time.Time
}

func (o *SealOptions) config() *packet.Config {
	no := false
	c := &packet.Config{
		DefaultHash:            crypto.SHA256,
		DefaultCipher:          packet.CipherAES256,
		DefaultCompressionAlgo: packet.CompressionNone,
		// Intended-recipient fingerprints would break late recipients'
		// signature checks; see the package documentation.
		CheckIntendedRecipients: &no,
		AEADConfig:              &packet.AEADConfig{DefaultMode: packet.AEADModeOCB},
	}
	if o != nil && !o.Time.IsZero() {
		t := o.Time
		c.Time = func() time.Time { return t }
	}
	return c
}

func (o *SealOptions) hints() *openpgp.FileHints {
	h := &openpgp.FileHints{}
	if o != nil {
		h.IsUTF8 = o.Text
		h.FileName = o.FileName
		if !o.Time.IsZero() {
			h.ModTime = o.Time
		}
	}
	return h
}

// Encrypt returns a writer that encrypts what is written to it to the
// recipients (and signs it by signer, when signer is not nil). The author
// should be among the recipients to read their own post later. The
// ciphertext is a binary OpenPGP message written to w as the data flows;
// Close finishes it.
//
// The data packet is SEIPDv2 (AEAD) when every recipient's key asks for it
// (v6 personas) and SEIPDv1 otherwise, which is what gpg 2.2 reads.
func Encrypt(w io.Writer, to []*openpgp.Entity, signer *openpgp.Entity, opts *SealOptions) (io.WriteCloser, error) {
	if len(to) == 0 && (opts == nil || len(opts.Passwords) == 0) {
		return nil, newError("encrypt", ErrNoRecipient, nil)
	}
	config := opts.config()
	params := &openpgp.EncryptParams{Hints: opts.hints(), Config: config}
	if signer != nil {
		if err := checkSigner(signer, config); err != nil {
			return nil, err
		}
		params.Signers = []*openpgp.Entity{signer}
	}
	var visible, hidden []*openpgp.Entity
	if opts != nil {
		params.TextSig = opts.Text
		params.Passwords = opts.Passwords
		if len(opts.SessionKey) > 0 {
			params.SessionKey = append([]byte(nil), opts.SessionKey...)
		}
	}
	if opts != nil && opts.Hidden {
		hidden = to
	} else {
		visible = to
	}
	if len(visible)+len(hidden) == 0 {
		// Password only: SEIPDv1 and a v4 password packet, which every
		// tool reads (gpg 2.2 reads no v6 password packets). The first
		// password makes the session key; the others wrap it.
		config.AEADConfig = nil
		params.Passwords = opts.Passwords[1:]
		pw, err := openpgp.SymmetricallyEncryptWithParams(opts.Passwords[0], w, params)
		if err != nil {
			return nil, classifySeal("encrypt", err)
		}
		return pw, nil
	}
	pw, err := openpgp.EncryptWithParams(w, visible, hidden, params)
	if err != nil {
		return nil, classifySeal("encrypt", err)
	}
	return pw, nil
}

// Sign returns a writer that makes a signed, unencrypted message: a public
// post. Anyone can read it; the signature says who wrote it.
func Sign(w io.Writer, signer *openpgp.Entity, opts *SealOptions) (io.WriteCloser, error) {
	config := opts.config()
	if err := checkSigner(signer, config); err != nil {
		return nil, err
	}
	params := &openpgp.SignParams{Hints: opts.hints(), Config: config}
	if opts != nil {
		params.TextSig = opts.Text
	}
	pw, err := openpgp.SignWithParams(w, []*openpgp.Entity{signer}, params)
	if err != nil {
		return nil, classifySeal("sign", err)
	}
	return pw, nil
}

// checkSigner makes sure the signer has an unlocked signing key, so that a
// locked key fails up front with a clear error instead of after a stream
// was started.
func checkSigner(signer *openpgp.Entity, config *packet.Config) error {
	if signer == nil {
		return newError("sign", ErrNoSigner, nil)
	}
	key, ok := signer.SigningKey(config.Now(), config)
	if !ok || key.PrivateKey == nil {
		return newError("sign", ErrNoSigner, nil)
	}
	if key.PrivateKey.Encrypted {
		return newError("sign", ErrLocked, nil)
	}
	return nil
}

func classifySeal(op string, err error) error {
	if err == nil {
		return nil
	}
	if isKeySelection(err) {
		return newError(op, ErrNoRecipient, err)
	}
	return newError(op, ErrUnsupported, err)
}
