package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	leveldb "github.com/ipfs/go-ds-leveldb"
	"github.com/labstack/echo/v4"

	"github.com/veilsocial/veil/relay/api"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openStore opens a leveldb datastore in dir (closed at cleanup).
func openStore(t testing.TB, dir string) *leveldb.Datastore {
	t.Helper()
	ds, err := leveldb.NewDatastore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ds.Close() })
	return ds
}

// newDir returns a directory over a fresh leveldb datastore.
func newDir(t testing.TB, opts Options) *Directory {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	d, err := New(openStore(t, t.TempDir()), opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// server is a directory behind a real echo server on 127.0.0.1.
type server struct {
	*Directory
	URL  string // http://127.0.0.1:<port>
	Host string // 127.0.0.1:<port>
}

func newServer(t testing.TB, opts Options) *server {
	t.Helper()
	d := newDir(t, opts)
	e := echo.New()
	e.HideBanner = true
	e.HTTPErrorHandler = api.ErrorHandler(quiet)
	d.Register(e)
	ts := httptest.NewServer(e) // listens on 127.0.0.1, port 0
	t.Cleanup(ts.Close)
	return &server{Directory: d, URL: ts.URL, Host: strings.TrimPrefix(ts.URL, "http://")}
}

// do sends a request and returns the status, body and content type.
func (s *server) do(t testing.TB, method, path, contentType string, body []byte) (int, []byte, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data, resp.Header.Get("Content-Type")
}

// wantError checks that a response is the JSON error with this status and
// code.
func wantError(t testing.TB, what string, status int, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	var b api.Body
	if err := json.Unmarshal(body, &b); err != nil || b.Error == nil {
		t.Fatalf("%s: want a JSON error, got %d %q", what, status, body)
	}
	if status != wantStatus || b.Error.Code != wantCode {
		t.Fatalf("%s: got %d %s (%s), want %d %s", what, status, b.Error.Code, b.Error.Message, wantStatus, wantCode)
	}
}

// wantAPIError checks an error returned by the Go API.
func wantAPIError(t testing.TB, what string, err error, sentinel error, wantStatus int, wantCode string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Fatalf("%s: %v is not %v", what, err, sentinel)
	}
	ae := api.FromError(err)
	if ae.Status != wantStatus || ae.Code != wantCode {
		t.Fatalf("%s: got %d %s (%s), want %d %s", what, ae.Status, ae.Code, ae.Message, wantStatus, wantCode)
	}
}

// newPersona makes a persona key (v4, Ed25519 + X25519 subkey).
func newPersona(t testing.TB, name, email string, claims ...persona.Claim) *persona.Persona {
	t.Helper()
	p, err := persona.New(persona.Options{Name: name, Email: email, Claims: claims})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func publicKey(t testing.TB, p *persona.Persona) []byte {
	t.Helper()
	data, err := p.ArmoredPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// serializeEntity writes an entity's public parts with everything it holds
// (third-party certifications too), binary.
func serializeEntity(t testing.TB, e *openpgp.Entity) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readArmored(t testing.TB, armored string) *openpgp.Entity {
	t.Helper()
	el, err := persona.ReadKeys([]byte(armored))
	if err != nil {
		t.Fatal(err)
	}
	if len(el) != 1 {
		t.Fatalf("want one key, got %d", len(el))
	}
	return el[0]
}

// checkClean verifies that a stored certificate holds only what its primary
// key signed: every signature is a valid self-signature or revocation, every
// user ID and subkey has one, and there is no secret key material. It
// checks the bytes independently of the package's own cleaning code.
func checkClean(t testing.TB, cert []byte) {
	t.Helper()
	el, err := openpgp.ReadKeyRing(bytes.NewReader(cert))
	if err != nil || len(el) != 1 {
		t.Fatalf("stored certificate does not parse as one key: %v", err)
	}
	e := el[0]
	pk := e.PrimaryKey
	if e.PrivateKey != nil {
		t.Fatal("stored key has secret key material")
	}
	for _, s := range e.Revocations {
		if err := pk.VerifyRevocationSignature(s.Packet); err != nil {
			t.Fatalf("stored key revocation does not verify: %v", err)
		}
	}
	for _, s := range e.DirectSignatures {
		if err := pk.VerifyDirectKeySignature(s.Packet); err != nil {
			t.Fatalf("stored direct signature does not verify: %v", err)
		}
	}
	if pk.Version < 6 && len(e.Identities) == 0 {
		t.Fatal("stored v4 key has no user ID")
	}
	for name, id := range e.Identities {
		if len(id.OtherCertifications) > 0 {
			t.Fatalf("stored user ID %q has %d third-party certifications", name, len(id.OtherCertifications))
		}
		if len(id.SelfCertifications) == 0 {
			t.Fatalf("stored user ID %q has no self-signature", name)
		}
		for _, s := range append(append([]*packet.VerifiableSignature{}, id.SelfCertifications...), id.Revocations...) {
			if err := pk.VerifyUserIdSignature(name, pk, s.Packet); err != nil {
				t.Fatalf("stored signature on %q does not verify: %v", name, err)
			}
		}
	}
	for _, sk := range e.Subkeys {
		if sk.PrivateKey != nil {
			t.Fatal("stored subkey has secret key material")
		}
		if len(sk.Bindings) == 0 {
			t.Fatal("stored subkey without binding")
		}
		for _, s := range sk.Bindings {
			if err := pk.VerifyKeySignature(sk.PublicKey, s.Packet); err != nil {
				t.Fatalf("stored subkey binding does not verify: %v", err)
			}
		}
		for _, s := range sk.Revocations {
			if err := pk.VerifySubkeyRevocationSignature(s.Packet, sk.PublicKey); err != nil {
				t.Fatalf("stored subkey revocation does not verify: %v", err)
			}
		}
	}
	// Signatures the library sorted away (wrong type, unknown issuer) must
	// not be there either: every signature packet belongs to one of the
	// lists above.
	sigs := 0
	rest := cert
	for len(rest) > 0 {
		tag, next, ok := pgppacket.Next(rest)
		if !ok {
			t.Fatal("stored certificate has broken framing")
		}
		if tag == 2 {
			sigs++
		}
		rest = next
	}
	counted := len(e.Revocations) + len(e.DirectSignatures)
	for _, id := range e.Identities {
		counted += len(id.SelfCertifications) + len(id.Revocations)
	}
	for _, sk := range e.Subkeys {
		counted += len(sk.Bindings) + len(sk.Revocations)
	}
	if sigs != counted {
		t.Fatalf("stored certificate has %d signature packets, %d of them accounted for", sigs, counted)
	}
}

func storedCert(t testing.TB, d *Directory, fpr string) []byte {
	t.Helper()
	st, err := d.load(context.Background(), fpr)
	if err != nil {
		t.Fatal(err)
	}
	return st.Cert
}

// gpgHome is a fresh GnuPG home directory with gpg run against it.
type gpgHome struct {
	t   testing.TB
	dir string
}

func requireGPG(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Skip("gpg not installed")
	}
}

// newGPGHome makes a GnuPG home. It lives in a short path of its own (the
// agent's socket path must fit in a sockaddr) and its daemons are killed at
// cleanup.
func newGPGHome(t testing.TB) *gpgHome {
	t.Helper()
	requireGPG(t)
	dir, err := os.MkdirTemp("", "vg")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	g := &gpgHome{t: t, dir: dir}
	t.Cleanup(func() {
		cmd := exec.Command("gpgconf", "--kill", "all")
		cmd.Env = g.env()
		_ = cmd.Run()
		os.RemoveAll(dir)
	})
	return g
}

func (g *gpgHome) env() []string {
	return append(os.Environ(), "GNUPGHOME="+g.dir, "LC_ALL=C")
}

// run runs gpg with stdin and returns stdout; it fails the test on error.
func (g *gpgHome) run(stdin []byte, args ...string) []byte {
	g.t.Helper()
	out, errOut, err := g.try(stdin, args...)
	if err != nil {
		g.t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// try runs gpg and returns stdout, stderr and the error.
func (g *gpgHome) try(stdin []byte, args ...string) ([]byte, []byte, error) {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	full := append([]string{"--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)
	cmd := exec.CommandContext(ctx, "gpg", full...)
	cmd.Env = g.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	return stdout.Bytes(), stderr.Bytes(), err
}

// genKey makes an Ed25519 key for uid and returns its fingerprint.
func (g *gpgHome) genKey(uid string) string {
	g.t.Helper()
	g.run(nil, "--quick-gen-key", uid, "ed25519", "sign", "0")
	return g.fingerprint(uid)
}

// fingerprint returns the fingerprint of the (only) key matching what.
func (g *gpgHome) fingerprint(what string) string {
	g.t.Helper()
	out := g.run(nil, "--with-colons", "--list-keys", what)
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 9 && f[0] == "fpr" {
			return f[9]
		}
	}
	g.t.Fatalf("no fingerprint for %q in\n%s", what, out)
	return ""
}
