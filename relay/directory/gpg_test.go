package directory

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/veilsocial/veil/relay/api"
)

// These tests run the real gpg (GnuPG 2.2+) and its dirmngr against a
// directory served on 127.0.0.1.

func (s *server) keyserver() string { return "hkp://" + s.Host }

// colonListing returns gpg's --with-colons listing of what.
func (g *gpgHome) colonListing(what ...string) string {
	g.t.Helper()
	return string(g.run(nil, append([]string{"--with-colons", "--list-keys"}, what...)...))
}

func TestGPGSendRecvSearch(t *testing.T) {
	s := newServer(t, Options{})
	alice := newGPGHome(t)
	fpr := alice.genKey("Alice Example <alice@example.org>")
	alice.run(nil, "--quick-add-key", fpr, "cv25519", "encr", "0")

	// gpg --send-keys: dirmngr POSTs keytext= to /pks/add.
	alice.run(nil, "--keyserver", s.keyserver(), "--send-keys", fpr)
	rec, err := s.Get(ctx, fpr)
	if err != nil {
		t.Fatalf("the sent key is not in the directory: %v", err)
	}
	if len(rec.KeyIDs) != 2 || !slices.Equal(rec.Emails, []string{"alice@example.org"}) {
		t.Fatalf("record %+v", rec)
	}

	// gpg --recv-keys <fpr> in a fresh home gets it.
	bob := newGPGHome(t)
	_, errOut, err := bob.try(nil, "--keyserver", s.keyserver(), "--recv-keys", fpr)
	if err != nil {
		t.Fatalf("recv-keys: %v\n%s", err, errOut)
	}
	if !strings.Contains(string(errOut), "imported: 1") {
		t.Fatalf("recv-keys did not import one key:\n%s", errOut)
	}
	if got := bob.fingerprint(fpr); got != fpr {
		t.Fatalf("imported %s", got)
	}
	// ... and by its long key ID.
	carol := newGPGHome(t)
	carol.run(nil, "--keyserver", s.keyserver(), "--recv-keys", rec.KeyIDs[0])
	if got := carol.fingerprint(fpr); got != fpr {
		t.Fatalf("imported %s by key ID", got)
	}

	// gpg --search-keys <email> lists it; picking "1" imports it.
	dave := newGPGHome(t)
	out, errOut, err := dave.try([]byte("1\n"), "--command-fd", "0", "--keyserver", s.keyserver(), "--search-keys", "alice@example.org")
	if err != nil {
		t.Fatalf("search-keys: %v\n%s\n%s", err, out, errOut)
	}
	listing := string(out) + string(errOut)
	t.Logf("gpg --search-keys:\n%s", listing)
	if !strings.Contains(listing, "(1)\tAlice Example <alice@example.org>") || !strings.Contains(listing, "255 bit EDDSA key "+fpr[24:]) {
		t.Fatalf("search-keys did not list the key:\n%s", listing)
	}
	if !strings.Contains(listing, "imported: 1") {
		t.Fatalf("search-keys did not import the chosen key:\n%s", listing)
	}
	if got := dave.fingerprint(fpr); got != fpr {
		t.Fatalf("search imported %s", got)
	}

	// --locate-keys through the keyserver mechanism asks op=get by address.
	erin := newGPGHome(t)
	erin.run(nil, "--keyserver", s.keyserver(), "--auto-key-locate", "clear,keyserver,nodefault", "--locate-keys", "alice@example.org")
	if got := erin.fingerprint(fpr); got != fpr {
		t.Fatalf("locate-keys imported %s", got)
	}

	// An unknown key is "no data" for gpg (a 404), not a crash.
	frank := newGPGHome(t)
	_, errOut, err = frank.try(nil, "--keyserver", s.keyserver(), "--recv-keys", strings.Repeat("AB", 20))
	if err == nil {
		t.Fatalf("recv-keys of an unknown key succeeded:\n%s", errOut)
	}
	if !strings.Contains(string(errOut), "No data") && !strings.Contains(string(errOut), "not found") {
		t.Fatalf("recv-keys of an unknown key:\n%s", errOut)
	}
}

var wkdHashLine = regexp.MustCompile(`(?m)^\s+([ybndrfg8ejkmcpqxot1uwisza345h769]{32})@(\S+)$`)

func TestGPGWKD(t *testing.T) {
	s := newServer(t, Options{})
	home := newGPGHome(t)
	addr := "Alice.Smith@Example.ORG"
	fpr := home.genKey("Alice Smith <" + addr + ">")
	home.run(nil, "--quick-add-uid", fpr, "Alice Smith <alice@elsewhere.example>")
	home.run(nil, "--quick-add-key", fpr, "cv25519", "encr", "0")

	// The hash our code computes is the one gpg prints.
	out := home.run(nil, "--with-wkd-hash", "--list-keys", addr)
	m := wkdHashLine.FindAllStringSubmatch(string(out), -1)
	var gpgHash string
	for _, sub := range m {
		if sub[2] == "example.org" {
			gpgHash = sub[1]
		}
	}
	if gpgHash == "" {
		t.Fatalf("no WKD hash for example.org in\n%s", out)
	}
	if got := wkdHash("Alice.Smith"); got != gpgHash {
		t.Fatalf("wkdHash = %s, gpg says %s", got, gpgHash)
	}

	home.run(nil, "--keyserver", s.keyserver(), "--send-keys", fpr)

	// gpg-wks-client tells where WKD would look; we serve that path.
	wkdURL := ""
	if client := findWKSClient(); client != "" {
		cmd := exec.Command(client, "--print-wkd-url", addr)
		cmd.Env = home.env()
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("gpg-wks-client: %v", err)
		}
		wkdURL = strings.TrimSpace(string(b))
	} else {
		wkdURL = "https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/" + gpgHash + "?l=alice.smith"
	}
	u, err := url.Parse(wkdURL)
	if err != nil || !strings.Contains(u.Path, "/hu/"+gpgHash) {
		t.Fatalf("WKD URL %q", wkdURL)
	}
	fetch := func(path, host string) []byte {
		t.Helper()
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/octet-stream" {
			t.Fatalf("WKD %s: %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), buf.Bytes())
		}
		return buf.Bytes()
	}
	advanced := fetch(u.RequestURI(), u.Host)
	direct := fetch("/.well-known/openpgpkey/hu/"+gpgHash+"?l="+url.QueryEscape("alice.smith"), "example.org")
	if !bytes.Equal(advanced, direct) {
		t.Fatal("direct and advanced methods differ")
	}
	// The body is a binary key gpg imports, with only the asked address.
	bodyFile := filepath.Join(t.TempDir(), "wkd.bin")
	if err := os.WriteFile(bodyFile, advanced, 0o600); err != nil {
		t.Fatal(err)
	}
	fresh := newGPGHome(t)
	_, errOut, err := fresh.try(nil, "--import", bodyFile)
	if err != nil || !strings.Contains(string(errOut), "imported: 1") {
		t.Fatalf("gpg --import of the WKD answer: %v\n%s", err, errOut)
	}
	listing := fresh.colonListing(fpr)
	if !strings.Contains(listing, "Alice Smith <"+addr+">") || strings.Contains(listing, "elsewhere.example") {
		t.Fatalf("WKD answer holds the wrong user IDs:\n%s", listing)
	}
	if !strings.Contains(listing, "\nsub:") {
		t.Fatalf("WKD answer lost the encryption subkey:\n%s", listing)
	}
}

func findWKSClient() string {
	for _, p := range []string{"/usr/lib/gnupg/gpg-wks-client", "/usr/libexec/gpg-wks-client", "/usr/lib/gnupg2/gpg-wks-client"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("gpg-wks-client"); err == nil {
		return p
	}
	return ""
}

func TestGPGThirdPartyCertificationStripped(t *testing.T) {
	s := newServer(t, Options{})
	alice := newGPGHome(t)
	afpr := alice.genKey("Alice <alice@example.org>")
	bob := newGPGHome(t)
	bfpr := bob.genKey("Bob <bob@example.org>")
	bobKeyID := bfpr[24:]

	// Bob certifies Alice's user ID and sends her key (with his
	// signature) to the directory.
	bob.run(alice.run(nil, "--export", afpr), "--import")
	bob.run(nil, "--default-key", bfpr, "--quick-sign-key", afpr)
	exported := bob.run(nil, "--export", afpr)
	packets := string(bob.run(exported, "--list-packets"))
	if !strings.Contains(packets, "keyid "+bobKeyID) {
		t.Fatalf("setup: Bob's certification is not in the export:\n%s", packets)
	}
	bob.run(nil, "--keyserver", s.keyserver(), "--send-keys", afpr)

	rec, err := s.Get(ctx, afpr)
	if err != nil {
		t.Fatal(err)
	}
	stored := bob.run([]byte(rec.Armored), "--list-packets")
	if strings.Contains(string(stored), "keyid "+bobKeyID) {
		t.Fatalf("the stored key keeps Bob's certification:\n%s", stored)
	}
	if !strings.Contains(string(stored), "keyid "+afpr[24:]) {
		t.Fatalf("the stored key lost Alice's self-signature:\n%s", stored)
	}
	checkClean(t, storedCert(t, s.Directory, afpr))
}

func TestGPGMergeAndRevocation(t *testing.T) {
	s := newServer(t, Options{})
	alice := newGPGHome(t)
	fpr := alice.genKey("Alice <alice@example.org>")
	alice.run(nil, "--keyserver", s.keyserver(), "--send-keys", fpr)

	// A new subkey sent later is merged.
	alice.run(nil, "--quick-add-key", fpr, "cv25519", "encr", "0")
	res, err := s.Submit(ctx, alice.run(nil, "--export", fpr))
	if err != nil || res.Keys[0].Status != StatusUpdated {
		t.Fatalf("upload with a new subkey: %v %+v", err, res)
	}
	rec, _ := s.Get(ctx, fpr)
	if len(rec.KeyIDs) != 2 {
		t.Fatalf("subkey not merged: %v", rec.KeyIDs)
	}

	// The revocation certificate gpg made at key generation, imported and
	// sent, revokes the key in the directory.
	revFile := filepath.Join(alice.dir, "openpgp-revocs.d", fpr+".rev")
	rev, err := os.ReadFile(revFile)
	if err != nil {
		t.Fatal(err)
	}
	rev = bytes.Replace(rev, []byte(":-----BEGIN PGP PUBLIC KEY BLOCK-----"), []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----"), 1)
	alice.run(rev, "--import")
	alice.run(nil, "--keyserver", s.keyserver(), "--send-keys", fpr)
	if rec, _ = s.Get(ctx, fpr); !rec.Revoked || len(rec.KeyIDs) != 2 {
		t.Fatalf("revocation not merged: revoked=%v keyids=%v", rec.Revoked, rec.KeyIDs)
	}
	// Whoever fetches the key learns that it is revoked.
	bob := newGPGHome(t)
	bob.run(nil, "--keyserver", s.keyserver(), "--recv-keys", fpr)
	if listing := bob.colonListing(fpr); !strings.HasPrefix(listing, "pub:r:") && !strings.Contains(listing, "\npub:r:") {
		t.Fatalf("gpg does not see the revocation:\n%s", listing)
	}
	// The mr index flags it.
	status, body, _ := s.do(t, "GET", "/pks/lookup?op=index&options=mr&search=0x"+fpr, "", nil)
	if status != 200 || !regexp.MustCompile(`(?m)^pub:`+fpr+`:22:255:\d+::r$`).Match(body) {
		t.Fatalf("index of a revoked key:\n%s", body)
	}

	// Another key claiming the same address does not replace Alice's;
	// a search lists both.
	mallory := newGPGHome(t)
	mfpr := mallory.genKey("Alice <alice@example.org>")
	mallory.run(nil, "--keyserver", s.keyserver(), "--send-keys", mfpr)
	if again, _ := s.Get(ctx, fpr); again.Armored != rec.Armored {
		t.Fatal("another key changed Alice's record")
	}
	recs, err := s.Lookup(ctx, Query{Email: "alice@example.org"})
	if err != nil || len(recs) != 2 {
		t.Fatalf("lookup: %v, %d", err, len(recs))
	}
	status, body, _ = s.do(t, "GET", "/pks/lookup?op=index&options=mr&search=alice%40example.org", "", nil)
	if status != 200 || !strings.HasPrefix(string(body), "info:1:2\n") || !strings.Contains(string(body), fpr) || !strings.Contains(string(body), mfpr) {
		t.Fatalf("index of a shared address:\n%s", body)
	}
	// gpg's search lists both; choosing both imports both.
	carol := newGPGHome(t)
	out, errOut, err := carol.try([]byte("1 2\n"), "--command-fd", "0", "--keyserver", s.keyserver(), "--search-keys", "alice@example.org")
	if err != nil {
		t.Fatalf("search-keys: %v\n%s\n%s", err, out, errOut)
	}
	listing := carol.colonListing()
	if !strings.Contains(listing, fpr) || !strings.Contains(listing, mfpr) {
		t.Fatalf("search did not import both keys:\n%s\n%s%s", listing, out, errOut)
	}
}

func TestGPGBadUploads(t *testing.T) {
	s := newServer(t, Options{})
	home := newGPGHome(t)
	fpr := home.genKey("Alice <alice@example.org>")

	secret := home.run(nil, "--armor", "--export-secret-keys", fpr)
	status, body, _ := s.do(t, "POST", "/v1/keys", "application/pgp-keys", secret)
	wantError(t, "gpg secret key", status, body, http.StatusUnprocessableEntity, api.CodeBadKey)
	subOnly := home.run(nil, "--export-secret-subkeys", fpr)
	status, body, _ = s.do(t, "POST", "/v1/keys", "application/pgp-keys", subOnly)
	wantError(t, "gpg secret subkeys", status, body, http.StatusUnprocessableEntity, api.CodeBadKey)

	pub := home.run(nil, "--export", fpr)
	status, body, _ = s.do(t, "POST", "/v1/keys", "application/pgp-keys", dropPackets(pub, 2))
	wantError(t, "gpg key without signatures", status, body, http.StatusUnprocessableEntity, api.CodeBadKey)
	status, body, _ = s.do(t, "POST", "/v1/keys", "application/pgp-keys", forgeSignatures(t, pub))
	wantError(t, "gpg key with broken signatures", status, body, http.StatusUnprocessableEntity, api.CodeBadKey)
	if n, _ := s.count(ctx); n != 0 {
		t.Fatalf("%d keys stored", n)
	}
}
