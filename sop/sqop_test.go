package sop

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Interoperability with Sequoia's sqop, a SOP implementation on another
// OpenPGP stack: everything one side writes, the other reads.

// sq runs sqop and fails the test unless it succeeded.
func sq(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	r := tool(t, stdin, nil, "sqop", args...)
	if r.code != 0 {
		t.Fatalf("sqop %s: exit %d: %s", strings.Join(args, " "), r.code, r)
	}
	return r.out
}

// sqParty is a key made by sqop.
func sqParty(t *testing.T, dir, name string, opts ...string) party {
	t.Helper()
	uid := name + " <" + strings.ToLower(name) + "@example.org>"
	key := sq(t, nil, append(append([]string{"generate-key"}, opts...), uid)...)
	cert := sq(t, key, "extract-cert")
	return party{
		key:      file(t, dir, name+".key", key),
		cert:     file(t, dir, name+".cert", cert),
		fpr:      fingerprint(t, cert),
		keyData:  key,
		certData: cert,
	}
}

func TestSqopEncryptDecrypt(t *testing.T) {
	need(t, "sqop")
	t.Parallel()
	dir := t.TempDir()
	veil := newParty(t, dir, "Veil")
	seq := sqParty(t, dir, "Sequoia")

	for _, as := range []string{"binary", "text"} {
		// Veil → sqop, unsigned and signed.
		ct := ok(t, message, "encrypt", "--as="+as, seq.cert)
		if got := sq(t, ct, "decrypt", seq.key); !bytes.Equal(got, message) {
			t.Errorf("sqop decrypt of veil's --as=%s message: %q", as, got)
		}
		ct = ok(t, message, "encrypt", "--as="+as, "--sign-with", veil.key, seq.cert, veil.cert)
		ver := filepath.Join(t.TempDir(), "ver")
		got := sq(t, ct, "decrypt", "--verify-with", veil.cert, "--verifications-out", ver, seq.key)
		if want := canonical(message, as); !bytes.Equal(got, want) {
			t.Errorf("sqop decrypt of veil's signed --as=%s message: %q", as, got)
		}
		data, _ := os.ReadFile(ver)
		verificationLines(t, data, veil.fpr, "")

		// sqop → Veil, unsigned and signed.
		ct = sq(t, message, "encrypt", "--as="+as, veil.cert)
		if got := ok(t, ct, "decrypt", veil.key); !bytes.Equal(got, message) {
			t.Errorf("veil decrypt of sqop's --as=%s message: %q", as, got)
		}
		ct = sq(t, message, "encrypt", "--as="+as, "--sign-with", seq.key, veil.cert)
		ver = filepath.Join(t.TempDir(), "ver")
		if got := ok(t, ct, "decrypt", "--verify-with", seq.cert, "--verifications-out", ver, veil.key); !bytes.Equal(got, message) {
			t.Errorf("veil decrypt of sqop's signed --as=%s message: %q", as, got)
		}
		data, _ = os.ReadFile(ver)
		verificationLines(t, data, seq.fpr, as)
	}

	// Each uses the other's secret key: sqop signs with Veil's key and
	// encrypts to its own; Veil decrypts with sqop's key.
	ct := sq(t, message, "encrypt", "--sign-with", veil.key, seq.cert)
	ver := filepath.Join(dir, "cross")
	if got := ok(t, ct, "decrypt", "--verify-with", veil.cert, "--verifications-out", ver, seq.key); !bytes.Equal(got, message) {
		t.Errorf("veil decrypt with sqop's key: %q", got)
	}
	data, _ := os.ReadFile(ver)
	verificationLines(t, data, veil.fpr, "binary")

	// Passwords: sqop's password message, and Veil's message for a v4
	// certificate and a password (SEIPDv1).
	pw := file(t, dir, "pw", []byte("sesame"))
	if got := ok(t, sq(t, message, "encrypt", "--with-password", pw), "decrypt", "--with-password", pw); !bytes.Equal(got, message) {
		t.Errorf("veil decrypt of sqop's password message: %q", got)
	}
	if got := sq(t, ok(t, message, "encrypt", "--with-password", pw, veil.cert), "decrypt", "--with-password", pw); !bytes.Equal(got, message) {
		t.Errorf("sqop decrypt of veil's password message: %q", got)
	}

	// A message for someone else fails in both with CANNOT_DECRYPT.
	other := sq(t, message, "encrypt", seq.cert)
	wantCode(t, CannotDecrypt, other, "decrypt", veil.key)
	if r := tool(t, ok(t, message, "encrypt", veil.cert), nil, "sqop", "decrypt", seq.key); r.code != int(CannotDecrypt) {
		t.Errorf("sqop decrypt of a message for veil: exit %d", r.code)
	}
}

// canonical is what a text signature makes of data: go-crypto stores
// signed text with CRLF line endings.
func canonical(data []byte, as string) []byte {
	if as != "text" {
		return data
	}
	return bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
}

func TestSqopProtectedKeys(t *testing.T) {
	need(t, "sqop")
	t.Parallel()
	dir := t.TempDir()
	pw := file(t, dir, "pw", []byte("correct horse"))
	veilKey := file(t, dir, "veil.key", ok(t, nil, "generate-key", "--with-key-password", pw, "Veil <veil@example.org>"))
	veilCert := file(t, dir, "veil.cert", ok(t, mustRead(t, veilKey), "extract-cert"))
	seqKey := file(t, dir, "seq.key", sq(t, nil, "generate-key", "--with-key-password", pw, "Seq <seq@example.org>"))
	seqCert := file(t, dir, "seq.cert", sq(t, mustRead(t, seqKey), "extract-cert"))

	sig := file(t, dir, "by-sqop.sig", sq(t, message, "sign", "--with-key-password", pw, veilKey))
	ok(t, message, "verify", sig, veilCert)
	sig = file(t, dir, "by-veil.sig", ok(t, message, "sign", "--with-key-password", pw, seqKey))
	sq(t, message, "verify", sig, seqCert)
	wantCode(t, KeyIsProtected, message, "sign", seqKey)
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSqopDetachedSignatures(t *testing.T) {
	need(t, "sqop")
	t.Parallel()
	dir := t.TempDir()
	veil := newParty(t, dir, "Veil")
	seq := sqParty(t, dir, "Sequoia")
	crlf := bytes.ReplaceAll(message, []byte("\n"), []byte("\r\n"))

	for _, as := range []string{"binary", "text"} {
		sig := file(t, t.TempDir(), "veil.sig", ok(t, message, "sign", "--as="+as, veil.key))
		verificationLines(t, sq(t, message, "verify", sig, veil.cert), veil.fpr, "")
		if r := tool(t, []byte("other data"), nil, "sqop", "verify", sig, veil.cert); r.code != int(NoSignature) {
			t.Errorf("sqop verify of veil's signature over other data: exit %d", r.code)
		}

		sig = file(t, t.TempDir(), "seq.sig", sq(t, message, "sign", "--as="+as, seq.key))
		verificationLines(t, ok(t, message, "verify", sig, seq.cert), seq.fpr, as)
		wantCode(t, NoSignature, []byte("other data"), "verify", sig, seq.cert)
		wantCode(t, NoSignature, message, "verify", sig, veil.cert)
		if as == "text" {
			ok(t, crlf, "verify", sig, seq.cert)
		}

		// sqop signs with Veil's key, Veil with sqop's.
		sig = file(t, t.TempDir(), "x.sig", sq(t, message, "sign", "--as="+as, veil.key))
		verificationLines(t, ok(t, message, "verify", sig, veil.cert), veil.fpr, as)
		sig = file(t, t.TempDir(), "y.sig", ok(t, message, "sign", "--as="+as, seq.key))
		verificationLines(t, sq(t, message, "verify", sig, seq.cert), seq.fpr, "")
	}
}

func TestSqopArmor(t *testing.T) {
	need(t, "sqop")
	t.Parallel()
	dir := t.TempDir()
	veil := newParty(t, dir, "Veil")
	seq := sqParty(t, dir, "Sequoia")

	for name, armored := range map[string][]byte{
		"veil key":       veil.keyData,
		"veil cert":      veil.certData,
		"sqop key":       seq.keyData,
		"veil signature": ok(t, message, "sign", veil.key),
		"sqop signature": sq(t, message, "sign", seq.key),
		"veil message":   ok(t, message, "encrypt", "--sign-with", veil.key, seq.cert),
		"sqop message":   sq(t, message, "encrypt", veil.cert),
	} {
		bin := sq(t, armored, "dearmor")
		if got := ok(t, armored, "dearmor"); !bytes.Equal(got, bin) {
			t.Errorf("%s: veil and sqop dearmor differently", name)
		}
		ours, theirs := ok(t, bin, "armor"), sq(t, bin, "armor")
		if !bytes.Equal(ours, theirs) {
			t.Errorf("%s: armor differs from sqop's:\n%s\n%s", name, ours, theirs)
		}
		if got := sq(t, ours, "dearmor"); !bytes.Equal(got, bin) {
			t.Errorf("%s: sqop dearmor of veil's armor changed the data", name)
		}
		if got := ok(t, theirs, "dearmor"); !bytes.Equal(got, bin) {
			t.Errorf("%s: veil dearmor of sqop's armor changed the data", name)
		}
	}
}

func TestSqopSessionKeys(t *testing.T) {
	need(t, "sqop")
	t.Parallel()
	dir := t.TempDir()
	veil := newParty(t, dir, "Veil")
	seq := sqParty(t, dir, "Sequoia")
	sessionKey := func(name string) string {
		return strings.ToUpper(strings.TrimSpace(string(mustRead(t, name))))
	}

	// Veil's message: Veil finds the session key, sqop uses it.
	ct := ok(t, message, "encrypt", "--sign-with", veil.key, veil.cert, seq.cert)
	ours := filepath.Join(dir, "veil.sk")
	ok(t, ct, "decrypt", "--session-key-out", ours, veil.key)
	if got := sq(t, ct, "decrypt", "--with-session-key", ours); !bytes.Equal(got, message) {
		t.Errorf("sqop decrypt with veil's session key: %q", got)
	}
	theirs := filepath.Join(dir, "sqop.sk")
	sq(t, ct, "decrypt", "--session-key-out", theirs, seq.key)
	if sessionKey(ours) != sessionKey(theirs) {
		t.Errorf("session keys differ: veil %s, sqop %s", sessionKey(ours), sessionKey(theirs))
	}

	// sqop's message: sqop finds the session key, Veil uses it and checks
	// the signature on the way.
	ct = sq(t, message, "encrypt", "--sign-with", seq.key, veil.cert, seq.cert)
	theirs = filepath.Join(dir, "sqop2.sk")
	sq(t, ct, "decrypt", "--session-key-out", theirs, seq.key)
	ver := filepath.Join(dir, "ver")
	if got := ok(t, ct, "decrypt", "--with-session-key", theirs, "--verify-with", seq.cert, "--verifications-out", ver); !bytes.Equal(got, message) {
		t.Errorf("veil decrypt with sqop's session key: %q", got)
	}
	verificationLines(t, mustRead(t, ver), seq.fpr, "binary")
	ours = filepath.Join(dir, "veil2.sk")
	ok(t, ct, "decrypt", "--session-key-out", ours, veil.key)
	if sessionKey(ours) != sessionKey(theirs) {
		t.Errorf("session keys differ: veil %s, sqop %s", sessionKey(ours), sessionKey(theirs))
	}

	// encrypt --session-key-out (which sqop 0.27 does not offer).
	sk := filepath.Join(dir, "encrypt.sk")
	ct = ok(t, message, "encrypt", "--session-key-out", sk, seq.cert)
	if got := sq(t, ct, "decrypt", "--with-session-key", sk); !bytes.Equal(got, message) {
		t.Errorf("sqop decrypt with the session key from veil encrypt: %q", got)
	}
}

func TestSqopInline(t *testing.T) {
	need(t, "sqop")
	t.Parallel()
	dir := t.TempDir()
	veil := newParty(t, dir, "Veil")
	seq := sqParty(t, dir, "Sequoia")

	for _, as := range []string{"binary", "text", "clearsigned"} {
		signed := ok(t, message, "inline-sign", "--as="+as, veil.key)
		want := message
		if as == "text" {
			want = canonical(message, as)
		}
		ver := filepath.Join(t.TempDir(), "ver")
		if got := sq(t, signed, "inline-verify", "--verifications-out", ver, veil.cert); !bytes.Equal(got, want) {
			t.Errorf("sqop inline-verify of veil's --as=%s: %q", as, got)
		}
		verificationLines(t, mustRead(t, ver), veil.fpr, "")

		signed = sq(t, message, "inline-sign", "--as="+as, seq.key)
		ver = filepath.Join(t.TempDir(), "ver")
		if got := ok(t, signed, "inline-verify", "--verifications-out", ver, seq.cert); !bytes.Equal(got, message) {
			t.Errorf("veil inline-verify of sqop's --as=%s: %q", as, got)
		}
		mode := "text"
		if as == "binary" {
			mode = "binary"
		}
		verificationLines(t, mustRead(t, ver), seq.fpr, mode)
		wantCode(t, NoSignature, signed, "inline-verify", veil.cert)

		// Veil detaches sqop's signatures; sqop verifies them.
		sigs := filepath.Join(t.TempDir(), "sigs")
		body := ok(t, signed, "inline-detach", "--signatures-out", sigs)
		want = message
		if as == "clearsigned" {
			want = bytes.TrimSuffix(message, []byte("\n"))
		}
		if !bytes.Equal(body, want) {
			t.Errorf("inline-detach of sqop's --as=%s: %q", as, body)
		}
		verificationLines(t, sq(t, body, "verify", sigs, seq.cert), seq.fpr, "")
	}
}
