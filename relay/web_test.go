package relay

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
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
