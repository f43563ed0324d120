package sop

import (
	"bytes"
	"errors"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/envelope"

	"github.com/veilsocial/veil/wasmclient/spool"
)

var clearsignBegin = []byte("-----BEGIN PGP SIGNED MESSAGE-----")

func isClearsigned(head []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), clearsignBegin)
}

func runInlineSign(inv *invocation, args []string) error {
	fs := inv.flags()
	noArmor := fs.Bool("no-armor", false, "write a binary message")
	as := fs.String("as", "binary", "sign the data as `binary|text|clearsigned`")
	var keyPasswords listFlag
	fs.Var(&keyPasswords, "with-key-password", "unlock the signing keys with `PASSWORD` (repeatable)")
	keyNames, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	mode, err := parseMode(*as, "binary", "text", "clearsigned")
	if err != nil {
		return err
	}
	if mode == "clearsigned" && *noArmor {
		return fail(IncompatibleOptions, "a clear-signed message is always armored: drop --no-armor")
	}
	if len(keyNames) == 0 {
		return fail(MissingArg, "no KEYS to sign with")
	}
	config := signConfig()
	signers, err := loadSigners(keyNames, keyPasswords, config)
	if err != nil {
		return err
	}
	if mode != "clearsigned" && len(signers) > 1 {
		return fail(UnsupportedOption, "signing with more than one key is supported for --as=clearsigned only")
	}

	in := inv.stdin
	var out io.Writer = inv.stdout
	var text *utf8Check
	var held *spool.Spool
	if mode != "binary" {
		// Hold the output until the input proved to be text.
		held = spool.New(0, "")
		defer held.Close()
		out = held
		text = &utf8Check{r: in}
		in = text
	}
	var w io.WriteCloser
	var aw io.WriteCloser = nopCloser{out}
	if mode == "clearsigned" {
		var privs []*packet.PrivateKey
		for _, e := range signers {
			k, _ := e.SigningKey(config.Now(), config)
			privs = append(privs, k.PrivateKey)
		}
		var cw io.WriteCloser
		if cw, err = clearsign.EncodeMulti(out, privs, config); err == nil {
			w = &dropFinalNewline{w: cw}
		}
	} else {
		aw = autoArmorer(out, !*noArmor)
		w, err = envelope.Sign(aw, signers[0], &envelope.SealOptions{Text: mode == "text"})
	}
	if err != nil {
		return sealError(err)
	}
	if _, err := io.Copy(w, in); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := aw.Close(); err != nil {
		return err
	}
	if text != nil && !text.valid() {
		return fail(ExpectedText, "--as=%s: input is not UTF-8 text", mode)
	}
	switch {
	case mode == "clearsigned":
		return copyClearsigned(inv.stdout, held)
	case held != nil:
		_, err = io.Copy(inv.stdout, held.Reader())
	}
	return err
}

// copyClearsigned copies a clear-signed message made by go-crypto to w,
// armoring its signature block again the way armor does: go-crypto writes
// it without a CRC24 checksum, and GnuPG 2.2 misreads such armor when its
// base64 ends without padding.
func copyClearsigned(w io.Writer, msg *spool.Spool) error {
	const tailMax = 64 << 10
	start := max(msg.Size()-tailMax, 0)
	tail, err := io.ReadAll(msg.Section(start, msg.Size()-start))
	if err != nil {
		return err
	}
	i := bytes.LastIndex(tail, []byte("-----BEGIN PGP SIGNATURE-----"))
	if i < 0 {
		return errors.New("clear-signed message without a signature block")
	}
	sigs, err := dearmorBytes(tail[i:])
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, msg.Section(0, start+int64(i))); err != nil {
		return err
	}
	return writeArmored(w, sigs, true)
}

func runInlineVerify(inv *invocation, args []string) error {
	fs := inv.flags()
	notBefore := fs.String("not-before", "-", "ignore signatures made before `DATE`")
	notAfter := fs.String("not-after", "now", "ignore signatures made after `DATE`")
	verificationsOut := fs.String("verifications-out", "", "write the good signatures to `VERIFICATIONS`")
	certNames, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	if len(certNames) == 0 {
		return fail(MissingArg, "no CERTS to verify with")
	}
	if err := checkOutput(*verificationsOut); err != nil {
		return err
	}
	win, err := parseWindow(*notBefore, *notAfter, time.Now())
	if err != nil {
		return err
	}
	certs, err := readCerts(certNames)
	if err != nil {
		return err
	}
	msg, err := spool.From(inv.stdin)
	if err != nil {
		return err
	}
	defer msg.Close()

	var vs []verification
	var body io.Reader
	if isClearsigned(msg.Head(128)) {
		data, err := io.ReadAll(msg.Reader())
		if err != nil {
			return err
		}
		b, _ := clearsign.Decode(data)
		if b == nil {
			return fail(BadData, "malformed clear-signed message")
		}
		sigs, err := io.ReadAll(b.ArmoredSignature.Body)
		if err != nil {
			return fail(BadData, "bad signature armor: %v", err)
		}
		if vs, err = verifyDetached(bytes.NewReader(b.Bytes), sigs, certs, win); err != nil {
			return err
		}
		// The line break before the signature is not part of the signed
		// text; like gpg and sqop, give the text back with one.
		body = io.MultiReader(bytes.NewReader(b.Plaintext), bytes.NewReader([]byte{'\n'}))
	} else {
		held := spool.New(0, "")
		defer held.Close()
		res, err := envelope.Decrypt(msg.Reader(), held, &envelope.OpenOptions{Keyring: certs})
		switch {
		case errors.Is(err, envelope.ErrBadSignature):
			return fail(NoSignature, "%v", err)
		case errors.Is(err, envelope.ErrNotForMe), errors.Is(err, envelope.ErrLocked):
			return fail(BadData, "the message is encrypted: use decrypt")
		case err != nil:
			return withCode(BadData, err)
		case res.Encrypted:
			return fail(BadData, "the message is encrypted: use decrypt")
		}
		vs = envelopeVerifications(res.Signatures, certs, win)
		body = held.Reader()
	}
	if len(vs) == 0 {
		return fail(NoSignature, "no good signature by the given certificates")
	}
	if _, err := io.Copy(inv.stdout, body); err != nil {
		return err
	}
	return writeOutput(*verificationsOut, formatVerifications(vs))
}

func runInlineDetach(inv *invocation, args []string) error {
	fs := inv.flags()
	noArmor := fs.Bool("no-armor", false, "write binary signatures")
	signaturesOut := fs.String("signatures-out", "", "write the signatures to `SIGNATURES`")
	pos, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	if *signaturesOut == "" {
		return fail(MissingArg, "--signatures-out is required")
	}
	if err := checkOutput(*signaturesOut); err != nil {
		return err
	}
	msg, err := spool.From(inv.stdin)
	if err != nil {
		return err
	}
	defer msg.Close()

	var sigs []byte
	body := spool.New(0, "")
	defer body.Close()
	if isClearsigned(msg.Head(128)) {
		data, err := io.ReadAll(msg.Reader())
		if err != nil {
			return err
		}
		b, _ := clearsign.Decode(data)
		if b == nil {
			return fail(BadData, "malformed clear-signed message")
		}
		if sigs, err = io.ReadAll(b.ArmoredSignature.Body); err != nil {
			return fail(BadData, "bad signature armor: %v", err)
		}
		if _, err := body.Write(b.Plaintext); err != nil {
			return err
		}
	} else if sigs, err = detachInline(msg.Reader(), body); err != nil {
		return err
	}
	if _, err := io.Copy(inv.stdout, body.Reader()); err != nil {
		return err
	}
	var out bytes.Buffer
	if err := writeArmored(&out, sigs, !*noArmor); err != nil {
		return err
	}
	return writeOutput(*signaturesOut, out.Bytes())
}

// detachInline reads an inline-signed message, writes its literal data to
// body and returns its signature packets.
func detachInline(r io.Reader, body io.Writer) ([]byte, error) {
	md, err := openpgp.ReadMessage(binaryMessage(r), openpgp.EntityList{}, func([]openpgp.Key, bool) ([]byte, error) {
		return nil, pgperrors.ErrKeyIncorrect
	}, nil)
	if err != nil {
		return nil, fail(BadData, "not an inline-signed message: %v", err)
	}
	if md.IsEncrypted {
		return nil, fail(BadData, "the message is encrypted")
	}
	if !md.IsSigned {
		return nil, fail(BadData, "the message is not signed")
	}
	if _, err := io.Copy(body, md.UnverifiedBody); err != nil {
		return nil, fail(BadData, "cannot read the message: %v", err)
	}
	var sigs bytes.Buffer
	for i := len(md.SignatureCandidates) - 1; i >= 0; i-- {
		sig := md.SignatureCandidates[i].CorrespondingSig
		if sig == nil {
			return nil, fail(BadData, "a one-pass signature has no signature packet")
		}
		if err := sig.Serialize(&sigs); err != nil {
			return nil, fail(BadData, "cannot write a signature: %v", err)
		}
	}
	return sigs.Bytes(), nil
}

// binaryMessage returns a reader of binary OpenPGP data whether r holds it
// ASCII-armored or not; armor errors show up when it is read.
func binaryMessage(r io.Reader) io.Reader {
	var head [64]byte
	n, _ := io.ReadFull(r, head[:])
	r = io.MultiReader(bytes.NewReader(head[:n]), r)
	if !isArmored(head[:n]) {
		return r
	}
	block, err := armor.Decode(r)
	if err != nil {
		return errReader{err}
	}
	return block.Body
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// dropFinalNewline passes text on to a clear-signer without its final line
// break: in a clear-signed message the line break before the signature
// ends the text and is not signed, so "text\n" is signed as "text" (as gpg
// and sqop do) and inline-verify gives back "text\n".
type dropFinalNewline struct {
	w    io.WriteCloser
	held []byte // a trailing "\n", "\r\n" or "\r" not passed on yet
}

func (d *dropFinalNewline) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	data := append(append([]byte(nil), d.held...), p...)
	cut := len(data)
	switch {
	case bytes.HasSuffix(data, []byte("\r\n")):
		cut -= 2
	case bytes.HasSuffix(data, []byte("\n")), bytes.HasSuffix(data, []byte("\r")):
		cut--
	}
	if _, err := d.w.Write(data[:cut]); err != nil {
		return 0, err
	}
	d.held = data[cut:]
	return len(p), nil
}

func (d *dropFinalNewline) Close() error {
	if bytes.Equal(d.held, []byte("\r")) {
		// A lone carriage return is not a line break.
		if _, err := d.w.Write(d.held); err != nil {
			return err
		}
	}
	return d.w.Close()
}
