package sop

import (
	"bytes"
	"crypto"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
)

// signConfig is the configuration signatures are made with.
func signConfig() *packet.Config {
	no := false
	return &packet.Config{
		DefaultHash:             crypto.SHA512,
		CheckIntendedRecipients: &no,
	}
}

func runSign(inv *invocation, args []string) error {
	fs := inv.flags()
	noArmor := fs.Bool("no-armor", false, "write binary signatures")
	as := fs.String("as", "binary", "sign the data as `binary|text`")
	micalgOut := fs.String("micalg-out", "", "write the digest algorithm as a PGP/MIME micalg value to `MICALG`")
	var keyPasswords listFlag
	fs.Var(&keyPasswords, "with-key-password", "unlock the signing keys with `PASSWORD` (repeatable)")
	keyNames, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	mode, err := parseMode(*as, "binary", "text")
	if err != nil {
		return err
	}
	if len(keyNames) == 0 {
		return fail(MissingArg, "no KEYS to sign with")
	}
	if err := checkOutput(*micalgOut); err != nil {
		return err
	}
	config := signConfig()
	signers, err := loadSigners(keyNames, keyPasswords, config)
	if err != nil {
		return err
	}

	in := inv.stdin
	var text *utf8Check
	if mode == "text" {
		text = &utf8Check{r: in}
		in = text
	}
	var sigs bytes.Buffer
	w, err := openpgp.DetachSignWriter(&sigs, signers, &openpgp.SignParams{TextSig: mode == "text", Config: config})
	if err != nil {
		return withCode(KeyCannotSign, err)
	}
	if _, err := io.Copy(w, in); err != nil {
		return err
	}
	if text != nil && !text.valid() {
		return fail(ExpectedText, "--as=text: input is not UTF-8 text")
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := writeArmored(inv.stdout, sigs.Bytes(), !*noArmor); err != nil {
		return err
	}
	if *micalgOut != "" {
		return writeOutput(*micalgOut, []byte(micalg(sigs.Bytes())))
	}
	return nil
}

// loadSigners reads the KEYS to sign with and unlocks their signing keys.
func loadSigners(names []string, passwordNames []string, config *packet.Config) (openpgp.EntityList, error) {
	passwords, err := readPasswords(passwordNames)
	if err != nil {
		return nil, err
	}
	keys, err := readKeys(names)
	if err != nil {
		return nil, err
	}
	if err := signingKeys(keys, passwords, config); err != nil {
		return nil, err
	}
	return keys, nil
}

// micalg names the digest algorithm of the signatures as RFC 3156 does
// ("pgp-sha512"), or "" when they use different ones.
func micalg(sigs []byte) string {
	r := packet.NewReader(bytes.NewReader(sigs))
	name := ""
	for {
		p, err := r.Next()
		if err != nil {
			break
		}
		sig, ok := p.(*packet.Signature)
		if !ok {
			continue
		}
		n := "pgp-" + strings.ToLower(strings.ReplaceAll(sig.Hash.String(), "-", ""))
		if name != "" && name != n {
			return ""
		}
		name = n
	}
	return name
}

// utf8Check passes a stream through and tells at the end whether all of it
// was UTF-8.
type utf8Check struct {
	r     io.Reader
	carry []byte // the start of a rune cut at a read boundary
	bad   bool
	done  bool
}

func (u *utf8Check) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	u.feed(p[:n])
	if errors.Is(err, io.EOF) {
		u.done = true
		if len(u.carry) > 0 {
			u.bad = true
		}
	}
	return n, err
}

func (u *utf8Check) feed(p []byte) {
	if u.bad || len(p) == 0 {
		return
	}
	data := append(u.carry, p...)
	cut := len(data)
	// Hold back an incomplete rune at the end for the next read.
	for k := 1; k <= utf8.UTFMax && k <= len(data); k++ {
		if utf8.RuneStart(data[len(data)-k]) {
			if !utf8.FullRune(data[len(data)-k:]) {
				cut = len(data) - k
			}
			break
		}
	}
	if !utf8.Valid(data[:cut]) {
		u.bad = true
	}
	u.carry = append([]byte(nil), data[cut:]...)
}

// valid reports whether everything read (to EOF) was UTF-8.
func (u *utf8Check) valid() bool {
	if !u.done {
		// The reader was not drained: check what is held back.
		return !u.bad && len(u.carry) == 0
	}
	return !u.bad
}
