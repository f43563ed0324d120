package sop

import (
	"errors"
	"io"
	"time"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/envelope"

	"github.com/veilsocial/veil/wasmclient/spool"
)

func runDecrypt(inv *invocation, args []string) error {
	fs := inv.flags()
	sessionKeyOut := fs.String("session-key-out", "", "write the session key to `SESSIONKEY`")
	verificationsOut := fs.String("verifications-out", "", "write the good signatures to `VERIFICATIONS`")
	verifyOut := fs.String("verify-out", "", "old name of --verifications-out")
	notBefore := fs.String("verify-not-before", "-", "ignore signatures made before `DATE`")
	notAfter := fs.String("verify-not-after", "now", "ignore signatures made after `DATE`")
	var sessionKeys, passwords, verifyWith, keyPasswords listFlag
	fs.Var(&sessionKeys, "with-session-key", "try the session key in `SESSIONKEY` (repeatable)")
	fs.Var(&passwords, "with-password", "try `PASSWORD` (repeatable)")
	fs.Var(&verifyWith, "verify-with", "check signatures against the certificates in `CERTS` (repeatable)")
	fs.Var(&keyPasswords, "with-key-password", "unlock the KEYS with `PASSWORD` (repeatable)")
	keyNames, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	if *verificationsOut == "" {
		*verificationsOut = *verifyOut
	}
	if (*verificationsOut != "") != (len(verifyWith) > 0) {
		return fail(IncompleteVerification, "--verifications-out and --verify-with must be given together")
	}
	if len(keyNames) == 0 && len(passwords) == 0 && len(sessionKeys) == 0 {
		return fail(MissingArg, "no KEYS, --with-password or --with-session-key to decrypt with")
	}
	for _, o := range []string{*sessionKeyOut, *verificationsOut} {
		if err := checkOutput(o); err != nil {
			return err
		}
	}
	win, err := parseWindow(*notBefore, *notAfter, time.Now())
	if err != nil {
		return err
	}

	unlockWith, err := readPasswords(keyPasswords)
	if err != nil {
		return err
	}
	keys, err := readKeys(keyNames)
	if err != nil {
		return err
	}
	for _, k := range keys {
		// A key that stays locked is reported by envelope if it is the
		// one the message needs.
		tryUnlock(k, unlockWith)
	}
	msgPasswords, err := readPasswords(passwords)
	if err != nil {
		return err
	}
	var sks []*envelope.SessionKey
	for _, n := range sessionKeys {
		sk, err := readSessionKey(n)
		if err != nil {
			return err
		}
		sks = append(sks, sk)
	}
	certs, err := readCerts(verifyWith)
	if err != nil {
		return err
	}

	msg, err := spool.From(inv.stdin)
	if err != nil {
		return err
	}
	defer msg.Close()
	if _, err := envelope.ListRecipients(msg.Reader()); err != nil {
		return fail(BadData, "not an encrypted OpenPGP message: %v", err)
	}

	// Session keys first, then keys, then each password on its own: a
	// wrong password for a message whose session key comes straight from
	// the password (gpg -c) only shows as garbage after decryption, and
	// go-crypto does not go on to the next one then.
	var attempts []envelope.OpenOptions
	for _, sk := range sks {
		attempts = append(attempts, envelope.OpenOptions{SessionKey: sk})
	}
	if len(keys) > 0 {
		attempts = append(attempts, envelope.OpenOptions{})
	}
	for _, pw := range msgPasswords {
		attempts = append(attempts, envelope.OpenOptions{Passwords: [][]byte{pw}})
	}
	keep := *sessionKeyOut != ""
	var res *envelope.Result
	var lastErr, lockedErr error
	for _, opts := range attempts {
		opts.KeepSessionKey = keep
		res, err = openMessage(msg, inv.stdout, opts, keys, certs)
		if err == nil {
			break
		}
		lastErr = err
		// A wrong session key or password may also show as a failed
		// integrity check; a locked key may not be needed when a
		// password opens the message.
		guessed := opts.SessionKey != nil || len(opts.Passwords) > 0
		switch {
		case errors.Is(err, envelope.ErrLocked):
			lockedErr = err
		case errors.Is(err, envelope.ErrNotForMe), guessed && errors.Is(err, envelope.ErrCorrupt):
		default:
			return decryptError(err)
		}
	}
	switch {
	case res != nil:
	case lockedErr != nil:
		return withCode(KeyIsProtected, lockedErr)
	default:
		return withCode(CannotDecrypt, lastErr)
	}

	if keep {
		if res.SessionKey == nil {
			return fail(Failure, "the session key is not available")
		}
		if err := writeOutput(*sessionKeyOut, []byte(res.SessionKey.String()+"\n")); err != nil {
			return err
		}
	}
	if *verificationsOut != "" {
		vs := envelopeVerifications(res.Signatures, certs, win)
		if err := writeOutput(*verificationsOut, formatVerifications(vs)); err != nil {
			return err
		}
	}
	return nil
}

// openMessage decrypts the spooled message to w with the KEYS (for
// decryption) and the CERTS (for signatures). envelope refuses a message
// with a bad signature by a known key; SOP decrypts it and just does not
// list that signature, so it is opened again with the KEYS alone.
func openMessage(msg *spool.Spool, w io.Writer, opts envelope.OpenOptions, keys, certs openpgp.EntityList) (*envelope.Result, error) {
	opts.Keyring = append(append(openpgp.EntityList{}, keys...), certs...)
	res, err := envelope.Decrypt(msg.Reader(), w, &opts)
	if errors.Is(err, envelope.ErrBadSignature) && len(certs) > 0 {
		opts.Keyring = keys
		res, err = envelope.Decrypt(msg.Reader(), w, &opts)
	}
	return res, err
}

// decryptError maps envelope's kinds of failure to exit codes.
func decryptError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, envelope.ErrNotForMe):
		return withCode(CannotDecrypt, err)
	case errors.Is(err, envelope.ErrLocked):
		return withCode(KeyIsProtected, err)
	case errors.Is(err, envelope.ErrCorrupt), errors.Is(err, envelope.ErrUnsupported),
		errors.Is(err, envelope.ErrBadSignature):
		return withCode(BadData, err)
	}
	return err
}
