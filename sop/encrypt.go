package sop

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/envelope"

	"github.com/veilsocial/veil/wasmclient/spool"
)

func runEncrypt(inv *invocation, args []string) error {
	fs := inv.flags()
	noArmor := fs.Bool("no-armor", false, "write a binary message")
	as := fs.String("as", "binary", "mark the data as `binary|text`")
	profile := fs.String("profile", "default", "encryption `PROFILE` (see list-profiles encrypt)")
	sessionKeyOut := fs.String("session-key-out", "", "write the session key to `SESSIONKEY`")
	var passwords, signWith, keyPasswords listFlag
	fs.Var(&passwords, "with-password", "also encrypt with `PASSWORD` (repeatable)")
	fs.Var(&signWith, "sign-with", "sign with the secret key in `KEYS`")
	fs.Var(&keyPasswords, "with-key-password", "unlock the signing keys with `PASSWORD` (repeatable)")
	certNames, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	mode, err := parseMode(*as, "binary", "text")
	if err != nil {
		return err
	}
	if err := checkProfile("encrypt", *profile); err != nil {
		return err
	}
	if len(certNames) == 0 && len(passwords) == 0 {
		return fail(MissingArg, "no CERTS and no --with-password to encrypt to")
	}
	if err := checkOutput(*sessionKeyOut); err != nil {
		return err
	}

	opts := &envelope.SealOptions{Text: mode == "text"}
	for _, n := range passwords {
		pw, err := readNewPassword(n)
		if err != nil {
			return err
		}
		opts.Passwords = append(opts.Passwords, pw)
	}
	certs, err := readCerts(certNames)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, c := range certs {
		if _, err := c.EncryptionKeyWithError(now, nil); err != nil {
			return fail(CertCannotEncrypt, "certificate %X cannot encrypt: %v", c.PrimaryKey.Fingerprint, err)
		}
	}
	var signer *openpgp.Entity
	if len(signWith) > 0 {
		keys, err := loadSigners(signWith, keyPasswords, signConfig())
		if err != nil {
			return err
		}
		if len(keys) > 1 {
			return fail(UnsupportedOption, "--sign-with: signing with more than one key is not supported")
		}
		signer = keys[0]
	}

	cipher, aead, err := sessionCipher(certs, now)
	if err != nil {
		return fail(CertCannotEncrypt, "%v", err)
	}
	var sk *envelope.SessionKey
	if *sessionKeyOut != "" {
		sk = &envelope.SessionKey{Cipher: cipher, Key: make([]byte, cipher.KeySize()), AEAD: aead}
		if _, err := rand.Read(sk.Key); err != nil {
			return err
		}
		opts.SessionKey = sk.Key
	}

	// Text must be checked to the end before the message counts: hold
	// the ciphertext (never the plaintext) until then.
	var out io.Writer = inv.stdout
	var held *spool.Spool
	in := inv.stdin
	var text *utf8Check
	if mode == "text" {
		held = spool.New(0, "")
		defer held.Close()
		out = held
		text = &utf8Check{r: in}
		in = text
	}
	aw := autoArmorer(out, !*noArmor)
	w, err := envelope.Encrypt(aw, certs, signer, opts)
	if err != nil {
		return sealError(err)
	}
	if _, err := io.Copy(w, in); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return sealError(err)
	}
	if err := aw.Close(); err != nil {
		return err
	}
	if text != nil && !text.valid() {
		return fail(ExpectedText, "--as=text: input is not UTF-8 text")
	}
	if held != nil {
		if _, err := io.Copy(inv.stdout, held.Reader()); err != nil {
			return err
		}
	}
	if sk != nil {
		return writeOutput(*sessionKeyOut, []byte(sk.String()+"\n"))
	}
	return nil
}

// sealError maps envelope's failures to encrypt or sign to exit codes.
func sealError(err error) error {
	switch {
	case errors.Is(err, envelope.ErrNoRecipient):
		return withCode(CertCannotEncrypt, err)
	case errors.Is(err, envelope.ErrLocked):
		return withCode(KeyIsProtected, err)
	case errors.Is(err, envelope.ErrNoSigner):
		return withCode(KeyCannotSign, err)
	case errors.Is(err, envelope.ErrUnsupported):
		return withCode(UnsupportedAsymmetricAlgo, err)
	}
	return err
}

// sessionCipher tells which symmetric algorithm, and whether SEIPDv2
// (AEAD), envelope.Encrypt uses for these recipients, so that a session key
// of the right size can be made for --session-key-out. It follows
// go-crypto's choice: AEAD when every recipient's key asks for it, with the
// first cipher suite all of them accept; otherwise AES-256 if all accept
// it, else the best common cipher, else AES-128. A message for passwords
// only is sealed with AES-256 in SEIPDv2.
func sessionCipher(to openpgp.EntityList, now time.Time) (packet.CipherFunction, bool, error) {
	if len(to) == 0 {
		return packet.CipherAES256, true, nil
	}
	ciphers := []uint8{uint8(packet.CipherAES256), uint8(packet.CipherAES128)}
	suites := [][2]uint8{
		{uint8(packet.CipherAES256), uint8(packet.AEADModeGCM)},
		{uint8(packet.CipherAES256), uint8(packet.AEADModeEAX)},
		{uint8(packet.CipherAES256), uint8(packet.AEADModeOCB)},
		{uint8(packet.CipherAES128), uint8(packet.AEADModeGCM)},
		{uint8(packet.CipherAES128), uint8(packet.AEADModeEAX)},
		{uint8(packet.CipherAES128), uint8(packet.AEADModeOCB)},
	}
	aead, allPQ := true, true
	for _, e := range to {
		sig, err := e.PrimarySelfSignature(now, nil)
		if err != nil || sig == nil {
			return 0, false, fmt.Errorf("certificate %X has no valid self-signature", e.PrimaryKey.Fingerprint)
		}
		if k, ok := e.EncryptionKey(now, nil); !ok || !k.PublicKey.IsPQ() {
			allPQ = false
		}
		aead = aead && sig.SEIPDv2
		ciphers = keepIn(ciphers, func(c uint8) bool { return slices.Contains(sig.PreferredSymmetric, c) })
		suites = keepIn(suites, func(s [2]uint8) bool { return slices.Contains(sig.PreferredCipherSuites, s) })
	}
	if aead {
		if len(suites) == 0 {
			if allPQ {
				return packet.CipherAES256, true, nil
			}
			return packet.CipherAES128, true, nil
		}
		return packet.CipherFunction(suites[0][0]), true, nil
	}
	switch {
	case len(ciphers) == 0:
		return packet.CipherAES128, false, nil
	case slices.Contains(ciphers, uint8(packet.CipherAES256)):
		return packet.CipherAES256, false, nil
	}
	return packet.CipherFunction(ciphers[0]), false, nil
}

func keepIn[T any](s []T, keep func(T) bool) []T {
	var out []T
	for _, v := range s {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}
