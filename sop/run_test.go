package sop

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

var message = []byte("Veil says hello.\nSecond line, with ümlauts.\n")

func TestDispatch(t *testing.T) {
	t.Parallel()
	wantCode(t, UnsupportedSubcommand, nil, "frobnicate")
	wantCode(t, UnsupportedOption, nil, "--frobnicate")
	wantCode(t, MissingArg, nil)
	if out := ok(t, nil, "--help"); !bytes.Contains(out, []byte("encrypt")) {
		t.Errorf("top-level help does not list encrypt:\n%s", out)
	}
	if out := ok(t, nil, "help", "decrypt"); !bytes.Contains(out, []byte("--with-session-key")) {
		t.Errorf("help decrypt does not list --with-session-key:\n%s", out)
	}
	wantCode(t, UnsupportedSubcommand, nil, "help", "frobnicate")
	for name := range commands {
		for _, h := range []string{"--help", "-h"} {
			r := sop(t, nil, name, h)
			if r.code != 0 || !bytes.HasPrefix(r.out, []byte("Usage: sop "+name)) {
				t.Errorf("%s %s: exit %d, output %q", name, h, r.code, r.out)
			}
		}
		// Every subcommand refuses an option it does not know.
		wantCode(t, UnsupportedOption, nil, name, "--no-such-option")
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	out := string(ok(t, nil, "version"))
	if !strings.HasPrefix(out, Name+" ") || strings.Count(out, "\n") != 1 {
		t.Errorf("version: %q", out)
	}
	if out := string(ok(t, nil, "version", "--backend")); !strings.HasPrefix(out, "github.com/ProtonMail/go-crypto ") {
		t.Errorf("version --backend: %q", out)
	}
	ext := strings.Split(strings.TrimSpace(string(ok(t, nil, "version", "--extended"))), "\n")
	if len(ext) < 2 || ext[0] != strings.TrimSpace(out) {
		t.Errorf("version --extended: %q", ext)
	}
	if out := string(ok(t, nil, "version", "--sop-spec")); !strings.HasPrefix(out, "~draft-dkg-openpgp-stateless-cli-") {
		t.Errorf("version --sop-spec: %q", out)
	}
	wantCode(t, IncompatibleOptions, nil, "version", "--backend", "--extended")
}

func TestListProfiles(t *testing.T) {
	t.Parallel()
	out := string(ok(t, nil, "list-profiles", "generate-key"))
	if !strings.HasPrefix(out, "default: ") || !strings.Contains(out, "\nrfc9580: ") {
		t.Errorf("list-profiles generate-key: %q", out)
	}
	if out := string(ok(t, nil, "list-profiles", "encrypt")); !strings.HasPrefix(out, "default: ") {
		t.Errorf("list-profiles encrypt: %q", out)
	}
	wantCode(t, UnsupportedProfile, nil, "list-profiles", "sign")
	wantCode(t, UnsupportedSubcommand, nil, "list-profiles", "frobnicate")
	wantCode(t, MissingArg, nil, "list-profiles")
	wantCode(t, UnsupportedProfile, nil, "generate-key", "--profile=frobnicate", "A")
	wantCode(t, UnsupportedProfile, nil, "encrypt", "--profile=frobnicate", "x")
}

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	v4 := ok(t, nil, "generate-key", "Alice <alice@example.org>", "Alice (work) <alice@work.example>")
	if !bytes.HasPrefix(v4, []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----")) {
		t.Fatalf("generate-key output is not an armored key:\n%s", v4)
	}
	el, err := parseSecretKeys(v4)
	if err != nil {
		t.Fatal(err)
	}
	e := el[0]
	if e.PrimaryKey.Version != 4 || len(e.Subkeys) != 1 {
		t.Errorf("default profile: version %d, %d subkeys", e.PrimaryKey.Version, len(e.Subkeys))
	}
	for _, uid := range []string{"Alice <alice@example.org>", "Alice (work) <alice@work.example>"} {
		if e.Identities[uid] == nil {
			t.Errorf("user ID %q missing", uid)
		}
	}
	if _, id := e.PrimaryIdentity(time.Now(), nil); id == nil || id.Name != "Alice <alice@example.org>" {
		t.Errorf("primary user ID is not the first USERID")
	}

	v6 := ok(t, nil, "generate-key", "--profile=rfc9580", "Six <six@example.org>")
	if el, err := parseSecretKeys(v6); err != nil || el[0].PrimaryKey.Version != 6 {
		t.Errorf("rfc9580 profile did not make a v6 key: %v", err)
	}
	// A v6 key needs no user ID; a v4 key does.
	noID := ok(t, nil, "generate-key", "--profile", "rfc9580")
	if el, err := parseSecretKeys(noID); err != nil || len(el[0].Identities) != 0 {
		t.Errorf("v6 key without user ID: %v", err)
	}
	wantCode(t, MissingArg, nil, "generate-key")
	// A first user ID with a comment becomes the primary one too.
	commented := ok(t, nil, "generate-key", "Carol (test) <carol@example.org>")
	if el, err := parseSecretKeys(commented); err != nil {
		t.Fatal(err)
	} else if _, id := el[0].PrimaryIdentity(time.Now(), nil); id == nil || id.Name != "Carol (test) <carol@example.org>" {
		t.Errorf("commented user ID not primary")
	}

	bin := ok(t, nil, "generate-key", "--no-armor", "Bin <bin@example.org>")
	if p, ok := firstPacket(bin); !ok || p.tag != tagSecretKey {
		t.Errorf("--no-armor output is not a binary secret key")
	}

	// --signing-only: the key signs but nobody can encrypt to it.
	so := ok(t, nil, "generate-key", "--signing-only", "Signer <s@example.org>")
	soKey := file(t, dir, "so.key", so)
	soCert := file(t, dir, "so.cert", ok(t, so, "extract-cert"))
	sig := file(t, dir, "so.sig", ok(t, message, "sign", soKey))
	ok(t, message, "verify", sig, soCert)
	wantCode(t, CertCannotEncrypt, message, "encrypt", soCert)
}

func TestProtectedKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pw := file(t, dir, "pw", []byte("correct horse\n")) // the newline is trimmed
	wrong := file(t, dir, "wrong", []byte("battery staple"))
	key := ok(t, nil, "generate-key", "--with-key-password="+pw, "Locked <locked@example.org>")
	keyFile := file(t, dir, "locked.key", key)
	certFile := file(t, dir, "locked.cert", ok(t, key, "extract-cert"))
	if el, _ := parseSecretKeys(key); !locked(el[0]) {
		t.Fatal("--with-key-password did not protect the key")
	}

	wantCode(t, KeyIsProtected, message, "sign", keyFile)
	wantCode(t, KeyIsProtected, message, "sign", "--with-key-password", wrong, keyFile)
	sig := file(t, dir, "sig", ok(t, message, "sign", "--with-key-password", wrong, "--with-key-password", pw, keyFile))
	ok(t, message, "verify", sig, certFile)

	ct := ok(t, message, "encrypt", certFile)
	if r := wantCode(t, KeyIsProtected, ct, "decrypt", keyFile); len(r.out) != 0 {
		t.Error("decrypt wrote output with a locked key")
	}
	// The password file as written (with its newline) works as well.
	if got := ok(t, ct, "decrypt", "--with-key-password", pw, keyFile); !bytes.Equal(got, message) {
		t.Errorf("decrypt with unlocked key: %q", got)
	}
	// A password opens the message even though the key stays locked.
	both := ok(t, message, "encrypt", "--with-password", wrong, certFile)
	if got := ok(t, both, "decrypt", "--with-password", wrong, keyFile); !bytes.Equal(got, message) {
		t.Errorf("decrypt with a password next to a locked key: %q", got)
	}
	wantCode(t, KeyIsProtected, message, "encrypt", "--sign-with", keyFile, certFile)
	wantCode(t, KeyIsProtected, message, "inline-sign", keyFile)
	wantCode(t, KeyIsProtected, key, "revoke-key")

	// change-key-password: remove the protection, put a new one on.
	wantCode(t, KeyIsProtected, key, "change-key-password")
	open := ok(t, key, "change-key-password", "--old-key-password", pw)
	openFile := file(t, dir, "open.key", open)
	ok(t, message, "sign", openFile)
	newPW := file(t, dir, "new", []byte("new password"))
	relocked := ok(t, open, "change-key-password", "--new-key-password", newPW)
	relockedFile := file(t, dir, "relocked.key", relocked)
	wantCode(t, KeyIsProtected, message, "sign", "--with-key-password", pw, relockedFile)
	ok(t, message, "sign", "--with-key-password", newPW, relockedFile)

	// Passwords for new material must be human-readable.
	bad := file(t, dir, "bad", []byte{0xff, 0xfe, 'x'})
	wantCode(t, PasswordNotHumanReadable, nil, "generate-key", "--with-key-password", bad, "X")
	wantCode(t, PasswordNotHumanReadable, message, "encrypt", "--with-password", bad)
	wantCode(t, PasswordNotHumanReadable, open, "change-key-password", "--new-key-password", bad)
}

func TestExtractCert(t *testing.T) {
	t.Parallel()
	key := ok(t, nil, "generate-key", "Ext <ext@example.org>")
	cert := ok(t, key, "extract-cert")
	if !bytes.HasPrefix(cert, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----")) || !bytes.HasSuffix(cert, []byte("-----\n")) {
		t.Fatalf("extract-cert: %s", cert)
	}
	el, err := parseEntities(cert)
	if err != nil || el[0].PrivateKey != nil {
		t.Fatalf("extract-cert output holds secret key material (%v)", err)
	}
	bin := ok(t, key, "extract-cert", "--no-armor")
	if p, ok := firstPacket(bin); !ok || p.tag != tagPublicKey {
		t.Error("extract-cert --no-armor is not a binary certificate")
	}
	wantCode(t, BadData, cert, "extract-cert")
	wantCode(t, BadData, []byte("not a key"), "extract-cert")
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	alice := newParty(t, dir, "Alice")
	bob := newParty(t, dir, "Bob")

	for _, mode := range []string{"binary", "text"} {
		sig := ok(t, message, "sign", "--as="+mode, alice.key)
		if !bytes.HasPrefix(sig, []byte("-----BEGIN PGP SIGNATURE-----")) {
			t.Fatalf("sign --as=%s: %s", mode, sig)
		}
		sigFile := file(t, dir, "sig."+mode, sig)
		out := ok(t, message, "verify", sigFile, alice.cert)
		if n := verificationLines(t, out, alice.fpr, mode); n != 1 {
			t.Errorf("%d verification lines, want 1", n)
		}
		// Any one of several certificates may have signed.
		ok(t, message, "verify", sigFile, bob.cert, alice.cert)
		wantCode(t, NoSignature, message, "verify", sigFile, bob.cert)
		wantCode(t, NoSignature, []byte("changed"), "verify", sigFile, alice.cert)
		wantCode(t, NoSignature, message, "verify", "--not-before", time.Now().Add(time.Hour).UTC().Format(time.RFC3339), sigFile, alice.cert)
		wantCode(t, NoSignature, message, "verify", "--not-after", "2001-01-01T00:00:00Z", sigFile, alice.cert)
		ok(t, message, "verify", "--not-before", "2001-01-01T00:00:00Z", "--not-after", "-", sigFile, alice.cert)
	}
	// Text signatures do not care about line endings.
	textSig := file(t, dir, "text.sig", ok(t, message, "sign", "--as=text", alice.key))
	ok(t, bytes.ReplaceAll(message, []byte("\n"), []byte("\r\n")), "verify", textSig, alice.cert)

	// Two signers, binary output.
	both := ok(t, message, "sign", "--no-armor", alice.key, bob.key)
	if p, ok := firstPacket(both); !ok || p.tag != tagSignature {
		t.Fatal("sign --no-armor is not binary")
	}
	bothFile := file(t, dir, "both.sig", both)
	if n := verificationLines(t, ok(t, message, "verify", bothFile, alice.cert), alice.fpr, "binary"); n != 1 {
		t.Errorf("%d lines for alice", n)
	}
	out := ok(t, message, "verify", bothFile, alice.cert, bob.cert)
	if n := strings.Count(string(out), "\n"); n != 2 {
		t.Errorf("two signers: %d verification lines:\n%s", n, out)
	}

	micalg := filepath.Join(dir, "micalg")
	ok(t, message, "sign", "--micalg-out", micalg, alice.key)
	if got, _ := os.ReadFile(micalg); string(got) != "pgp-sha512" {
		t.Errorf("micalg %q", got)
	}
	wantCode(t, OutputExists, message, "sign", "--micalg-out", micalg, alice.key)

	wantCode(t, MissingArg, message, "sign")
	wantCode(t, MissingArg, message, "verify", file(t, dir, "only", []byte("x")))
	wantCode(t, BadData, message, "sign", alice.cert)
	wantCode(t, MissingInput, message, "sign", filepath.Join(dir, "nope.key"))
	wantCode(t, UnsupportedOption, message, "sign", "--as=mime", alice.key)
	wantCode(t, ExpectedText, []byte{'o', 'k', 0xff, 0xfe}, "sign", "--as=text", alice.key)
	wantCode(t, BadData, message, "verify", alice.cert, alice.cert) // a certificate is no signature
	wantCode(t, BadData, message, "verify", file(t, dir, "junk", []byte("junk")), alice.cert)
	wantCode(t, UnsupportedOption, message, "verify", "--not-after=yesterday", file(t, dir, "s", both), alice.cert)
}

func TestEncryptDecrypt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	alice := newParty(t, dir, "Alice")
	bob := newParty(t, dir, "Bob")
	carol := newParty(t, dir, "Carol", "--profile=rfc9580")
	mallory := newParty(t, dir, "Mallory")

	ct := ok(t, message, "encrypt", "--sign-with", alice.key, bob.cert, carol.cert)
	if !bytes.HasPrefix(ct, []byte("-----BEGIN PGP MESSAGE-----")) {
		t.Fatalf("encrypt: %s", ct)
	}
	for _, reader := range []party{bob, carol} {
		ver := filepath.Join(t.TempDir(), "ver")
		got := ok(t, ct, "decrypt", "--verify-with", alice.cert, "--verifications-out", ver, reader.key)
		if !bytes.Equal(got, message) {
			t.Fatalf("decrypt: %q", got)
		}
		data, _ := os.ReadFile(ver)
		verificationLines(t, data, alice.fpr, "binary")
	}
	// Signatures by others than the --verify-with certificates are not
	// listed; the message still decrypts.
	ver := filepath.Join(dir, "ver-mallory")
	ok(t, ct, "decrypt", "--verify-with", mallory.cert, "--verifications-out", ver, bob.key)
	if data, _ := os.ReadFile(ver); len(data) != 0 {
		t.Errorf("verifications for the wrong signer: %q", data)
	}
	if r := wantCode(t, CannotDecrypt, ct, "decrypt", mallory.key); len(r.out) != 0 {
		t.Error("plaintext written on a failed decrypt")
	}

	// All-v6 recipients get SEIPDv2; text mode; binary output.
	v6 := ok(t, message, "encrypt", "--as=text", "--no-armor", carol.cert)
	if p, ok := firstPacket(v6); !ok || p.tag != 1 || p.version != 6 {
		t.Errorf("message to a v6 key does not start with a v6 PKESK: %+v", p)
	}
	if got := ok(t, v6, "decrypt", carol.key); !bytes.Equal(got, message) {
		t.Errorf("v6 decrypt: %q", got)
	}
	wantCode(t, ExpectedText, []byte{0xff, 0xfe}, "encrypt", "--as=text", bob.cert)

	// Passwords, alone or with keys.
	pw := file(t, dir, "pw", []byte("sesame\n"))
	for _, args := range [][]string{{"--with-password", pw}, {"--with-password", pw, bob.cert}} {
		ct := ok(t, message, append([]string{"encrypt"}, args...)...)
		if got := ok(t, ct, "decrypt", "--with-password", pw); !bytes.Equal(got, message) {
			t.Errorf("password decrypt: %q", got)
		}
		// A password file without the newline opens it too.
		if got := ok(t, ct, "decrypt", "--with-password", file(t, t.TempDir(), "pw", []byte("sesame"))); !bytes.Equal(got, message) {
			t.Errorf("password decrypt: %q", got)
		}
		wantCode(t, CannotDecrypt, ct, "decrypt", "--with-password", file(t, t.TempDir(), "pw", []byte("open sesame")))
	}

	wantCode(t, MissingArg, message, "encrypt")
	wantCode(t, MissingArg, ct, "decrypt")
	wantCode(t, BadData, []byte("not a message"), "decrypt", bob.key)
	wantCode(t, BadData, ct, "decrypt", bob.cert)
	wantCode(t, BadData, message, "encrypt", file(t, dir, "junk.cert", []byte("junk")))
	wantCode(t, IncompleteVerification, ct, "decrypt", "--verify-with", alice.cert, bob.key)
	wantCode(t, IncompleteVerification, ct, "decrypt", "--verifications-out", filepath.Join(dir, "v2"), bob.key)
	wantCode(t, OutputExists, ct, "decrypt", "--verify-with", alice.cert, "--verifications-out", pw, bob.key)
	wantCode(t, OutputExists, ct, "decrypt", "--session-key-out", pw, bob.key)
	wantCode(t, UnsupportedOption, message, "encrypt", "--as=clearsigned", bob.cert)
	wantCode(t, UnsupportedOption, message, "encrypt", "--sign-with", alice.key, "--sign-with", mallory.key, bob.cert)
	wantCode(t, UnsupportedOption, ct, "decrypt", "--verify-not-before=soon", bob.key)

	// A signed message that is not encrypted is not for decrypt.
	signed := ok(t, message, "inline-sign", alice.key)
	wantCode(t, BadData, signed, "decrypt", bob.key)

	// A modified message yields an error and no plaintext.
	bin := ok(t, message, "encrypt", "--no-armor", bob.cert)
	bin[len(bin)-5] ^= 0x40
	if r := sop(t, bin, "decrypt", bob.key); r.code == 0 || len(r.out) != 0 {
		t.Errorf("modified message: exit %d, %d bytes of output", r.code, len(r.out))
	}
}

func TestSessionKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	alice := newParty(t, dir, "Alice")
	six := newParty(t, dir, "Six", "--profile=rfc9580")
	pw := file(t, dir, "pw", []byte("sesame"))

	for i, args := range [][]string{
		{alice.cert},            // SEIPDv1
		{six.cert},              // SEIPDv2
		{alice.cert, six.cert},  // mixed: SEIPDv1
		{"--with-password", pw}, // password only
		{"--with-password", pw, six.cert},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			dir := t.TempDir()
			skOut := filepath.Join(dir, "sk")
			ct := ok(t, message, append([]string{"encrypt", "--session-key-out", skOut}, args...)...)
			sk, err := os.ReadFile(skOut)
			if err != nil {
				t.Fatal(err)
			}
			if got := ok(t, ct, "decrypt", "--with-session-key", skOut); !bytes.Equal(got, message) {
				t.Fatalf("decrypt with the session key from encrypt: %q", got)
			}
			// decrypt --session-key-out names the same key.
			key := alice.key
			if args[0] == six.cert {
				key = six.key
			}
			var dec []string
			if args[0] == "--with-password" {
				dec = []string{"--with-password", pw}
			} else {
				dec = []string{key}
			}
			skOut2 := filepath.Join(dir, "sk2")
			ok(t, ct, append([]string{"decrypt", "--session-key-out", skOut2}, dec...)...)
			sk2, _ := os.ReadFile(skOut2)
			if !bytes.Equal(sk, sk2) {
				t.Errorf("encrypt wrote session key %q, decrypt %q", sk, sk2)
			}
		})
	}

	ct := ok(t, message, "encrypt", alice.cert)
	wrong := file(t, dir, "wrong", []byte("9:"+strings.Repeat("AB", 32)))
	wantCode(t, CannotDecrypt, ct, "decrypt", "--with-session-key", wrong)
	// A wrong session key falls back to the keys.
	if got := ok(t, ct, "decrypt", "--with-session-key", wrong, alice.key); !bytes.Equal(got, message) {
		t.Errorf("fallback to the key: %q", got)
	}
	wantCode(t, BadData, ct, "decrypt", "--with-session-key", file(t, dir, "junk", []byte("9:XYZ")))
}

func TestDesignators(t *testing.T) {
	dir := t.TempDir()
	alice := newParty(t, dir, "Alice")
	t.Setenv("VEIL_SOP_TEST_KEY", string(alice.keyData))
	t.Setenv("VEIL_SOP_TEST_PW", "from the environment")

	sig := ok(t, message, "sign", "@ENV:VEIL_SOP_TEST_KEY")
	ok(t, message, "verify", file(t, dir, "sig", sig), alice.cert)
	ct := ok(t, message, "encrypt", "--with-password=@ENV:VEIL_SOP_TEST_PW")
	if got := ok(t, ct, "decrypt", "--with-password", "@ENV:VEIL_SOP_TEST_PW"); !bytes.Equal(got, message) {
		t.Errorf("@ENV password: %q", got)
	}
	wantCode(t, MissingInput, message, "sign", "@ENV:VEIL_SOP_TEST_UNSET")
	wantCode(t, UnsupportedSpecialPrefix, message, "sign", "@HTTP:example.org/key")
	wantCode(t, UnsupportedSpecialPrefix, ct, "decrypt", "--session-key-out", "@ENV:X", alice.key)

	// @FD: reads an inherited descriptor; @FD: outputs write to one.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		w.Write(alice.certData)
		w.Close()
	}()
	sigFile := file(t, dir, "sig2", sig)
	out := ok(t, message, "verify", sigFile, "@FD:"+strconv.Itoa(int(r.Fd())))
	verificationLines(t, out, alice.fpr, "binary")

	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer outR.Close()
	ok(t, message, "sign", "--micalg-out", "@FD:"+strconv.Itoa(int(outW.Fd())), alice.key)
	outW.Close()
	var got bytes.Buffer
	got.ReadFrom(outR)
	if got.String() != "pgp-sha512" {
		t.Errorf("@FD: output: %q", got.String())
	}

	// A designator that is also the name of a file is ambiguous.
	t.Chdir(dir)
	file(t, dir, "@ENV:VEIL_SOP_TEST_KEY", []byte("x"))
	wantCode(t, AmbiguousInput, message, "sign", "@ENV:VEIL_SOP_TEST_KEY")
}

func TestArmor(t *testing.T) {
	t.Parallel()
	key := ok(t, nil, "generate-key", "--no-armor", "Armor <armor@example.org>")
	cert := ok(t, key, "extract-cert", "--no-armor")
	dir := t.TempDir()
	keyFile := file(t, dir, "k", key)
	sig := ok(t, message, "sign", "--no-armor", keyFile)
	msg := ok(t, message, "encrypt", "--no-armor", file(t, dir, "c", cert))
	v6 := ok(t, nil, "generate-key", "--no-armor", "--profile=rfc9580", "Six")

	for _, c := range []struct {
		data  []byte
		label string
		crc   bool
	}{
		{key, "PGP PRIVATE KEY BLOCK", true},
		{cert, "PGP PUBLIC KEY BLOCK", true},
		{sig, "PGP SIGNATURE", true},
		{msg, "PGP MESSAGE", true},
		{v6, "PGP PRIVATE KEY BLOCK", false},
	} {
		armored := ok(t, c.data, "armor")
		if !bytes.HasPrefix(armored, []byte("-----BEGIN "+c.label+"-----\n")) || !bytes.HasSuffix(armored, []byte("-----END "+c.label+"-----\n")) {
			t.Errorf("armor: want %s:\n%s", c.label, armored)
		}
		if hasCRC := bytes.Contains(armored, []byte("\n=")); hasCRC != c.crc {
			t.Errorf("%s: CRC24 %v, want %v", c.label, hasCRC, c.crc)
		}
		if got := ok(t, armored, "dearmor"); !bytes.Equal(got, c.data) {
			t.Errorf("%s: dearmor(armor(x)) != x", c.label)
		}
		// Both are idempotent.
		if got := ok(t, armored, "armor"); !bytes.Equal(got, armored) {
			t.Errorf("%s: armor of armored data changed it", c.label)
		}
		if got := ok(t, c.data, "dearmor"); !bytes.Equal(got, c.data) {
			t.Errorf("%s: dearmor of binary data changed it", c.label)
		}
	}
	if out := ok(t, sig, "armor", "--label=message"); !bytes.HasPrefix(out, []byte("-----BEGIN PGP MESSAGE-----")) {
		t.Errorf("armor --label=message: %s", out)
	}
	wantCode(t, UnsupportedOption, sig, "armor", "--label=poem")
	wantCode(t, BadData, []byte("plain text"), "armor")
	wantCode(t, BadData, []byte("plain text"), "dearmor")
	broken := bytes.Replace(ok(t, cert, "armor"), []byte("\n="), []byte("\n=AAAA"), 1)
	wantCode(t, BadData, broken, "dearmor")
}

func TestInline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	alice := newParty(t, dir, "Alice")
	bob := newParty(t, dir, "Bob")

	for _, mode := range []string{"binary", "text", "clearsigned"} {
		signed := ok(t, message, "inline-sign", "--as="+mode, alice.key)
		ver := filepath.Join(t.TempDir(), "ver")
		// A text signature stores the text with canonical (CRLF) line
		// endings, as go-crypto writes it.
		want := message
		if mode == "text" {
			want = bytes.ReplaceAll(message, []byte("\n"), []byte("\r\n"))
		}
		got := ok(t, signed, "inline-verify", "--verifications-out", ver, alice.cert)
		if !bytes.Equal(got, want) {
			t.Errorf("inline-verify --as=%s: %q", mode, got)
		}
		data, _ := os.ReadFile(ver)
		sigMode := "text"
		if mode == "binary" {
			sigMode = "binary"
		}
		verificationLines(t, data, alice.fpr, sigMode)
		if r := wantCode(t, NoSignature, signed, "inline-verify", bob.cert); len(r.out) != 0 {
			t.Errorf("inline-verify wrote data without a good signature")
		}

		// inline-detach gives back exactly the signed data: for a
		// clear-signed message, the text without the line break that
		// separates it from the signature.
		if mode == "clearsigned" {
			want = bytes.TrimSuffix(message, []byte("\n"))
		}
		sigs := filepath.Join(t.TempDir(), "sigs")
		body := ok(t, signed, "inline-detach", "--signatures-out", sigs)
		if !bytes.Equal(body, want) {
			t.Errorf("inline-detach --as=%s body: %q", mode, body)
		}
		verificationLines(t, ok(t, body, "verify", sigs, alice.cert), alice.fpr, sigMode)
	}
	if out := ok(t, message, "inline-sign", "--no-armor", alice.key); !bytes.Equal(ok(t, out, "inline-verify", alice.cert), message) {
		t.Error("binary inline-signed message")
	}
	wantCode(t, IncompatibleOptions, message, "inline-sign", "--as=clearsigned", "--no-armor", alice.key)
	wantCode(t, ExpectedText, []byte{0xff, 0xfe}, "inline-sign", "--as=text", alice.key)
	wantCode(t, MissingArg, message, "inline-sign")
	wantCode(t, MissingArg, message, "inline-verify")
	wantCode(t, MissingArg, message, "inline-detach")
	wantCode(t, BadData, message, "inline-verify", alice.cert)
	// A literal data packet without a signature.
	var literal bytes.Buffer
	lw, err := packet.SerializeLiteral(nopWriteCloser{&literal}, true, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	lw.Write(message)
	lw.Close()
	wantCode(t, NoSignature, literal.Bytes(), "inline-verify", alice.cert)
	wantCode(t, BadData, literal.Bytes(), "inline-detach", "--signatures-out", filepath.Join(dir, "s"))
	wantCode(t, BadData, ok(t, message, "encrypt", bob.cert), "inline-verify", bob.cert)
	wantCode(t, BadData, []byte("just text"), "inline-detach", "--signatures-out", filepath.Join(dir, "s"))

	// Clear-signing takes several keys.
	both := ok(t, message, "inline-sign", "--as=clearsigned", alice.key, bob.key)
	out := filepath.Join(dir, "both")
	ok(t, both, "inline-verify", "--verifications-out", out, alice.cert, bob.cert)
	if data, _ := os.ReadFile(out); strings.Count(string(data), "\n") != 2 {
		t.Errorf("two clear-signers: %q", data)
	}
}

func TestRevokeKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := ok(t, nil, "generate-key", "Gone <gone@example.org>")
	rev := ok(t, key, "revoke-key")
	if !bytes.HasPrefix(rev, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----")) {
		t.Fatalf("revoke-key: %s", rev)
	}
	el, err := parseEntities(rev)
	if err != nil || !el[0].Revoked(time.Now()) || el[0].PrivateKey != nil {
		t.Fatalf("revoke-key output is not a revoked certificate (%v)", err)
	}
	wantCode(t, CertCannotEncrypt, message, "encrypt", file(t, dir, "rev", rev))
	wantCode(t, BadData, rev, "revoke-key")
}

func TestUTF8Check(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"", true}, {"plain", true}, {"ümlaut €", true}, {"\xff", false}, {"ok\xe2\x82", false}, {"\xe2\x82\xac", true},
	} {
		// Feed one byte at a time so that runes are cut.
		u := &utf8Check{r: &oneByte{s: []byte(c.in)}}
		var sink bytes.Buffer
		sink.ReadFrom(u)
		if u.valid() != c.want || sink.String() != c.in {
			t.Errorf("%q: valid %v, want %v", c.in, u.valid(), c.want)
		}
	}
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

type oneByte struct{ s []byte }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(o.s) == 0 {
		return 0, os.ErrClosed
	}
	p[0] = o.s[0]
	o.s = o.s[1:]
	return 1, nil
}

// FuzzRun feeds arbitrary input to the subcommands that parse it: they
// fail with an exit code, never a panic, and decrypt never writes
// plaintext when it fails.
func FuzzRun(f *testing.F) {
	dir := f.TempDir()
	key := sopOut(nil, "generate-key", "Fuzz <fuzz@example.org>")
	keyFile := filepath.Join(dir, "k")
	os.WriteFile(keyFile, key, 0o600)
	cert := sopOut(key, "extract-cert")
	certFile := filepath.Join(dir, "c")
	os.WriteFile(certFile, cert, 0o600)
	sigFile := filepath.Join(dir, "s")
	os.WriteFile(sigFile, sopOut(message, "sign", keyFile), 0o600)
	for _, seed := range [][]byte{
		sopOut(message, "encrypt", "--sign-with", keyFile, certFile),
		sopOut(message, "encrypt", "--no-armor", certFile),
		sopOut(message, "inline-sign", "--as=clearsigned", keyFile),
		sopOut(message, "inline-sign", "--no-armor", keyFile),
		key, cert, []byte("-----BEGIN PGP MESSAGE-----\n\n=AAAA\n-----END PGP MESSAGE-----\n"), {0xc1, 0xff}, nil,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out, errOut bytes.Buffer
		if code := Run([]string{"decrypt", keyFile}, bytes.NewReader(data), &out, &errOut); code != 0 && out.Len() != 0 {
			t.Fatalf("decrypt failed with %d and wrote %d bytes", code, out.Len())
		}
		for _, args := range [][]string{
			{"inline-verify", certFile}, {"inline-detach", "--signatures-out", "@FD:-1"},
			{"verify", sigFile, certFile}, {"dearmor"}, {"armor"}, {"extract-cert"},
		} {
			Run(args, bytes.NewReader(data), &out, &errOut)
		}
	})
}

// sopOut runs Veil's SOP outside a test (fuzz seeds) and returns its
// output.
func sopOut(stdin []byte, args ...string) []byte {
	var out bytes.Buffer
	if code := Run(args, bytes.NewReader(stdin), &out, &bytes.Buffer{}); code != 0 {
		panic(fmt.Sprintf("sop %v: exit %d", args, code))
	}
	return out.Bytes()
}
