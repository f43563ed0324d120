package relay

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/veilsocial/veil/wasmclient/payload"
	"github.com/veilsocial/veil/wasmclient/relayclient"
	"github.com/veilsocial/veil/web"
)

// fetch GETs url and returns the response and its body.
func fetch(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

// TestWebFront: a relay serves its web pages (web/) next to its API, a
// Veil link (payload.Link, payload.Inline) opens the post viewer, and the
// API's routes answer as before.
func TestWebFront(t *testing.T) {
	n := startNode(t, nil)
	ctx := context.Background()
	alice, bob := newPersona(t, "Alice"), newPersona(t, "Bob")
	msg := sealTo(t, "hello from the web front", alice, bob)
	id, err := client(t, n).Upload(ctx, msg, relayclient.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}

	html := func(url string, status int, want ...string) {
		t.Helper()
		res, body := fetch(t, url)
		if res.StatusCode != status {
			t.Errorf("%s: status %d, want %d", url, res.StatusCode, status)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", url, ct)
		}
		if csp := res.Header.Get("Content-Security-Policy"); csp != web.CSP {
			t.Errorf("%s: Content-Security-Policy %q", url, csp)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %s", url, w)
			}
		}
	}
	html(n.URL()+"/", http.StatusOK, "/web/dashboard.js")
	html(n.URL()+"/keys", http.StatusOK, "/web/keys.js")
	html(payload.Link(n.URL(), id), http.StatusOK, "/web/post.js", `data-cid="`+id.String()+`"`)
	inline, err := payload.Inline(n.URL(), msg)
	if err != nil {
		t.Fatal(err)
	}
	html(inline, http.StatusOK, "/web/post.js", `data-cid=""`) // the fragment is not sent
	html(n.URL()+"/p/not-a-cid", http.StatusBadRequest, "is not a content ID")

	res, _ := fetch(t, n.URL()+"/web/style.css")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/css; charset=utf-8" ||
		res.Header.Get("Content-Security-Policy") != web.CSP {
		t.Errorf("/web/style.css: status %d, headers %v", res.StatusCode, res.Header)
	}

	// The API is untouched: JSON, blobs, errors in JSON.
	for path, ctype := range map[string]string{
		"/v1/info":                  "application/json",
		"/healthz":                  "application/json",
		"/v1/blobs/" + id.String():  "application/octet-stream",
		"/v1/shares/" + id.String(): "application/json",
		"/metrics":                  "text/plain",
	} {
		res, _ := fetch(t, n.URL()+path)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), ctype) {
			t.Errorf("%s: status %d, Content-Type %q", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	res, body := fetch(t, n.URL()+"/no/such/route")
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	if res.StatusCode != http.StatusNotFound || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "not_found" {
		t.Errorf("unknown route: status %d, body %s", res.StatusCode, body)
	}
	res, body = fetch(t, n.URL()+"/v1/blobs/not-a-cid")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"bad_cid"`) {
		t.Errorf("/v1/blobs/not-a-cid: status %d, body %s", res.StatusCode, body)
	}
}

// scriptConst returns the string values of `export const name = {…}` in one
// of the web front's scripts.
func scriptConst(t *testing.T, script, name string) []string {
	t.Helper()
	src, err := os.ReadFile("../web/static/" + script)
	if err != nil {
		t.Fatal(err)
	}
	obj := regexp.MustCompile(`export const ` + name + ` = \{([^}]*)\}`).FindSubmatch(src)
	if obj == nil {
		t.Fatalf("%s declares no %s", script, name)
	}
	var out []string
	for _, m := range regexp.MustCompile(`:\s*"([^"]+)"`).FindAllSubmatch(obj[1], -1) {
		out = append(out, string(m[1]))
	}
	if len(out) == 0 {
		t.Fatalf("%s: %s is empty", script, name)
	}
	return out
}

// TestWebScriptEndpoints: what the pages' scripts read exists on a relay:
// every endpoint they declare answers, /v1/info carries the fields the
// dashboard shows, and /metrics exports the metrics it reads.
func TestWebScriptEndpoints(t *testing.T) {
	n := startNode(t, func(c *Config) { c.P2PListen = []string{"/ip4/127.0.0.1/tcp/0"} })
	ctx := context.Background()
	alice := newPersona(t, "Alice")
	c := client(t, n)
	id, err := c.Upload(ctx, sealTo(t, "endpoints", alice, alice), relayclient.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := alice.ArmoredPublicKey()
	if _, err := c.PublishKey(ctx, pub); err != nil {
		t.Fatal(err)
	}
	// What an endpoint that takes an argument is given.
	args := map[string]string{
		"/v1/blobs/":              id.String(),
		"/v1/shares/":             id.String(),
		"/v1/keys":                "?fingerprint=" + alice.Fingerprint(),
		"/vks/v1/by-fingerprint/": alice.Fingerprint(),
	}
	for _, script := range []string{"dashboard.js", "keys.js", "post.js"} {
		for _, ep := range scriptConst(t, script, "ENDPOINTS") {
			arg, ok := args[ep]
			if !ok && strings.HasSuffix(ep, "/") {
				t.Errorf("%s: %s takes an argument this test does not know", script, ep)
				continue
			}
			res, _ := fetch(t, n.URL()+ep+arg)
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s reads %s: status %d", script, ep+arg, res.StatusCode)
			}
		}
	}

	_, body := fetch(t, n.URL()+"/v1/info")
	var info map[string]any
	if err := json.Unmarshal([]byte(body), &info); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"name", "version", "software", "url", "peer_id", "addrs", "limits", "protocols"} {
		if _, ok := info[field]; !ok {
			t.Errorf("/v1/info lacks %q, which the dashboard shows: %s", field, body)
		}
	}

	_, metrics := fetch(t, n.URL()+"/metrics")
	for _, name := range scriptConst(t, "dashboard.js", "METRICS") {
		if !regexp.MustCompile(`(?m)^` + name + `[ {]`).MatchString(metrics) {
			t.Errorf("/metrics lacks %s, which the dashboard reads", name)
		}
	}
}

// TestWebWasmDir: with web_wasm_dir (VEIL_WEB_WASM_DIR), a relay serves the
// client's wasm from that directory and its post viewer decrypts in the
// page; a directory without the wasm stops the relay from starting.
func TestWebWasmDir(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"veil.wasm": "\x00asm\x01\x00\x00\x00", "wasm_exec.js": "// wasm_exec.js\n"}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var cfg Config
	if err := FromEnv(&cfg, func(k string) string {
		if k == "VEIL_WEB_WASM_DIR" {
			return dir
		}
		return ""
	}); err != nil || cfg.WebWasmDir != dir {
		t.Fatalf("VEIL_WEB_WASM_DIR: %q, %v", cfg.WebWasmDir, err)
	}

	n := startNode(t, func(c *Config) { c.WebWasmDir = dir })
	_, body := fetch(t, n.URL()+"/p/bafkreiedyj6xyazcrw6gttirkkh3wtugqyrqf76zocxnjkuhprfnvvkaeu")
	if !strings.Contains(body, `data-wasm="true"`) || !strings.Contains(body, `id="decrypt-button"`) {
		t.Error("the viewer does not offer decryption with web_wasm_dir set")
	}
	for name, data := range files {
		res, body := fetch(t, n.URL()+"/web/"+name)
		if res.StatusCode != http.StatusOK || body != data || res.Header.Get("Content-Security-Policy") != web.CSP {
			t.Errorf("/web/%s: status %d, body %q", name, res.StatusCode, body)
		}
	}

	if err := os.Remove(filepath.Join(dir, "wasm_exec.js")); err != nil {
		t.Fatal(err)
	}
	_, err := New(Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), WebWasmDir: dir})
	if err == nil || !strings.Contains(err.Error(), "web_wasm_dir") || !strings.Contains(err.Error(), "has no wasm_exec.js") {
		t.Errorf("a web_wasm_dir without wasm_exec.js: error %v", err)
	}
}
