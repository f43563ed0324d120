package integration

// The relay's own post viewer (web/, /p/<cid>) in real headless Chromium,
// without the extension: a visitor opens a Veil link, pastes a secret key
// and reads the post, decrypted in the page by veil.wasm served from the
// relay's web_wasm_dir.

import (
	"context"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/veilsocial/veil/internal/relaytest"
	"github.com/veilsocial/veil/relay"
	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/payload"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/post"
	"github.com/veilsocial/veil/wasmclient/relayclient"
	"github.com/veilsocial/veil/web"
)

// TestBrowserWebViewer is issue 5, "the web viewer decrypts a post": Alice
// seals a post to Bob and stores it on a relay that serves the client's wasm
// from a directory (web_wasm_dir). Bob, in a browser without the extension,
// opens the post's link: Carol's key cannot open it; his own key, protected
// by a passphrase, asks for the passphrase and then shows the text, with
// Alice's signature good (her key from the relay's directory). The page asks
// nothing of any origin but the relay's, and only reads.
func TestBrowserWebViewer(t *testing.T) {
	needChromium(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}

	// The wasm as `make wasm` leaves it in bin/, in a directory of its own.
	wasm, wasmExec := buildWasm(t, ctx, root)
	wasmDir := t.TempDir()
	for from, name := range map[string]string{wasm: "veil.wasm", wasmExec: "wasm_exec.js"} {
		if err := copyFile(from, filepath.Join(wasmDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	rl := startViewerRelay(t, wasmDir)

	// Alice publishes her key and seals a post to Bob.
	const bobPass = "bob's long passphrase"
	alice := viewerPersona(t, "Alice Martin", "")
	bob := viewerPersona(t, "Bob Chen", bobPass)
	carol := viewerPersona(t, "Carol Diaz", "")
	c, err := relayclient.New(rl.URL())
	if err != nil {
		t.Fatal(err)
	}
	alicePub, err := alice.ArmoredPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PublishKey(ctx, alicePub); err != nil {
		t.Fatalf("publishing Alice's key: %v", err)
	}
	bobPub, err := persona.PublicOnly(bob.Entity())
	if err != nil {
		t.Fatal(err)
	}
	const text = "Bob, the keys to the allotment shed are under the blue pot. Don't tell Carol <b>yet</b> & thanks!"
	composed, err := post.Compose(ctx, c, &post.Draft{Post: envelope.Post{Text: text}, Author: alice, To: []*openpgp.Entity{bobPub}})
	if err != nil {
		t.Fatalf("Alice composes: %v", err)
	}
	link := payload.Link(rl.URL(), composed.CID)
	if composed.Link != link || !strings.HasPrefix(link, rl.URL()+"/p/") {
		t.Fatalf("the post's link is %q, want %q on the relay", composed.Link, link)
	}
	bobKey, err := bob.ArmoredSecretKey()
	if err != nil {
		t.Fatal(err)
	}
	carolKey, err := carol.ArmoredSecretKey()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(bobKey), "PRIVATE KEY BLOCK") || !bob.Protected() || carol.Protected() {
		t.Fatal("the test's keys are not what it means them to be")
	}

	b := newViewerBrowser(t, "bob")
	reqs := watchRequests(b)
	b.must(60*time.Second, "opening the link",
		chromedp.Navigate(link),
		// The post's public parts are shown, and the key form is there.
		chromedp.Poll(`!document.querySelector("#metadata").hidden && document.querySelector("#decrypt-button") !== null`, nil),
	)
	if st := viewerState(b); st.State != "idle" {
		t.Fatalf("before any key, the status is %+v, want idle (is the wasm served?)", st)
	}

	// Carol's key opens nothing.
	st := b.decryptWith(carolKey, "")
	if st.State != "error" || !strings.Contains(st.Text, "not one of its recipients") || st.Plaintext != "" || st.Shown {
		t.Errorf("Carol's key: %+v, want the not-for-you error and no text", st)
	}
	b.screenshot("not-for-you")

	// Bob's key without its passphrase: the page asks for it.
	st = b.decryptWith(bobKey, "")
	if st.State != "error" || !strings.Contains(st.Text, "passphrase") || st.Plaintext != "" {
		t.Errorf("Bob's key without its passphrase: %+v, want to be asked for it", st)
	}

	// With it, the post.
	st = b.decryptWith(bobKey, bobPass)
	if st.State != "ok" || st.Plaintext != text || !st.Shown {
		t.Fatalf("Bob's key: %+v, want the post's text %q", st, text)
	}
	if !strings.Contains(st.Text, "Decrypted in this page") || strings.Contains(st.Text, "could not be checked") {
		t.Errorf("status %q: want decrypted with the signature checked", st.Text)
	}
	fpr := groupHex(alice.Fingerprint())
	if !strings.Contains(st.Author, "Alice Martin") || !strings.Contains(st.Author, fpr) ||
		st.Badge != "ok" || !strings.HasPrefix(st.BadgeText, "signature good") {
		t.Errorf("author %q, badge %q (%s): want Alice Martin · %s, signature good", st.Author, st.BadgeText, st.Badge, fpr)
	}
	if st.KeyInput != "" || st.Passphrase != "" {
		t.Error("the key form still holds the key after the import")
	}
	b.must(20*time.Second, "scrolling to the post", chromedp.Evaluate(`document.querySelector("#plaintext-card").scrollIntoView()`, nil))
	b.screenshot("decrypted")

	// Everything the page asked for, it asked of the relay, and only read.
	relayURL, err := url.Parse(rl.URL())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, r := range reqs.all() {
		u, err := url.Parse(r.url)
		if err != nil {
			t.Errorf("request to %q: %v", r.url, err)
			continue
		}
		switch {
		case u.Scheme == "data" || u.Scheme == "blob": // no request: the page's own bytes
		case u.Host != relayURL.Host || (u.Scheme != relayURL.Scheme && u.Scheme != "ws"):
			t.Errorf("the page made a request to another origin: %s %s", r.method, r.url)
		case (r.method != "GET" && r.method != "WebSocket") || r.body:
			t.Errorf("the page sent something: %s %s", r.method, r.url)
		default:
			paths = append(paths, u.Path)
		}
	}
	t.Logf("the page's requests: %v", paths)
	// The page, the client, the post and Alice's key: the log has them all.
	for _, want := range []string{"/p/" + composed.CID.String(), web.WasmExecPath, web.WasmPath, "/v1/blobs/" + composed.CID.String(), "/v1/keys"} {
		if !slices.ContainsFunc(paths, func(p string) bool { return strings.HasPrefix(p, want) }) {
			t.Errorf("no request for %s among %v: the network log misses requests", want, paths)
		}
	}
}

// startViewerRelay starts a relay, like startRelay, that serves the wasm in
// wasmDir to its web viewer.
func startViewerRelay(t *testing.T, wasmDir string) *relay.Node {
	t.Helper()
	return relaytest.Start(t, relay.Config{WebWasmDir: wasmDir})
}

// viewerPersona makes a default-profile persona, protected when passphrase
// is not empty.
func viewerPersona(t *testing.T, name, passphrase string) *persona.Persona {
	t.Helper()
	email := strings.ToLower(strings.Fields(name)[0]) + "@example.org"
	p, err := persona.New(persona.Options{Name: name, Email: email, Passphrase: []byte(passphrase)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newViewerBrowser starts headless Chromium with a fresh profile and no
// extension: a visitor to the relay's pages.
func newViewerBrowser(t *testing.T, name string) *browser {
	t.Helper()
	return &browser{t: t, name: name, ctx: chromium(t, name), shots: screenshotDir(t), frames: map[target.ID]context.Context{}}
}

// request is one request a page made, as DevTools saw it.
type request struct {
	method, url string
	body        bool // it carried a body
}

// requestLog is every request of a tab.
type requestLog struct {
	mu   sync.Mutex
	reqs []request
}

func (l *requestLog) add(r request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, r)
}

func (l *requestLog) all() []request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

// watchRequests records the requests and WebSocket connections of the first
// tab from now on.
func watchRequests(b *browser) *requestLog {
	b.t.Helper()
	l := &requestLog{}
	chromedp.ListenTarget(b.ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			l.add(request{method: ev.Request.Method, url: ev.Request.URL, body: ev.Request.HasPostData})
		case *network.EventWebSocketCreated:
			l.add(request{method: "WebSocket", url: ev.URL})
		}
	})
	b.must(20*time.Second, "watching the network", network.Enable())
	return l
}

// viewer is what the post viewer shows.
type viewer struct {
	State, Text          string // #status
	Plaintext            string
	Shown                bool   // the post's card is visible
	Author               string // the author's name and fingerprint
	Badge, BadgeText     string // the signature's verdict
	KeyInput, Passphrase string // what the key form holds
}

const viewerJS = `(() => {
	const q = (s) => document.querySelector(s);
	const status = q("#status"), badge = q("#post-details .badge"), who = q("#post-details .mono");
	return {
		State: status.dataset.state, Text: status.hidden ? "" : status.textContent,
		Plaintext: q("#plaintext").textContent, Shown: !q("#plaintext-card").hidden,
		Author: who ? who.textContent : "",
		Badge: badge ? badge.dataset.state : "", BadgeText: badge ? badge.textContent : "",
		KeyInput: q("#key-input").value, Passphrase: q("#passphrase-input").value,
	};
})()`

func viewerState(b *browser) viewer {
	b.t.Helper()
	var v viewer
	b.must(20*time.Second, "reading the viewer", chromedp.Evaluate(viewerJS, &v))
	return v
}

// decryptWith pastes an armored secret key (and types its passphrase) into
// the viewer, clicks Decrypt and returns what the viewer shows once it is
// done.
func (b *browser) decryptWith(key []byte, passphrase string) viewer {
	b.t.Helper()
	before := viewerState(b)
	// By the page's own DOM calls and DevTools input, not chromedp's node
	// queries, which lose track of the page once the viewer changes it.
	focus := func(sel string) chromedp.Action {
		return chromedp.Evaluate(`(e => { e.value = ""; e.focus(); return document.activeElement === e })(document.querySelector("`+sel+`"))`, nil)
	}
	b.must(20*time.Second, "pasting the key", focus("#key-input"), input.InsertText(string(key))) // as a paste does
	b.must(20*time.Second, "clearing the passphrase", focus("#passphrase-input"))
	if passphrase != "" {
		b.must(20*time.Second, "typing the passphrase", input.InsertText(passphrase))
	}
	start := time.Now()
	b.click(`#decrypt-button`)
	defer func() { b.t.Logf("%s: decrypting took %v", b.name, time.Since(start).Round(time.Millisecond)) }()
	deadline := time.Now().Add(90 * time.Second)
	for {
		v := viewerState(b)
		done := v.State != "busy" && (v.State != before.State || v.Text != before.Text)
		if done {
			return v
		}
		if time.Now().After(deadline) {
			b.screenshot("stuck")
			b.t.Fatalf("%s: the viewer did not finish decrypting: %+v", b.name, v)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// groupHex is a fingerprint as the pages show it (common.js groupHex):
// groups of four.
func groupHex(s string) string {
	s = strings.ToUpper(s)
	var groups []string
	for len(s) > 4 {
		groups = append(groups, s[:4])
		s = s[4:]
	}
	return strings.Join(append(groups, s), " ")
}
