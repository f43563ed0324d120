package sop

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/envelope"
)

// maxIndirect caps what is read from one named input (keys, certificates,
// passwords, signatures): they are small, and a named pipe must not make
// the process read forever.
const maxIndirect = 64 << 20

// Special designators for named inputs and outputs.
const (
	prefixEnv = "@ENV:"
	prefixFD  = "@FD:"
)

// readInput reads a named input: a file, @ENV:NAME or @FD:N.
func readInput(name string) ([]byte, error) {
	if name == "" {
		return nil, fail(MissingInput, "empty input name")
	}
	if strings.HasPrefix(name, "@") {
		if _, err := os.Lstat(name); err == nil {
			return nil, fail(AmbiguousInput, "%q is a special designator and also an existing file", name)
		}
		switch {
		case strings.HasPrefix(name, prefixEnv):
			v, ok := os.LookupEnv(strings.TrimPrefix(name, prefixEnv))
			if !ok {
				return nil, fail(MissingInput, "environment variable %s is not set", strings.TrimPrefix(name, prefixEnv))
			}
			return []byte(v), nil
		case strings.HasPrefix(name, prefixFD):
			f, err := openFD(name, os.O_RDONLY)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return readAllLimited(f, name)
		}
		return nil, fail(UnsupportedSpecialPrefix, "unsupported special designator %q", name)
	}
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fail(MissingInput, "input %q does not exist", name)
		}
		return nil, fail(MissingInput, "cannot open input %q: %v", name, err)
	}
	defer f.Close()
	return readAllLimited(f, name)
}

func readAllLimited(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxIndirect+1))
	if err != nil {
		return nil, fail(MissingInput, "cannot read %q: %v", name, err)
	}
	if len(data) > maxIndirect {
		return nil, fail(BadData, "%q is larger than %d bytes", name, maxIndirect)
	}
	return data, nil
}

// openFD opens the file descriptor named by an @FD:N designator. It opens
// it anew through /dev/fd where the system has it, so that closing the
// result leaves the caller's descriptor alone.
func openFD(name string, flag int) (*os.File, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(name, prefixFD))
	if err != nil || n < 0 {
		return nil, fail(UnsupportedSpecialPrefix, "bad file descriptor in %q", name)
	}
	f, err := os.OpenFile(fmt.Sprintf("/dev/fd/%d", n), flag, 0)
	if err == nil {
		return f, nil
	}
	return nil, fail(MissingInput, "cannot open file descriptor %d: %v", n, err)
}

// checkOutput fails early when a named output cannot be written: it
// exists already, or it is a designator that cannot be written to.
func checkOutput(name string) error {
	if name == "" {
		return nil
	}
	if strings.HasPrefix(name, "@") {
		if _, err := os.Lstat(name); err == nil {
			return fail(AmbiguousInput, "%q is a special designator and also an existing file", name)
		}
		if strings.HasPrefix(name, prefixFD) {
			return nil
		}
		return fail(UnsupportedSpecialPrefix, "%q cannot be used for output", name)
	}
	if _, err := os.Lstat(name); err == nil {
		return fail(OutputExists, "output %q already exists", name)
	}
	return nil
}

// writeOutput writes a named output once the operation succeeded. Files
// are created exclusively, readable by the owner only.
func writeOutput(name string, data []byte) error {
	if name == "" {
		return nil
	}
	if err := checkOutput(name); err != nil {
		return err
	}
	var f *os.File
	var err error
	if strings.HasPrefix(name, prefixFD) {
		f, err = openFD(name, os.O_WRONLY)
	} else {
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return fail(OutputExists, "output %q already exists", name)
		}
	}
	if err != nil {
		return withCode(Failure, fmt.Errorf("cannot create %q: %w", name, err))
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %q: %w", name, err)
	}
	return f.Close()
}

// readPasswords reads passwords that unlock existing material (a key or a
// message). Each is tried as it is and, if it has trailing whitespace
// (a newline from a file), without it.
func readPasswords(names []string) ([][]byte, error) {
	var out [][]byte
	for _, n := range names {
		pw, err := readInput(n)
		if err != nil {
			return nil, err
		}
		out = append(out, pw)
		if t := bytes.TrimRight(pw, " \t\r\n"); len(t) != len(pw) {
			out = append(out, t)
		}
	}
	return out, nil
}

// readNewPassword reads a password that protects new material. It must be
// UTF-8; trailing whitespace is removed, and what remains must not be
// empty.
func readNewPassword(name string) ([]byte, error) {
	pw, err := readInput(name)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(pw) {
		return nil, fail(PasswordNotHumanReadable, "password %q is not UTF-8", name)
	}
	pw = bytes.TrimRight(pw, " \t\r\n")
	if len(pw) == 0 {
		return nil, fail(PasswordNotHumanReadable, "password %q is empty", name)
	}
	return pw, nil
}

// parseEntities reads OpenPGP keys or certificates: binary, or one or more
// ASCII-armored blocks.
func parseEntities(data []byte) (openpgp.EntityList, error) {
	if !isArmored(data) {
		return readKeyRing(bytes.NewReader(data))
	}
	var all openpgp.EntityList
	for _, blk := range armorBlocks(data) {
		block, err := armor.Decode(bytes.NewReader(blk))
		if err != nil {
			return nil, fail(BadData, "bad ASCII armor: %v", err)
		}
		if block.Type != openpgp.PublicKeyType && block.Type != openpgp.PrivateKeyType {
			return nil, fail(BadData, "armor type %q holds no key", block.Type)
		}
		el, err := readKeyRing(block.Body)
		if err != nil {
			return nil, err
		}
		all = append(all, el...)
	}
	if len(all) == 0 {
		return nil, fail(BadData, "no OpenPGP key found")
	}
	return all, nil
}

func readKeyRing(r io.Reader) (openpgp.EntityList, error) {
	el, err := openpgp.ReadKeyRing(r)
	var unsupported pgperrors.UnsupportedError
	switch {
	case errors.As(err, &unsupported):
		return nil, fail(UnsupportedAsymmetricAlgo, "unsupported key: %v", err)
	case err != nil:
		return nil, fail(BadData, "not an OpenPGP key: %v", err)
	case len(el) == 0:
		return nil, fail(BadData, "no OpenPGP key found")
	}
	return el, nil
}

// armorBlocks splits text into its ASCII-armored blocks.
func armorBlocks(data []byte) [][]byte {
	var out [][]byte
	begin := []byte("-----BEGIN PGP ")
	for {
		i := bytes.Index(data, begin)
		if i < 0 {
			return out
		}
		data = data[i:]
		j := bytes.Index(data, []byte("-----END PGP "))
		if j < 0 {
			return append(out, data)
		}
		k := bytes.IndexByte(data[j:], '\n')
		if k < 0 {
			return append(out, data)
		}
		out = append(out, data[:j+k+1])
		data = data[j+k+1:]
	}
}

func isArmored(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("-----BEGIN PGP "))
}

// readCerts reads the certificates named by names. A secret key counts as
// its certificate.
func readCerts(names []string) (openpgp.EntityList, error) {
	var all openpgp.EntityList
	for _, n := range names {
		data, err := readInput(n)
		if err != nil {
			return nil, err
		}
		el, err := parseEntities(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		all = append(all, el...)
	}
	return all, nil
}

// readKeys reads the secret keys named by names.
func readKeys(names []string) (openpgp.EntityList, error) {
	var all openpgp.EntityList
	for _, n := range names {
		data, err := readInput(n)
		if err != nil {
			return nil, err
		}
		el, err := parseSecretKeys(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		all = append(all, el...)
	}
	return all, nil
}

// parseSecretKeys reads keys and fails if one of them has no secret part.
func parseSecretKeys(data []byte) (openpgp.EntityList, error) {
	el, err := parseEntities(data)
	if err != nil {
		return nil, err
	}
	for _, e := range el {
		if e.PrivateKey == nil {
			return nil, fail(BadData, "%X is a certificate, not a secret key", e.PrimaryKey.Fingerprint)
		}
	}
	return el, nil
}

// locked reports whether any secret key material of e is encrypted.
func locked(e *openpgp.Entity) bool {
	if e.PrivateKey != nil && e.PrivateKey.Encrypted {
		return true
	}
	for _, s := range e.Subkeys {
		if s.PrivateKey != nil && s.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}

// tryUnlock decrypts e's secret key material with the first password that
// works. It reports whether e is unlocked afterwards.
func tryUnlock(e *openpgp.Entity, passwords [][]byte) bool {
	if !locked(e) {
		return true
	}
	for _, pw := range passwords {
		if err := e.DecryptPrivateKeys(pw); err == nil && !locked(e) {
			return true
		}
	}
	return false
}

// signingKeys checks that every key can sign now and unlocks it.
func signingKeys(keys openpgp.EntityList, passwords [][]byte, config *packet.Config) error {
	for _, e := range keys {
		k, ok := e.SigningKey(config.Now(), config)
		if !ok || k.PrivateKey == nil || k.PrivateKey.Dummy() {
			return fail(KeyCannotSign, "key %X has no usable signing key", e.PrimaryKey.Fingerprint)
		}
		if k.PrivateKey.Encrypted && !tryUnlock(e, passwords) {
			return fail(KeyIsProtected, "key %X is locked and no --with-key-password unlocks it", e.PrimaryKey.Fingerprint)
		}
	}
	return nil
}

// readSessionKey reads a session key in the "ALGO:HEX" form.
func readSessionKey(name string) (*envelope.SessionKey, error) {
	data, err := readInput(name)
	if err != nil {
		return nil, err
	}
	sk, err := envelope.ParseSessionKey(string(data))
	if err != nil {
		return nil, fail(BadData, "%s: %v", name, err)
	}
	return sk, nil
}

// dateLayouts are the ISO 8601 forms accepted for DATE options.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"20060102T150405Z0700",
	"20060102T150405Z",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

// parseDate reads a DATE option: an ISO 8601 time, "now", or "-" for the
// beginning (or end) of time, which returns the zero time.
func parseDate(opt, s string, now time.Time) (time.Time, error) {
	switch s {
	case "-":
		return time.Time{}, nil
	case "now":
		return now, nil
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fail(UnsupportedOption, "%s=%s: not an ISO 8601 date", opt, s)
}

// window is the time range in which signatures are accepted.
type window struct{ notBefore, notAfter time.Time }

func parseWindow(before, after string, now time.Time) (window, error) {
	var w window
	var err error
	if w.notBefore, err = parseDate("--not-before", before, now); err != nil {
		return w, err
	}
	if w.notAfter, err = parseDate("--not-after", after, now); err != nil {
		return w, err
	}
	return w, nil
}

func (w window) contains(t time.Time) bool {
	if !w.notBefore.IsZero() && t.Before(w.notBefore) {
		return false
	}
	if !w.notAfter.IsZero() && t.After(w.notAfter) {
		return false
	}
	return true
}
