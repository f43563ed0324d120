package sop

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veilsocial/veil/wasmclient/persona"
)

// result is what one run of a SOP implementation produced.
type result struct {
	out, err []byte
	code     int
}

func (r result) String() string {
	return strings.TrimSpace(string(r.err))
}

// sop runs Veil's SOP in process with in-memory standard streams.
func sop(t *testing.T, stdin []byte, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(args, bytes.NewReader(stdin), &out, &errOut)
	return result{out.Bytes(), errOut.Bytes(), code}
}

// ok runs Veil's SOP and fails the test unless it succeeded.
func ok(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	r := sop(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("sop %s: exit %d: %s", strings.Join(args, " "), r.code, r)
	}
	return r.out
}

// wantCode runs Veil's SOP and checks its exit code.
func wantCode(t *testing.T, want Code, stdin []byte, args ...string) result {
	t.Helper()
	r := sop(t, stdin, args...)
	if Code(r.code) != want {
		t.Fatalf("sop %s: exit %d (%v), want %d (%v): %s", strings.Join(args, " "), r.code, Code(r.code), int(want), want, r)
	}
	return r
}

// file writes data to a new file in dir and returns its path.
func file(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// party is a key made by Veil's SOP, saved in files.
type party struct {
	key, cert string // file names
	fpr       string // primary key fingerprint, upper-case hex
	keyData   []byte
	certData  []byte
}

// newParty generates a key with Veil's SOP (extra generate-key options
// may be given) and writes it and its certificate to dir.
func newParty(t *testing.T, dir, name string, opts ...string) party {
	t.Helper()
	uid := name + " <" + strings.ToLower(name) + "@example.org>"
	key := ok(t, nil, append(append([]string{"generate-key"}, opts...), uid)...)
	cert := ok(t, key, "extract-cert")
	return party{
		key:      file(t, dir, name+".key", key),
		cert:     file(t, dir, name+".cert", cert),
		fpr:      fingerprint(t, cert),
		keyData:  key,
		certData: cert,
	}
}

// fingerprint is the primary fingerprint of the first key in data.
func fingerprint(t *testing.T, data []byte) string {
	t.Helper()
	el, err := persona.ReadKeys(data)
	if err != nil {
		t.Fatalf("cannot read key: %v", err)
	}
	return persona.Fingerprint(el[0])
}

// verificationLines checks VERIFICATIONS output: one line per signature,
// each naming fpr as the primary key and mode as the mode. It returns the
// number of lines.
func verificationLines(t *testing.T, out []byte, fpr, mode string) int {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(out) == 0 {
		t.Fatalf("no verifications")
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 3 {
			t.Fatalf("bad verification line %q", l)
		}
		if _, err := time.Parse("2006-01-02T15:04:05Z", f[0]); err != nil {
			t.Fatalf("bad time in verification line %q: %v", l, err)
		}
		if f[2] != fpr {
			t.Fatalf("verification line %q names %s, want %s", l, f[2], fpr)
		}
		if mode != "" && (len(f) < 4 || f[3] != "mode:"+mode) {
			t.Fatalf("verification line %q: want mode:%s", l, mode)
		}
	}
	return len(lines)
}

// tool runs an external program with a time limit.
func tool(t *testing.T, stdin []byte, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Env = append(os.Environ(), env...)
	// A daemon (gpg-agent) that keeps our pipes open must not hold the
	// test.
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{out.Bytes(), errOut.Bytes(), 0}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %s: timed out", name, strings.Join(args, " "))
	}
	return r
}

// need skips the test when a program is not installed. (The Makefile's
// setup installs gnupg and sqop, so CI runs these tests.)
func need(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not installed", name)
	}
}
