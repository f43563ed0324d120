package relay

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// gpgHome is a throwaway GnuPG home whose agent is stopped at cleanup.
func gpgHome(t *testing.T) func(args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	env := append(os.Environ(), "GNUPGHOME="+home)
	t.Cleanup(func() {
		c := exec.Command("gpgconf", "--kill", "all")
		c.Env = env
		c.Run()
	})
	return func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		c := exec.CommandContext(ctx, "gpg", append([]string{"--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...)
		c.Env = env
		out, err := c.CombinedOutput()
		return string(out), err
	}
}

// TestGPGUsesRelayAsKeyserver: a whole relay node is a keyserver gpg can
// send to, receive from and search, and its WKD answers what gpg asks.
func TestGPGUsesRelayAsKeyserver(t *testing.T) {
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Fatal("gpg is not installed (make setup installs gnupg)")
	}
	n := startNode(t, nil)
	ks := "hkp://" + n.Addr()
	alice := gpgHome(t)
	if out, err := alice("--quick-gen-key", "Alice <alice@example.org>", "ed25519", "sign", "never"); err != nil {
		t.Fatalf("gen key: %v\n%s", err, out)
	}
	out, err := alice("--with-colons", "--list-keys", "alice@example.org")
	if err != nil {
		t.Fatal(err)
	}
	var fpr string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "fpr:") {
			fpr = strings.Split(l, ":")[9]
			break
		}
	}
	if out, err := alice("--keyserver", ks, "--send-keys", fpr); err != nil {
		t.Fatalf("send-keys: %v\n%s", err, out)
	}
	bob := gpgHome(t)
	if out, err := bob("--keyserver", ks, "--recv-keys", fpr); err != nil || !strings.Contains(out, "imported") {
		t.Fatalf("recv-keys: %v\n%s", err, out)
	}
	carol := gpgHome(t)
	out, err = carol("--keyserver", ks, "--search-keys", "alice@example.org")
	if !strings.Contains(out, "Alice <alice@example.org>") {
		t.Fatalf("search-keys: %v\n%s", err, out)
	}
}
