package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// world is one person's setup: a Veil home and a GnuPG home.
type world struct {
	t      *testing.T
	home   string
	gnupg  string
	envVar map[string]string
}

func newWorld(t *testing.T, name string) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{t: t, home: filepath.Join(dir, name+"-veil"), gnupg: filepath.Join(dir, name+"-gnupg"),
		envVar: map[string]string{"VEIL_PASSPHRASE": name + "-secret"}}
	w.envVar["VEIL_HOME"] = w.home
	if err := os.Mkdir(w.gnupg, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd := exec.Command("gpgconf", "--kill", "all")
		cmd.Env = append(os.Environ(), "GNUPGHOME="+w.gnupg)
		cmd.Run()
	})
	return w
}

// veil runs the veil CLI in-process.
func (w *world) veil(stdin []byte, args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = Main(args, Env{Stdin: bytes.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return w.envVar[k] }})
	return out.String(), errb.String(), code
}

func (w *world) mustVeil(stdin []byte, args ...string) string {
	w.t.Helper()
	out, errs, code := w.veil(stdin, args...)
	if code != 0 {
		w.t.Fatalf("veil %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

// run runs an external tool with this world's GNUPGHOME.
func (w *world) run(stdin []byte, name string, args ...string) (string, string, error) {
	w.t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		w.t.Fatalf("%s is not installed (make setup installs it): %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+w.gnupg)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func (w *world) gpg(stdin []byte, args ...string) (string, string, error) {
	w.t.Helper()
	base := []string{"--batch", "--no-tty", "--pinentry-mode", "loopback", "--trust-model", "always", "--status-fd", "2"}
	return w.run(stdin, "gpg", append(base, args...)...)
}

func (w *world) mustGPG(stdin []byte, args ...string) string {
	w.t.Helper()
	out, errs, err := w.gpg(stdin, args...)
	if err != nil {
		w.t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, errs)
	}
	return out
}

func (w *world) newPersona(name, email string, extra ...string) string {
	w.t.Helper()
	return strings.TrimSpace(w.mustVeil(nil, append([]string{"persona", "new", "--name", name, "--email", email}, extra...)...))
}

func TestPersonaFilesArePrivate(t *testing.T) {
	a := newWorld(t, "alice")
	fpr := a.newPersona("Alice", "alice@example.org", "--claim", "twitter:alice", "--claim", "facebook:alice.example")
	st, err := os.Stat(a.home)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %v", st.Mode().Perm())
	}
	fi, err := os.Stat(filepath.Join(a.home, "personas", fpr+".asc"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode().Perm())
	}
	list := a.mustVeil(nil, "persona", "list")
	for _, want := range []string{fpr, "claim twitter:alice", "https://www.facebook.com/alice.example", "(protected)"} {
		if !strings.Contains(list, want) {
			t.Errorf("persona list lacks %q:\n%s", want, list)
		}
	}
	// The exported secret key is protected: gpg needs the passphrase.
	sec := a.mustVeil(nil, "persona", "export", "--secret", "alice")
	if _, _, err := a.gpg([]byte(sec), "--import"); err != nil {
		t.Fatalf("gpg import: %v", err)
	}
	listed := a.mustGPG(nil, "--list-secret-keys", "--with-colons")
	if !strings.Contains(listed, fpr) {
		t.Errorf("gpg does not list %s:\n%s", fpr, listed)
	}
	// gpg sees the Keyoxide notations.
	pkts := a.mustGPG([]byte(a.mustVeil(nil, "persona", "export", "alice")), "--list-packets")
	if !strings.Contains(pkts, "proof@ariadne.id=https://twitter.com/alice") {
		t.Errorf("gpg does not see the claim notation:\n%s", pkts)
	}
}

// TestGPGReadsVeil: gpg decrypts and verifies what veil encrypt writes, for
// the post form and the raw form.
func TestGPGReadsVeil(t *testing.T) {
	a, b := newWorld(t, "alice"), newWorld(t, "bob")
	afpr := a.newPersona("Alice", "alice@example.org")
	b.newPersona("Bob", "bob@example.org")
	a.mustVeil([]byte(b.mustVeil(nil, "persona", "export", "bob")), "contact", "add")
	b.mustGPG([]byte(b.mustVeil(nil, "persona", "export", "--secret", "bob")), "--import")
	b.mustGPG([]byte(a.mustVeil(nil, "persona", "export", "alice")), "--import")

	for _, mode := range [][]string{{}, {"--raw"}, {"--hidden"}} {
		msg := a.mustVeil([]byte("hello bob, only you can read this\n"), append([]string{"encrypt", "--to", "bob@example.org"}, mode...)...)
		out, status, err := b.gpg([]byte(msg), "--passphrase", "bob-secret", "--decrypt")
		if err != nil {
			t.Fatalf("%v: gpg decrypt: %v\n%s", mode, err, status)
		}
		if !strings.Contains(out, "hello bob, only you can read this") {
			t.Errorf("%v: gpg plaintext %q", mode, out)
		}
		if !strings.Contains(status, "[GNUPG:] VALIDSIG "+afpr) || !strings.Contains(status, "GOODSIG") {
			t.Errorf("%v: gpg did not verify Alice's signature:\n%s", mode, status)
		}
	}
	// A public post is signed, not encrypted: gpg verifies it without keys.
	pub := a.mustVeil([]byte("hello world"), "encrypt", "--public")
	out, status, err := b.gpg([]byte(pub), "--decrypt")
	if err != nil || !strings.Contains(out, "hello world") || !strings.Contains(status, "VALIDSIG "+afpr) {
		t.Errorf("public post through gpg: %v %q\n%s", err, out, status)
	}
	if strings.Contains(status, "DECRYPTION") {
		t.Errorf("public post was encrypted:\n%s", status)
	}
}

// TestVeilReadsGPG: veil decrypts and verifies what gpg writes (gpg's
// default ed25519/cv25519 keys, gpg's default compression).
func TestVeilReadsGPG(t *testing.T) {
	a, b := newWorld(t, "alice"), newWorld(t, "bob")
	bfpr := b.newPersona("Bob", "bob@example.org")
	a.mustGPG(nil, "--passphrase", "", "--quick-gen-key", "Alice GPG <alice@example.org>", "ed25519", "sign", "never")
	afpr := gpgFingerprint(t, a, "alice@example.org")
	a.mustGPG(nil, "--passphrase", "", "--quick-add-key", afpr, "cv25519", "encr", "never")
	a.mustGPG([]byte(b.mustVeil(nil, "persona", "export", "bob")), "--import")
	b.mustVeil([]byte(a.mustGPG(nil, "--armor", "--export", afpr)), "contact", "add", "--handle", "twitter:alice")

	msg := a.mustGPG([]byte("from gpg with love\n"), "--armor", "--sign", "--encrypt", "-r", bfpr, "-u", afpr)
	out, status, code := b.veil([]byte(msg), "decrypt", "--require-signature")
	if code != 0 {
		t.Fatalf("veil decrypt: exit %d: %s", code, status)
	}
	if out != "from gpg with love\n" {
		t.Errorf("plaintext %q", out)
	}
	if !strings.Contains(status, "good signature by "+afpr) {
		t.Errorf("verification: %s", status)
	}
	// JSON report names the signer and audience.
	js, _, code := b.veil([]byte(msg), "decrypt", "--json")
	var rep decryptReport
	if code != 0 || json.Unmarshal([]byte(js), &rep) != nil || rep.Signer != afpr || rep.Signature != "good" || len(rep.Recipients) != 1 {
		t.Errorf("json report (exit %d): %s", code, js)
	}
	// A detached-free, unsigned gpg message decrypts but says so.
	plain := a.mustGPG([]byte("unsigned"), "--armor", "--encrypt", "-r", bfpr)
	out, status, code = b.veil([]byte(plain), "decrypt")
	if code != 0 || out != "unsigned" || !strings.Contains(status, "not signed") {
		t.Errorf("unsigned: exit %d %q %s", code, out, status)
	}
	if _, _, code := b.veil([]byte(plain), "decrypt", "--require-signature"); code != ExitBadSig {
		t.Errorf("--require-signature on unsigned: exit %d", code)
	}
}

// TestLateRecipientWithGPG: Alice posts to Bob, then adds Carol with a
// share; Carol reads it with veil and with gpg, signature intact.
func TestLateRecipientWithGPG(t *testing.T) {
	a, b, c := newWorld(t, "alice"), newWorld(t, "bob"), newWorld(t, "carol")
	afpr := a.newPersona("Alice", "alice@example.org")
	b.newPersona("Bob", "bob@example.org")
	c.newPersona("Carol", "carol@example.org")
	a.mustVeil([]byte(b.mustVeil(nil, "persona", "export", "bob")), "contact", "add")
	a.mustVeil([]byte(c.mustVeil(nil, "persona", "export", "carol")), "contact", "add")
	c.mustVeil([]byte(a.mustVeil(nil, "persona", "export", "alice")), "contact", "add")

	post := a.mustVeil([]byte("first bob, then carol"), "encrypt", "--binary", "--to", "bob")
	dir := t.TempDir()
	postFile := filepath.Join(dir, "post.pgp")
	os.WriteFile(postFile, []byte(post), 0o600)
	if _, _, code := c.veil([]byte(post), "decrypt"); code != ExitNotForMe {
		t.Fatalf("carol before the share: exit %d, want %d", code, ExitNotForMe)
	}
	share := a.mustVeil(nil, "share", "add", "--to", "carol", postFile)
	if len(share) == 0 || len(share) > 200 {
		t.Fatalf("share is %d bytes", len(share))
	}
	shareFile := filepath.Join(dir, "carol.share")
	os.WriteFile(shareFile, []byte(share), 0o600)
	out, status, code := c.veil([]byte(post), "decrypt", "--share", shareFile)
	if code != 0 || out != "first bob, then carol\n" || !strings.Contains(status, "good signature by "+afpr) {
		t.Fatalf("carol with share: exit %d %q %s", code, out, status)
	}
	// gpg: key packets of the share followed by the unchanged post.
	c.mustGPG([]byte(c.mustVeil(nil, "persona", "export", "--secret", "carol")), "--import")
	c.mustGPG([]byte(a.mustVeil(nil, "persona", "export", "alice")), "--import")
	joined := append([]byte(share), post...)
	gout, gstatus, err := c.gpg(joined, "--passphrase", "carol-secret", "--decrypt")
	if err != nil {
		t.Fatalf("gpg with share: %v\n%s", err, gstatus)
	}
	if !strings.Contains(gout, `"text":"first bob, then carol"`) || !strings.Contains(gstatus, "VALIDSIG "+afpr) {
		t.Errorf("gpg late recipient: %q\n%s", gout, gstatus)
	}
}

func TestSqopInterop(t *testing.T) {
	a, b := newWorld(t, "alice"), newWorld(t, "bob")
	afpr := a.newPersona("Alice", "alice@example.org")
	dir := t.TempDir()
	bobKey, _, err := b.run(nil, "sqop", "generate-key", "Bob <bob@example.org>")
	if err != nil {
		t.Fatal(err)
	}
	bobCert, _, err := b.run([]byte(bobKey), "sqop", "extract-cert")
	if err != nil {
		t.Fatal(err)
	}
	aliceCert := a.mustVeil(nil, "persona", "export", "alice")
	for name, data := range map[string]string{"bob.key": bobKey, "bob.cert": bobCert, "alice.cert": aliceCert} {
		os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600)
	}
	a.mustVeil([]byte(bobCert), "contact", "add")
	// veil → sqop
	msg := a.mustVeil([]byte("to sequoia"), "encrypt", "--raw", "--to", "bob@example.org")
	verif := filepath.Join(dir, "verif.txt")
	out, errs, err := b.run([]byte(msg), "sqop", "decrypt", "--verify-with", filepath.Join(dir, "alice.cert"), "--verifications-out", verif, filepath.Join(dir, "bob.key"))
	if err != nil || out != "to sequoia" {
		t.Fatalf("sqop decrypt: %v %q %s", err, out, errs)
	}
	v, _ := os.ReadFile(verif)
	if !strings.Contains(string(v), afpr) {
		t.Errorf("sqop verifications: %q", v)
	}
	// sqop → veil
	sq, errs, err := b.run([]byte("from sequoia"), "sqop", "encrypt", "--sign-with", filepath.Join(dir, "bob.key"), filepath.Join(dir, "alice.cert"))
	if err != nil {
		t.Fatalf("sqop encrypt: %v %s", err, errs)
	}
	out, status, code := a.veil([]byte(sq), "decrypt", "--require-signature")
	if code != 0 || out != "from sequoia" {
		t.Fatalf("veil decrypt of sqop: exit %d %q %s", code, out, status)
	}
}

func TestBackupRestoreKeepsClaimsAndContacts(t *testing.T) {
	a := newWorld(t, "alice")
	fpr := a.newPersona("Alice", "alice@example.org", "--claim", "twitter:alice")
	second := a.newPersona("Alice Work", "alice@work.example", "--profile", "v6", "--claim", "facebook:alice.work")
	b := newWorld(t, "bob")
	b.newPersona("Bob", "bob@example.org")
	a.mustVeil([]byte(b.mustVeil(nil, "persona", "export", "bob")), "contact", "add", "--handle", "twitter:bobby")
	backup := filepath.Join(t.TempDir(), "veil.backup")
	a.envVar["VEIL_BACKUP_PASSPHRASE"] = "backup words"
	a.mustVeil(nil, "persona", "backup", "--out", backup)
	if _, _, code := a.veil(nil, "persona", "backup", "--out", backup); code == 0 {
		t.Error("backup overwrote an existing file")
	}
	// gpg opens the backup with its passphrase: it is plain OpenPGP.
	data, _ := os.ReadFile(backup)
	gout, gerr, err := a.gpg(data, "--passphrase", "backup words", "--decrypt")
	if err != nil || !strings.Contains(gout, `"format":"veil-backup"`) {
		t.Errorf("gpg cannot open the backup: %v %s", err, gerr)
	}
	// A new machine.
	n := newWorld(t, "alice")
	n.envVar["VEIL_BACKUP_PASSPHRASE"] = "wrong"
	if _, _, code := n.veil(nil, "persona", "restore", backup); code != ExitLocked {
		t.Errorf("restore with wrong passphrase: exit %d", code)
	}
	n.envVar["VEIL_BACKUP_PASSPHRASE"] = "backup words"
	out := n.mustVeil(nil, "persona", "restore", backup)
	if !strings.Contains(out, "restored 2 personas and 1 contacts") {
		t.Errorf("restore: %s", out)
	}
	list := n.mustVeil(nil, "persona", "list")
	for _, want := range []string{fpr, second, "claim twitter:alice", "claim facebook:alice.work", " v6 "} {
		if !strings.Contains(list, want) {
			t.Errorf("restored personas lack %q:\n%s", want, list)
		}
	}
	if cl := n.mustVeil(nil, "contact", "list"); !strings.Contains(cl, "twitter:bobby") {
		t.Errorf("restored contacts lost the handle:\n%s", cl)
	}
	// The restored persona still works with its own passphrase.
	msg := n.mustVeil([]byte("after restore"), "encrypt", "--as", fpr, "--to", "bob")
	if out, _, code := n.veil([]byte(msg), "decrypt"); code != 0 || out != "after restore\n" {
		t.Errorf("decrypt after restore: %d %q", code, out)
	}
}

func TestClaimCommand(t *testing.T) {
	a := newWorld(t, "alice")
	a.newPersona("Alice", "alice@example.org")
	out := a.mustVeil(nil, "persona", "claim", "alice", "twitter:alice_veil")
	if !strings.Contains(out, "twitter:alice_veil") || !strings.Contains(out, "openpgp4fpr:") {
		t.Errorf("claim: %s", out)
	}
	a.mustVeil(nil, "persona", "claim", "alice", "--remove", "twitter:alice_veil")
	if list := a.mustVeil(nil, "persona", "list"); strings.Contains(list, "alice_veil") || !strings.Contains(list, "(protected)") {
		t.Errorf("after remove:\n%s", list)
	}
	a.envVar["VEIL_PASSPHRASE"] = "wrong"
	if _, _, code := a.veil(nil, "persona", "claim", "alice", "twitter:x"); code != ExitLocked {
		t.Errorf("claim with a wrong passphrase: exit %d", code)
	}
}

func TestExitCodes(t *testing.T) {
	a, b := newWorld(t, "alice"), newWorld(t, "bob")
	a.newPersona("Alice", "alice@example.org")
	b.newPersona("Bob", "bob@example.org")
	msg := a.mustVeil([]byte("x"), "encrypt", "--to", "alice")
	cases := []struct {
		name  string
		w     *world
		stdin []byte
		args  []string
		want  int
	}{
		{"no args", a, nil, nil, ExitUsage},
		{"unknown command", a, nil, []string{"frobnicate"}, ExitUsage},
		{"help", a, nil, []string{"encrypt", "--help"}, ExitOK},
		{"bad flag", a, nil, []string{"encrypt", "--nope"}, ExitUsage},
		{"no recipients", a, []byte("x"), []string{"encrypt"}, ExitUsage},
		{"unknown recipient", a, []byte("x"), []string{"encrypt", "--to", "nobody"}, ExitFailure},
		{"not for me", b, []byte(msg), []string{"decrypt"}, ExitNotForMe},
		{"garbage", b, []byte("garbage"), []string{"decrypt"}, ExitCorrupt},
		{"truncated", a, []byte(msg[:len(msg)/2]), []string{"decrypt"}, ExitCorrupt},
		{"bad claim", a, nil, []string{"persona", "new", "--name", "X", "--claim", "myspace:x"}, ExitUsage},
		{"bad key import", a, []byte("not a key"), []string{"contact", "add"}, ExitCorrupt},
		{"version", a, nil, []string{"version"}, ExitOK},
	}
	for _, c := range cases {
		out, errs, code := c.w.veil(c.stdin, c.args...)
		if code != c.want {
			t.Errorf("%s: exit %d, want %d (%s)", c.name, code, c.want, errs)
		}
		if c.want != ExitOK && c.name != "no args" && out != "" {
			t.Errorf("%s: wrote to stdout on failure: %q", c.name, out)
		}
	}
}

func gpgFingerprint(t *testing.T, w *world, uid string) string {
	t.Helper()
	out := w.mustGPG(nil, "--with-colons", "--list-keys", uid)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "fpr:") {
			return strings.Split(line, ":")[9]
		}
	}
	t.Fatalf("no fingerprint for %s:\n%s", uid, out)
	return ""
}
