package sop

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Interoperability with GnuPG 2.2: the default profile is what gpg reads
// and writes, so keys, messages and signatures go both ways.

// gpgHome is a fresh GnuPG home directory for one test.
type gpgHome struct {
	t   *testing.T
	dir string
}

func newGPG(t *testing.T) *gpgHome {
	t.Helper()
	need(t, "gpg")
	need(t, "gpgconf")
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	g := &gpgHome{t: t, dir: dir}
	// Registered after TempDir, so it runs before the directory goes.
	t.Cleanup(func() { tool(t, nil, g.env(), "gpgconf", "--kill", "all") })
	return g
}

func (g *gpgHome) env() []string { return []string{"GNUPGHOME=" + g.dir} }

// run runs gpg non-interactively; status lines go to stderr.
func (g *gpgHome) run(stdin []byte, args ...string) result {
	g.t.Helper()
	base := []string{"--batch", "--no-tty", "--pinentry-mode", "loopback", "--status-fd", "2", "--trust-model", "always"}
	return tool(g.t, stdin, g.env(), "gpg", append(base, args...)...)
}

// ok runs gpg and fails the test unless it succeeded.
func (g *gpgHome) ok(stdin []byte, args ...string) result {
	g.t.Helper()
	r := g.run(stdin, args...)
	if r.code != 0 {
		g.t.Fatalf("gpg %s: exit %d: %s", strings.Join(args, " "), r.code, r)
	}
	return r
}

// newKey makes gpg's default kind of key (ed25519 primary, cv25519
// encryption subkey), protected with passphrase ("" for none), and
// returns its fingerprint.
func (g *gpgHome) newKey(uid, passphrase string) string {
	g.t.Helper()
	g.ok(nil, "--passphrase", passphrase, "--quick-gen-key", uid, "ed25519", "sign", "never")
	r := g.ok(nil, "--with-colons", "--list-keys", uid)
	var fpr string
	for _, l := range strings.Split(string(r.out), "\n") {
		if f := strings.Split(l, ":"); len(f) > 9 && f[0] == "fpr" {
			fpr = f[9]
			break
		}
	}
	if fpr == "" {
		g.t.Fatalf("no fingerprint for %s", uid)
	}
	g.ok(nil, "--passphrase", passphrase, "--quick-add-key", fpr, "cv25519", "encr", "never")
	return fpr
}

// status reports whether gpg's status output has a line starting with
// prefix.
func status(r result, prefix string) bool {
	for _, l := range strings.Split(string(r.err), "\n") {
		if strings.HasPrefix(l, "[GNUPG:] "+prefix) {
			return true
		}
	}
	return false
}

// gpgSetup makes a Veil party and a gpg key that know each other.
func gpgSetup(t *testing.T) (g *gpgHome, veil party, gpgFpr, gpgCert, gpgKey string) {
	t.Helper()
	g = newGPG(t)
	dir := t.TempDir()
	veil = newParty(t, dir, "Veil")
	gpgFpr = g.newKey("Test <t@example.org>", "")
	g.ok(veil.certData, "--import")
	gpgCert = file(t, dir, "gpg.cert", g.ok(nil, "--armor", "--export", gpgFpr).out)
	gpgKey = file(t, dir, "gpg.key", g.ok(nil, "--passphrase", "", "--armor", "--export-secret-keys", gpgFpr).out)
	return
}

func TestGPGDecryptsVeil(t *testing.T) {
	t.Parallel()
	g, veil, _, gpgCert, _ := gpgSetup(t)

	for _, as := range []string{"binary", "text"} {
		ct := ok(t, message, "encrypt", "--as="+as, "--sign-with", veil.key, gpgCert)
		r := g.ok(ct, "--decrypt")
		// gpg turns the CRLF line endings of signed text back into
		// native ones.
		if !bytes.Equal(r.out, message) {
			t.Errorf("gpg decrypt --as=%s: %q", as, r.out)
		}
		if !status(r, "GOODSIG ") || !status(r, "VALIDSIG "+veil.fpr) || !status(r, "DECRYPTION_OKAY") {
			t.Errorf("gpg does not report a good signature by %s:\n%s", veil.fpr, r.err)
		}
	}
	// Unsigned, to gpg and to Veil at once.
	ct := ok(t, message, "encrypt", "--no-armor", gpgCert, veil.cert)
	if r := g.ok(ct, "--decrypt"); !bytes.Equal(r.out, message) || status(r, "GOODSIG") {
		t.Errorf("gpg decrypt of an unsigned message: %q", r.out)
	}
	// A password and a certificate.
	pw := file(t, t.TempDir(), "pw", []byte("sesame"))
	ct = ok(t, message, "encrypt", "--with-password", pw, veil.cert)
	if r := g.ok(ct, "--passphrase", "sesame", "--decrypt"); !bytes.Equal(r.out, message) {
		t.Errorf("gpg decrypt with a password: %q", r.out)
	}
}

func TestVeilDecryptsGPG(t *testing.T) {
	t.Parallel()
	g, veil, gpgFpr, gpgCert, gpgKey := gpgSetup(t)
	dir := t.TempDir()

	for _, textmode := range []bool{false, true} {
		args := []string{"--armor", "--local-user", gpgFpr, "--recipient", veil.fpr, "--recipient", gpgFpr, "--sign", "--encrypt"}
		mode := "binary"
		if textmode {
			args = append([]string{"--textmode"}, args...)
			mode = "text"
		}
		ct := g.ok(message, args...).out
		// With Veil's key, and with gpg's exported secret key.
		for _, key := range []string{veil.key, gpgKey} {
			ver := filepath.Join(t.TempDir(), "ver")
			got := ok(t, ct, "decrypt", "--verify-with", gpgCert, "--verifications-out", ver, key)
			if !bytes.Equal(bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n")), message) {
				t.Errorf("veil decrypt of gpg's message: %q", got)
			}
			verificationLines(t, mustRead(t, ver), gpgFpr, mode)
		}
		// Verified against the wrong certificate: decrypted, no lines.
		ver := filepath.Join(t.TempDir(), "ver")
		ok(t, ct, "decrypt", "--verify-with", veil.cert, "--verifications-out", ver, veil.key)
		if data := mustRead(t, ver); len(data) != 0 {
			t.Errorf("verifications with the wrong certificate: %q", data)
		}
	}

	// gpg's password-only message (SEIPDv1, iterated S2K).
	ct := g.ok(message, "--passphrase", "sesame", "--symmetric", "--cipher-algo", "AES256").out
	if got := ok(t, ct, "decrypt", "--with-password", file(t, dir, "pw", []byte("sesame\n"))); !bytes.Equal(got, message) {
		t.Errorf("veil decrypt of gpg's password message: %q", got)
	}
	wantCode(t, CannotDecrypt, ct, "decrypt", "--with-password", file(t, dir, "wrong", []byte("open sesame")))
	wantCode(t, CannotDecrypt, g.ok(message, "--recipient", gpgFpr, "--encrypt").out, "decrypt", veil.key)
}

func TestGPGDetachedSignatures(t *testing.T) {
	t.Parallel()
	g, veil, gpgFpr, gpgCert, _ := gpgSetup(t)
	dir := t.TempDir()
	data := file(t, dir, "data", message)

	for _, as := range []string{"binary", "text"} {
		sig := file(t, t.TempDir(), "veil.sig", ok(t, message, "sign", "--as="+as, veil.key))
		r := g.ok(nil, "--verify", sig, data)
		if !status(r, "GOODSIG ") || !status(r, "VALIDSIG "+veil.fpr) {
			t.Errorf("gpg --verify of veil's --as=%s signature:\n%s", as, r.err)
		}
		if r := g.run(nil, "--verify", sig, file(t, t.TempDir(), "other", []byte("other"))); r.code == 0 || !status(r, "BADSIG") {
			t.Errorf("gpg accepts veil's signature over other data:\n%s", r.err)
		}

		args := []string{"--local-user", gpgFpr, "--detach-sign", "--output", "-", data}
		if as == "text" {
			args = append([]string{"--textmode"}, args...)
		}
		sig = file(t, t.TempDir(), "gpg.sig", g.ok(nil, args...).out)
		verificationLines(t, ok(t, message, "verify", sig, gpgCert), gpgFpr, as)
		wantCode(t, NoSignature, []byte("other"), "verify", sig, gpgCert)
		wantCode(t, NoSignature, message, "verify", sig, veil.cert)
	}

	// Clear-signed both ways.
	cs := ok(t, message, "inline-sign", "--as=clearsigned", veil.key)
	if r := g.ok(cs, "--verify"); !status(r, "VALIDSIG "+veil.fpr) {
		t.Errorf("gpg --verify of veil's clear-signed message:\n%s", r.err)
	}
	cs = g.ok(message, "--local-user", gpgFpr, "--clearsign").out
	if got := ok(t, cs, "inline-verify", gpgCert); !bytes.Equal(got, message) {
		t.Errorf("veil inline-verify of gpg's clear-signed message: %q", got)
	}
	// gpg's inline-signed (not clear-signed) message.
	signed := g.ok(message, "--local-user", gpgFpr, "--sign").out
	if got := ok(t, signed, "inline-verify", gpgCert); !bytes.Equal(got, message) {
		t.Errorf("veil inline-verify of gpg's signed message: %q", got)
	}
}

func TestGPGKeys(t *testing.T) {
	t.Parallel()
	g := newGPG(t)
	dir := t.TempDir()

	// gpg imports a protected key Veil made and uses it.
	pw := file(t, dir, "pw", []byte("veil passphrase"))
	key := ok(t, nil, "generate-key", "--with-key-password", pw, "Veil <veil@example.org>")
	veilCert := file(t, dir, "veil.cert", ok(t, key, "extract-cert"))
	veilFpr := fingerprint(t, key)
	g.ok(key, "--passphrase", "veil passphrase", "--import")
	r := g.ok(nil, "--with-colons", "--list-secret-keys", veilFpr)
	if !strings.Contains(string(r.out), "sec:") || !strings.Contains(string(r.out), "ssb:") {
		t.Fatalf("gpg did not import the secret key and subkey:\n%s", r.out)
	}
	ct := ok(t, message, "encrypt", veilCert)
	if r := g.ok(ct, "--passphrase", "veil passphrase", "--decrypt"); !bytes.Equal(r.out, message) {
		t.Errorf("gpg decrypt with veil's key: %q", r.out)
	}
	sig := file(t, dir, "sig", g.ok(message, "--passphrase", "veil passphrase", "--local-user", veilFpr, "--detach-sign").out)
	verificationLines(t, ok(t, message, "verify", sig, veilCert), veilFpr, "binary")

	// Veil reads a protected key gpg exported.
	gpgFpr := g.newKey("Locked <locked@example.org>", "gpg passphrase")
	gpgKey := file(t, dir, "gpg.key", g.ok(nil, "--passphrase", "gpg passphrase", "--armor", "--export-secret-keys", gpgFpr).out)
	gpgCert := file(t, dir, "gpg.cert", g.ok(nil, "--armor", "--export", gpgFpr).out)
	wantCode(t, KeyIsProtected, message, "sign", gpgKey)
	gpgPW := file(t, dir, "gpgpw", []byte("gpg passphrase"))
	sig = file(t, dir, "sig2", ok(t, message, "sign", "--with-key-password", gpgPW, gpgKey))
	if r := g.ok(nil, "--verify", sig, file(t, dir, "data", message)); !status(r, "VALIDSIG "+gpgFpr) {
		t.Errorf("gpg --verify of a signature by its own key made by veil:\n%s", r.err)
	}
	verificationLines(t, ok(t, message, "verify", sig, gpgCert), gpgFpr, "binary")
	ct = g.ok(message, "--recipient", gpgFpr, "--encrypt").out
	wantCode(t, KeyIsProtected, ct, "decrypt", gpgKey)
	if got := ok(t, ct, "decrypt", "--with-key-password", gpgPW, gpgKey); !bytes.Equal(got, message) {
		t.Errorf("veil decrypt with gpg's key: %q", got)
	}
	// Binary exports read as well.
	bin := file(t, dir, "gpg.bin", g.ok(nil, "--export", gpgFpr).out)
	ok(t, message, "encrypt", bin)

	// revoke-key: gpg sees the certificate as revoked.
	g.ok(ok(t, key, "revoke-key", "--with-key-password", pw), "--import")
	r = g.ok(nil, "--with-colons", "--list-keys", veilFpr)
	if !strings.Contains(string(r.out), "pub:r:") {
		t.Errorf("gpg does not show the revoked certificate as revoked:\n%s", r.out)
	}
}
