package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A relay told to serve the web viewer's wasm from a directory that lacks
// it does not start, and says what is missing, whether the flag or
// VEIL_WEB_WASM_DIR names the directory.
func TestRelayWebWasmDirMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "wasm_exec.js"), []byte("//"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
	}{
		"flag": {[]string{"relay", "--listen", "127.0.0.1:0", "--data-dir", data, "--web-wasm-dir", dir}, nil},
		"env":  {[]string{"relay", "--listen", "127.0.0.1:0", "--data-dir", data}, map[string]string{"VEIL_WEB_WASM_DIR": dir}},
	} {
		var out, errb bytes.Buffer
		code := Main(tc.args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return tc.env[k] }})
		if code != ExitFailure || !strings.Contains(errb.String(), "has no veil.wasm") || !strings.Contains(errb.String(), dir) {
			t.Errorf("%s: exit %d, stderr %q", name, code, errb.String())
		}
		if out.Len() != 0 {
			t.Errorf("%s: a relay that did not start wrote %q", name, out.String())
		}
	}
}
