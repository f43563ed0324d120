package integration

// The browser extension in real headless Chromium: the extension built from
// extension/ with the wasm of wasmclient/js, a real relay, and the saved copies
// of X and Facebook in extension/testdata served over HTTPS under the sites'
// real host names (Chromium maps them to a local server), with a strict CSP
// like the real sites'. Each person is a separate Chromium with its own
// profile. `make test-browser` runs these tests.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/veilsocial/veil/internal/relaytest"
	"github.com/veilsocial/veil/relay"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// chromiumPath is Debian's Chromium; tests skip without it.
const chromiumPath = "/usr/bin/chromium"

// siteCSP is like the sites' own: scripts only from the site, no eval and no
// wasm, frames only from the site. Extension frames must still work.
const siteCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'"

// needChromium skips a test when Chromium or the extension cannot run here.
func needChromium(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser tests need Chromium at %s (Debian package chromium: make setup SETUP_FLAGS=--browser)", chromiumPath)
	}
}

// ---- The extension ----

// buildExtension assembles the loadable extension into a temporary
// directory the way `make extension` does: the sources under extension/
// (without testdata/, dist/ and docs), veil.wasm built from wasmclient/js and
// the toolchain's wasm_exec.js.
func buildExtension(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	src, err := filepath.Abs("../extension")
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "extension")
	if err := copyTree(src, dst); err != nil {
		t.Fatalf("copying the extension: %v", err)
	}
	build := exec.Command(goBin, "build", "-trimpath", "-o", filepath.Join(dst, "veil.wasm"), "../wasmclient/js")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building veil.wasm: %v\n%s", err, out)
	}
	goroot, err := exec.Command(goBin, "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	execJS := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js")
	if _, err := os.Stat(execJS); err != nil {
		execJS = filepath.Join(strings.TrimSpace(string(goroot)), "misc", "wasm", "wasm_exec.js")
	}
	if err := copyFile(execJS, filepath.Join(dst, "wasm_exec.js")); err != nil {
		t.Fatal(err)
	}
	return dst
}

// copyTree copies the extension's sources: everything but testdata/, dist/
// and Markdown.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if rel == "testdata" || rel == "dist" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if strings.HasSuffix(rel, ".md") {
			return nil
		}
		return copyFile(path, filepath.Join(dst, rel))
	})
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}

// ---- The relay ----

func startRelay(t *testing.T) *relay.Node {
	t.Helper()
	// The browsers share one address: no rate limit may get in the way.
	return relaytest.Start(t, relaytest.Unlimited(relay.Config{}))
}

// ---- The sites ----

// fakeSites serves the saved pages of X and Facebook, by host name, and the
// little API their page scripts call: posts made during the test and
// profiles (name, bio). The pages are the saved copies; only the posts and
// profiles come from here.
type fakeSites struct {
	dir string // extension/testdata
	srv *httptest.Server

	mu     sync.Mutex
	next   int
	posts  map[string][]sitePost          // site -> newest first
	users  map[string]map[string]siteUser // site -> handle -> user
	posted chan sitePost
	// wallet answers /__wallet: the signer behind testdata/testwallet.js.
	wallet http.Handler
}

type sitePost struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Handle string `json:"handle"`
	Text   string `json:"text"`
	Time   string `json:"time"`
}

type siteUser struct {
	Handle string  `json:"handle"`
	Name   string  `json:"name"`
	Bio    *string `json:"bio,omitempty"`
}

func startSites(t *testing.T) *fakeSites {
	t.Helper()
	dir, err := filepath.Abs("../extension/testdata")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSites{
		dir:    dir,
		posts:  map[string][]sitePost{},
		users:  map[string]map[string]siteUser{"twitter": {}, "facebook": {}},
		posted: make(chan sitePost, 16),
	}
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	return s
}

// addr is host:port of the HTTPS server that Chromium maps the sites to.
func (s *fakeSites) addr() string { return s.srv.Listener.Addr().String() }

func (s *fakeSites) setUser(site, handle, name, bio string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := siteUser{Handle: handle, Name: name}
	if bio != "" {
		u.Bio = &bio
	}
	s.users[site][handle] = u
}

// addPost puts a post on a site's timeline as if its author had posted it.
func (s *fakeSites) addPost(site, name, handle, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	p := sitePost{ID: fmt.Sprintf("17900000000000%05d", s.next), Name: name, Handle: handle, Text: text, Time: time.Now().UTC().Format(time.RFC3339)}
	s.posts[site] = append([]sitePost{p}, s.posts[site]...)
}

// hangingRelay is a relay that accepts connections and never answers.
func hangingRelay(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

func siteOf(host string) string {
	host, _, _ = strings.Cut(host, ":")
	switch host {
	case "x.com", "twitter.com", "mobile.twitter.com", "mobile.x.com":
		return "twitter"
	case "www.facebook.com", "facebook.com", "web.facebook.com":
		return "facebook"
	}
	return ""
}

var (
	twitterHandle  = regexp.MustCompile(`^/([A-Za-z0-9_]{1,15})$`)
	facebookHandle = regexp.MustCompile(`^/([A-Za-z0-9.]{5,50})$`)
)

func (s *fakeSites) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	site := siteOf(r.Host)
	if site == "" {
		http.NotFound(w, r)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/__login":
		// Test-only: who is signed in, as the sites' session cookies say.
		name := map[string]string{"twitter": "auth_user", "facebook": "c_user"}[site]
		http.SetCookie(w, &http.Cookie{Name: name, Value: r.URL.Query().Get("as"), Path: "/", Secure: true})
		next := r.URL.Query().Get("next")
		if !strings.HasPrefix(next, "/") {
			next = "/"
		}
		http.Redirect(w, r, next, http.StatusFound)
	case p == "/__wallet":
		// Test-only: the page wallet's signer (testwallet.js).
		s.mu.Lock()
		h := s.wallet
		s.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	case strings.HasPrefix(p, "/static/"):
		name := filepath.Base(p)
		if strings.HasPrefix(p, "/static/emoji/") {
			name = "emoji/" + name
		}
		for _, f := range []string{filepath.Join(s.dir, site, name), filepath.Join(s.dir, name)} {
			if _, err := os.Stat(f); err == nil {
				http.ServeFile(w, r, f)
				return
			}
		}
		http.NotFound(w, r)
	case site == "twitter" && p == "/i/api/timeline", site == "facebook" && p == "/api/feed":
		s.serveFeed(w, r, site)
	case site == "twitter" && p == "/i/api/tweets", site == "facebook" && p == "/api/posts":
		s.servePost(w, r, site)
	case strings.HasPrefix(p, "/i/api/users/"), strings.HasPrefix(p, "/api/users/"):
		s.mu.Lock()
		u, ok := s.users[site][p[strings.LastIndex(p, "/")+1:]]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, u)
	case site == "twitter" && (p == "/" || p == "/home"):
		s.page(w, r, "twitter/home.html")
	case site == "twitter" && twitterHandle.MatchString(p):
		s.page(w, r, "twitter/profile.html")
	case site == "facebook" && p == "/":
		s.page(w, r, "facebook/feed.html")
	case site == "facebook" && facebookHandle.MatchString(p):
		s.page(w, r, "facebook/profile.html")
	default:
		http.NotFound(w, r)
	}
}

func (s *fakeSites) page(w http.ResponseWriter, r *http.Request, name string) {
	w.Header().Set("Content-Security-Policy", siteCSP)
	w.Header().Set("Cache-Control", "no-store")
	http.ServeFile(w, r, filepath.Join(s.dir, name))
}

func (s *fakeSites) serveFeed(w http.ResponseWriter, r *http.Request, site string) {
	author := r.URL.Query().Get("author")
	s.mu.Lock()
	out := []sitePost{}
	for _, p := range s.posts[site] {
		if author == "" || p.Handle == author {
			out = append(out, p)
		}
	}
	s.mu.Unlock()
	key := map[string]string{"twitter": "tweets", "facebook": "posts"}[site]
	writeJSON(w, map[string]any{key: out})
}

func (s *fakeSites) servePost(w http.ResponseWriter, r *http.Request, site string) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var req struct{ Text string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || req.Text == "" {
		http.Error(w, "bad post", http.StatusBadRequest)
		return
	}
	cookie := map[string]string{"twitter": "auth_user", "facebook": "c_user"}[site]
	handle := map[string]string{"twitter": "alice", "facebook": "alice.martin"}[site]
	if c, err := r.Cookie(cookie); err == nil && c.Value != "" {
		handle = c.Value
	}
	s.mu.Lock()
	s.next++
	name := handle
	if u, ok := s.users[site][handle]; ok {
		name = u.Name
	}
	p := sitePost{ID: fmt.Sprintf("17900000000000%05d", s.next), Name: name, Handle: handle, Text: req.Text, Time: time.Now().UTC().Format(time.RFC3339)}
	s.posts[site] = append([]sitePost{p}, s.posts[site]...)
	s.mu.Unlock()
	select {
	case s.posted <- p:
	default:
	}
	writeJSON(w, p)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}

// ---- Browsers ----

// browser is one person's Chromium with the extension loaded.
type browser struct {
	t     *testing.T
	name  string
	ctx   context.Context // the first tab
	extID string
	shots string // where screenshots go

	mu     sync.Mutex
	frames map[target.ID]context.Context // attached extension frames and the worker
}

func newBrowser(t *testing.T, name, ext string, sites *fakeSites) *browser {
	t.Helper()
	_, port, _ := net.SplitHostPort(sites.addr())
	var rules []string
	for _, h := range []string{"x.com", "twitter.com", "mobile.twitter.com", "www.facebook.com", "facebook.com", "web.facebook.com"} {
		rules = append(rules, "MAP "+h+" 127.0.0.1:"+port)
	}
	ctx := chromium(t, name,
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("host-resolver-rules", strings.Join(rules, ", ")),
		chromedp.Flag("load-extension", ext),
		chromedp.Flag("disable-extensions-except", ext),
	)
	b := &browser{t: t, name: name, ctx: ctx, shots: screenshotDir(t), frames: map[target.ID]context.Context{}}
	// The extension's service worker says which ID Chromium gave it.
	deadline := time.Now().Add(20 * time.Second)
	for b.extID == "" {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type == "service_worker" && strings.HasSuffix(info.URL, "/background.js") && strings.HasPrefix(info.URL, "chrome-extension://") {
				b.extID = strings.TrimPrefix(strings.TrimSuffix(info.URL, "/background.js"), "chrome-extension://")
			}
		}
		if b.extID == "" {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the extension's service worker did not start", name)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return b
}

// run runs actions in the first tab with a deadline.
func (b *browser) run(timeout time.Duration, actions ...chromedp.Action) error {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	return chromedp.Run(ctx, actions...)
}

func (b *browser) must(timeout time.Duration, what string, actions ...chromedp.Action) {
	b.t.Helper()
	if err := b.run(timeout, actions...); err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, what, err)
	}
}

// attach returns a context for an extension target (frame or worker),
// attached once and kept until the browser closes: closing it would close
// the target.
func (b *browser) attach(id target.ID) context.Context {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ctx, ok := b.frames[id]; ok {
		return ctx
	}
	ctx, _ := chromedp.NewContext(b.ctx, chromedp.WithTargetID(id)) //nolint:govet // lives as long as the browser
	// The first Run attaches, and the attachment lives as long as the
	// context it is given: give it this one, never one with a deadline.
	if err := chromedp.Run(ctx); err != nil {
		b.t.Logf("%s: attaching to %s: %v", b.name, id, err)
	}
	b.frames[id] = ctx
	return ctx
}

// extensionTargets lists the extension's targets whose URL has path (such
// as "/pages/post.html").
func (b *browser) extensionTargets(path string) []*target.Info {
	infos, err := chromedp.Targets(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	var out []*target.Info
	for _, info := range infos {
		if strings.HasPrefix(info.URL, "chrome-extension://") && strings.Contains(info.URL, path) {
			out = append(out, info)
		}
	}
	return out
}

// eval evaluates a JavaScript expression (awaiting a Promise) in an
// attached target.
func eval(ctx context.Context, timeout time.Duration, expr string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate(expr, out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
}

// worker evaluates an expression in the extension's service worker.
func (b *browser) worker(expr string, out any) error {
	ts := b.extensionTargets("/background.js")
	if len(ts) == 0 {
		return errors.New("no service worker")
	}
	return eval(b.attach(ts[0].TargetID), 20*time.Second, expr, out)
}

// waitWasm waits until the service worker runs veil.wasm.
func (b *browser) waitWasm() {
	b.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var state struct{ Wasm, Error string }
	for time.Now().Before(deadline) {
		if err := b.worker(`self.veilState`, &state); err == nil && state.Wasm == "running" {
			return
		}
		if state.Wasm == "failed" {
			b.t.Fatalf("%s: veil.wasm failed in the service worker: %s", b.name, state.Error)
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.t.Fatalf("%s: veil.wasm did not start in the service worker (state %+v)", b.name, state)
}

// popup opens the extension's popup page in a new tab and returns its context.
func (b *browser) popup() (context.Context, context.CancelFunc) {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	if err := chromedp.Run(ctx); err != nil { // a new tab, attached for as long as ctx lives
		cancel()
		b.t.Fatalf("%s: popup: %v", b.name, err)
	}
	tctx, tcancel := context.WithTimeout(ctx, 60*time.Second)
	err := chromedp.Run(tctx,
		chromedp.Navigate("chrome-extension://"+b.extID+"/pages/popup.html"),
		chromedp.WaitVisible(`#status[data-ready="true"]`),
		chromedp.WaitReady(`body[data-loaded="true"]`),
	)
	tcancel()
	if err != nil {
		cancel()
		b.t.Fatalf("%s: popup: %v", b.name, err)
	}
	return ctx, cancel
}

// setup points the extension at the relay and creates a persona through the
// popup, with a handle on each site, and publishes its key. It returns the
// persona's fingerprint.
func (b *browser) setup(relayURL, name, twitter, facebook string) string {
	b.t.Helper()
	ctx, cancel := b.popup()
	defer cancel()
	run := func(what string, actions ...chromedp.Action) {
		b.t.Helper()
		tctx, tcancel := context.WithTimeout(ctx, 60*time.Second)
		defer tcancel()
		if err := chromedp.Run(tctx, actions...); err != nil {
			b.t.Fatalf("%s: popup: %s: %v", b.name, what, err)
		}
	}
	run("setting the relay",
		chromedp.SetValue(`#relay`, relayURL),
		chromedp.Click(`#relay-save`),
		chromedp.WaitVisible(`#message.notice`),
	)
	var fpr string
	run("creating a persona",
		chromedp.Click(`#new-persona summary`),
		chromedp.SendKeys(`#p-name`, name),
		chromedp.SendKeys(`#p-email`, strings.ToLower(strings.Fields(name)[0])+"@example.org"),
		chromedp.SendKeys(`#p-twitter`, twitter),
		chromedp.SendKeys(`#p-facebook`, facebook),
		chromedp.Click(`#p-create`),
		chromedp.WaitVisible(`.persona[data-fingerprint]`),
		chromedp.AttributeValue(`.persona[data-fingerprint]`, "data-fingerprint", &fpr, nil),
	)
	b.screenshotOf(ctx, "popup-persona")
	return fpr
}

// addContactByHandle looks a handle up in the popup and adds the key found.
func (b *browser) addContactByHandle(site, handle, fpr string) {
	b.t.Helper()
	ctx, cancel := b.popup()
	defer cancel()
	tctx, tcancel := context.WithTimeout(ctx, 60*time.Second)
	defer tcancel()
	result := fmt.Sprintf(`#lookup-results .result[data-fingerprint="%s"] button`, fpr)
	err := chromedp.Run(tctx,
		chromedp.Click(`#add-contact summary`),
		chromedp.SetValue(`#l-site`, site),
		chromedp.SendKeys(`#l-handle`, handle),
		chromedp.Click(`#l-find`),
		chromedp.WaitVisible(result),
		chromedp.Click(result),
		chromedp.WaitVisible(fmt.Sprintf(`#contacts .contact[data-fingerprint="%s"]`, fpr)),
	)
	if err != nil {
		b.t.Fatalf("%s: adding @%s as a contact: %v", b.name, handle, err)
	}
}

// exportKey reads the persona's public key from the popup's "Public key" button.
func (b *browser) exportKey() string {
	b.t.Helper()
	ctx, cancel := b.popup()
	defer cancel()
	var armored string
	tctx, tcancel := context.WithTimeout(ctx, 30*time.Second)
	defer tcancel()
	err := chromedp.Run(tctx,
		chromedp.Click(`.persona button[data-action="export"]`),
		chromedp.WaitVisible(`.persona pre.key`),
		chromedp.Text(`.persona pre.key`, &armored),
	)
	if err != nil || !strings.Contains(armored, "BEGIN PGP PUBLIC KEY BLOCK") {
		b.t.Fatalf("%s: exporting the public key: %v %.60q", b.name, err, armored)
	}
	return armored
}

// addContactByKey pastes an armored key into the popup, with a handle.
func (b *browser) addContactByKey(armored, site, handle, fpr string) {
	b.t.Helper()
	ctx, cancel := b.popup()
	defer cancel()
	tctx, tcancel := context.WithTimeout(ctx, 30*time.Second)
	defer tcancel()
	err := chromedp.Run(tctx,
		chromedp.Click(`#add-contact summary`),
		chromedp.SetValue(`#k-armored`, armored),
		chromedp.SetValue(`#k-site`, site),
		chromedp.SendKeys(`#k-handle`, handle),
		chromedp.Click(`#k-add`),
		chromedp.WaitVisible(fmt.Sprintf(`#contacts .contact[data-fingerprint="%s"]`, fpr)),
	)
	if err != nil {
		b.t.Fatalf("%s: pasting a key: %v", b.name, err)
	}
}

// contact reads one contact from the extension, through the popup's page.
func (b *browser) contacts() []struct {
	Fingerprint string
	Name        string
	Verified    string
} {
	b.t.Helper()
	ctx, cancel := b.popup()
	defer cancel()
	var out []struct {
		Fingerprint string
		Name        string
		Verified    string
	}
	if err := eval(ctx, 20*time.Second, `veilCall("contacts")`, &out); err != nil {
		b.t.Fatalf("%s: contacts: %v", b.name, err)
	}
	return out
}

// open navigates the first tab, signed in to the site as handle.
func (b *browser) open(host, handle, path string) {
	b.t.Helper()
	b.must(30*time.Second, "opening https://"+host+path,
		chromedp.Navigate("https://"+host+"/__login?as="+handle+"&next="+path),
		chromedp.WaitReady(`body`),
	)
}

// card is what a post frame shows.
type card struct {
	Status   string
	Text     string // the whole card, as text
	Body     string // the decrypted text
	Author   string
	Audience string
	target   target.ID
}

// cards reads every post frame in the page that has settled (shows a status).
func (b *browser) cards() []card {
	var out []card
	for _, info := range b.extensionTargets("/pages/post.html") {
		var c card
		err := eval(b.attach(info.TargetID), 10*time.Second, `(() => {
			const card = document.getElementById("card");
			const q = (r) => (card.querySelector('[data-role="' + r + '"]') || {}).textContent || "";
			return { status: card.dataset.status || "", text: card.innerText, body: q("text"), author: q("author"), audience: q("audience") };
		})()`, &c)
		if err != nil {
			continue // a frame that went away
		}
		c.target = info.TargetID
		out = append(out, c)
	}
	return out
}

// waitCards waits until want(cards) holds, and returns them.
func (b *browser) waitCards(what string, timeout time.Duration, want func([]card) bool) []card {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	var cs []card
	for {
		cs = b.cards()
		if want(cs) {
			return cs
		}
		if time.Now().After(deadline) {
			b.screenshot("timeout-" + strings.ReplaceAll(what, " ", "-"))
			b.t.Fatalf("%s: waiting for %s: cards are %+v", b.name, what, cs)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// pierced finds nodes in the page, shadow roots (closed ones too) included,
// as DevTools sees them.
func (b *browser) pierced(match func(*cdp.Node) bool) []*cdp.Node {
	b.t.Helper()
	var root *cdp.Node
	b.must(20*time.Second, "reading the DOM", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		root, err = dom.GetDocument().WithDepth(-1).WithPierce(true).Do(ctx)
		return err
	}))
	var out []*cdp.Node
	var walk func(n *cdp.Node)
	walk = func(n *cdp.Node) {
		if match(n) {
			out = append(out, n)
		}
		for _, c := range n.Children {
			walk(c)
		}
		for _, c := range n.ShadowRoots {
			walk(c)
		}
		if n.ContentDocument != nil {
			walk(n.ContentDocument)
		}
	}
	walk(root)
	return out
}

func nodeText(n *cdp.Node) string {
	var s strings.Builder
	var walk func(*cdp.Node)
	walk = func(n *cdp.Node) {
		if n.NodeType == cdp.NodeTypeText {
			s.WriteString(n.NodeValue)
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(n)
	return s.String()
}

func isPostFrame(n *cdp.Node) bool {
	return n.NodeName == "IFRAME" && strings.Contains(n.AttributeValue("src"), "/pages/post.html")
}

// decorations counts, for each post in the page (matched by root), the post
// frames inside it, and says whether its text (body) carries a Veil marker.
func (b *browser) decorations(root, body func(*cdp.Node) bool) (veil, plain []int) {
	for _, post := range b.pierced(root) {
		frames, marked := 0, false
		var walk func(*cdp.Node)
		walk = func(n *cdp.Node) {
			if isPostFrame(n) {
				frames++
			}
			if body(n) && strings.Contains(nodeText(n), "with Veil") {
				marked = true
			}
			for _, c := range n.Children {
				walk(c)
			}
			for _, c := range n.ShadowRoots {
				walk(c)
			}
		}
		walk(post)
		if marked {
			veil = append(veil, frames)
		} else {
			plain = append(plain, frames)
		}
	}
	return veil, plain
}

// checkOnce checks that every tweet with a Veil payload has one card and
// every other tweet none.
func (b *browser) checkOnce(when string) {
	b.t.Helper()
	veil, plain := b.decorations(
		func(n *cdp.Node) bool { return n.NodeName == "ARTICLE" && n.AttributeValue("data-testid") == "tweet" },
		func(n *cdp.Node) bool { return n.AttributeValue("data-testid") == "tweetText" })
	if len(veil) == 0 {
		b.t.Errorf("%s: no Veil tweets in the page", when)
	}
	for _, n := range veil {
		if n != 1 {
			b.t.Errorf("%s: a Veil tweet has %d cards, want 1 (all: %v)", when, n, veil)
		}
	}
	for _, n := range plain {
		if n != 0 {
			b.t.Errorf("%s: a tweet without Veil has %d cards", when, n)
		}
	}
}

// clickNode clicks a node with the mouse, as a person would.
func (b *browser) clickNode(n *cdp.Node) {
	b.t.Helper()
	b.must(20*time.Second, "clicking "+n.NodeName, chromedp.ActionFunc(func(ctx context.Context) error {
		if err := dom.ScrollIntoViewIfNeeded().WithBackendNodeID(n.BackendNodeID).Do(ctx); err != nil {
			return err
		}
		box, err := dom.GetBoxModel().WithBackendNodeID(n.BackendNodeID).Do(ctx)
		if err != nil {
			return err
		}
		return mouseClick(ctx, box.Content)
	}))
}

// click waits for an element of the page that matches sel and clicks it
// with the mouse.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.must(30*time.Second, "clicking "+sel, chromedp.ActionFunc(func(ctx context.Context) error {
		for {
			doc, err := dom.GetDocument().Do(ctx)
			if err != nil {
				return err
			}
			id, err := dom.QuerySelector(doc.NodeID, sel).Do(ctx)
			if err == nil && id != 0 {
				if err := dom.ScrollIntoViewIfNeeded().WithNodeID(id).Do(ctx); err != nil {
					return err
				}
				box, err := dom.GetBoxModel().WithNodeID(id).Do(ctx)
				if err != nil {
					return err
				}
				return mouseClick(ctx, box.Content)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}))
}

func mouseClick(ctx context.Context, q dom.Quad) error {
	x, y := (q[0]+q[2]+q[4]+q[6])/4, (q[1]+q[3]+q[5]+q[7])/4
	for _, typ := range []input.MouseType{input.MousePressed, input.MouseReleased} {
		if err := input.DispatchMouseEvent(typ, x, y).WithButton(input.Left).WithClickCount(1).Do(ctx); err != nil {
			return err
		}
	}
	return nil
}

// veilButton finds the Veil button Veil put in the site's composer.
func (b *browser) veilButton() *cdp.Node {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		nodes := b.pierced(func(n *cdp.Node) bool { return n.NodeName == "BUTTON" && nodeText(n) == "🔒 Veil" })
		if len(nodes) > 0 {
			return nodes[0]
		}
		if time.Now().After(deadline) {
			b.screenshot("no-veil-button")
			b.t.Fatalf("%s: no Veil button in the composer", b.name)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// composer waits for the encrypted composer's frame and returns its context.
func (b *browser) composer() context.Context {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if ts := b.extensionTargets("/pages/composer.html"); len(ts) > 0 {
			ctx := b.attach(ts[0].TargetID)
			var ready bool
			if err := eval(ctx, 10*time.Second, `document.getElementById("author").options.length > 0`, &ready); err == nil && ready {
				return ctx
			}
		}
		if time.Now().After(deadline) {
			b.screenshot("no-composer")
			b.t.Fatalf("%s: the encrypted composer did not open", b.name)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// compose writes a post in the encrypted composer: to the contacts with the
// given fingerprints, or to audience "self" or "public".
func (b *browser) compose(text, audience string, to ...string) {
	b.t.Helper()
	b.clickNode(b.veilButton())
	ctx := b.composer()
	b.screenshot("composer-open")
	if to == nil {
		to = []string{}
	}
	toJSON, _ := json.Marshal(to)
	textJSON, _ := json.Marshal(text)
	var ok bool
	err := eval(ctx, 10*time.Second, fmt.Sprintf(`(() => {
		document.getElementById("text").value = %s;
		document.querySelector('input[name="audience"][value="%s"]').checked = true;
		for (const fpr of %s) document.querySelector('input[name="to"][value="' + fpr + '"]').checked = true;
		document.getElementById("encrypt").click();
		return true;
	})()`, textJSON, audience, toJSON), &ok)
	if err != nil {
		b.t.Fatalf("%s: composing: %v", b.name, err)
	}
}

// editorText reads the site's editor.
func (b *browser) editorText(sel string) string {
	var s string
	b.run(5*time.Second, chromedp.Evaluate(fmt.Sprintf(`(document.querySelector(%q) || {}).innerText || ""`, sel), &s))
	return s
}

// hostileReport is everything the page's own scripts could read.
func (b *browser) hostileReport() string {
	b.t.Helper()
	var s string
	b.must(20*time.Second, "asking the hostile script", chromedp.Evaluate(`window.__hostile.report()`, &s))
	return s
}

// screenshotDir is where a test's screenshots go: the test's temporary
// directory, or $VEIL_SCREENSHOTS/<test> to keep them.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("VEIL_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (b *browser) screenshot(name string) string {
	return b.screenshotOf(b.ctx, name)
}

func (b *browser) screenshotOf(ctx context.Context, name string) string {
	var png []byte
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(tctx, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		png, err = page.CaptureScreenshot().Do(ctx)
		return err
	})); err != nil {
		b.t.Logf("%s: screenshot %s: %v", b.name, name, err)
		return ""
	}
	path := filepath.Join(b.shots, b.name+"-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("screenshot: %v", err)
		return ""
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

func countStatus(cs []card, status string) int {
	n := 0
	for _, c := range cs {
		if c.Status == status {
			n++
		}
	}
	return n
}

func settled(cs []card) bool {
	for _, c := range cs {
		if c.Status == "" {
			return false
		}
	}
	return true
}

// ---- Tests ----

// TestBrowserSavedTimeline loads the extension, checks that its service
// worker runs the wasm, and that the Veil posts on the saved X timeline get
// cards with clear states, once each, however the feed changes.
func TestBrowserSavedTimeline(t *testing.T) {
	needChromium(t)
	ext := buildExtension(t)
	rl := startRelay(t)
	sites := startSites(t)
	sites.setUser("twitter", "alice", "Alice Martin", "")

	b := newBrowser(t, "reader", ext, sites)
	b.waitWasm()
	b.setup(rl.URL(), "Alice Martin", "alice", "")

	// Besides the saved page's three Veil posts (a public one anyone reads,
	// one encrypted to someone else, one on a relay that does not exist),
	// one on a relay that never answers: its card must not wait for ever.
	hanging := hangingRelay(t)
	sites.addPost("twitter", "Quinn Hale", "quinnh", "🔒 Encrypted with Veil "+hanging+"/p/bafkreibt3ponsk6xg3gwnju5zcsj5mtkz2lgpt3zjlmvvidsmoohhofybe")
	start := time.Now()
	b.open("x.com", "alice", "/home")
	cs := b.waitCards("four settled cards", 60*time.Second, func(cs []card) bool { return len(cs) == 4 && settled(cs) })
	t.Logf("all cards settled in %v", time.Since(start).Round(100*time.Millisecond))
	if _, ok := findCard(cs, func(c card) bool {
		return c.Status == "relay-unreachable" && strings.Contains(c.Text, "did not answer")
	}); !ok {
		t.Errorf("the post on the relay that never answers is not \"relay unreachable\": %+v", cs)
	}
	var public, notForYou, unreachable int
	for _, c := range cs {
		switch {
		case c.Status == "ok" && strings.Contains(c.Text, "Public Veil post"):
			public++
			if !strings.Contains(c.Body, "The new observatory opens to visitors on Saturday") {
				t.Errorf("public post reads %q", c.Body)
			}
		case c.Status == "not-for-you":
			notForYou++
		case c.Status == "relay-unreachable" || c.Status == "key-unavailable" || c.Status == "not-found":
			unreachable++
		default:
			t.Errorf("unexpected card %+v", c)
		}
	}
	if public != 1 || notForYou != 1 || unreachable != 2 {
		t.Errorf("cards: %d public, %d not for you, %d unreachable; want 1, 1, 2: %+v", public, notForYou, unreachable, cs)
	}
	shot := b.screenshot("timeline")
	if os.Getenv("VEIL_README_SCREENSHOT") != "" && shot != "" {
		copyFile(shot, "../docs/img/extension-timeline.png")
	}

	// Never decorated twice: the site renders its tweets again, and the
	// endless feed appends more (and drops tweets far above the viewport).
	b.checkOnce("at first")
	b.must(10*time.Second, "re-rendering", chromedp.Evaluate(`window.__fixture.rerender()`, nil))
	time.Sleep(time.Second)
	b.checkOnce("after the site rendered its tweets again")
	b.must(20*time.Second, "scrolling", chromedp.Evaluate(`window.__fixture.appendFiller(10); window.scrollTo(0, document.body.scrollHeight); true`, nil))
	time.Sleep(time.Second)
	b.checkOnce("after the feed grew")
	b.must(20*time.Second, "scrolling back", chromedp.Evaluate(`window.scrollTo(0, 0); true`, nil))
	time.Sleep(500 * time.Millisecond)
	// The cards made again settle as before (the one on the relay that never
	// answers takes its 20 s again, and is not waited for here).
	b.waitCards("settled cards after the changes", 60*time.Second, func(cs []card) bool {
		return len(cs) == 4 && countStatus(cs, "ok")+countStatus(cs, "not-for-you")+countStatus(cs, "relay-unreachable") >= 3
	})
	b.screenshot("timeline-after-changes")
}

// waitPageText waits until a node of the page's DOM (closed shadow roots
// included, as DevTools sees them) has text containing want.
func (b *browser) waitPageText(what, want string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		found := b.pierced(func(n *cdp.Node) bool {
			return n.NodeType == cdp.NodeTypeElement && n.NodeName == "P" && strings.Contains(nodeText(n), want)
		})
		if len(found) > 0 {
			return
		}
		if time.Now().After(deadline) {
			b.screenshot("timeout-" + strings.ReplaceAll(what, " ", "-"))
			b.t.Fatalf("%s: waiting for %s (%q)", b.name, what, want)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitEditor waits until the site's editor holds text containing want.
func (b *browser) waitEditor(sel, want string) string {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := b.editorText(sel)
		if strings.Contains(got, want) {
			return got
		}
		if time.Now().After(deadline) {
			b.screenshot("timeout-editor")
			b.t.Fatalf("%s: the site's editor holds %q, want %q in it", b.name, got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// addReaders lets the contact with fingerprint fpr read the post shown in
// the card, through the card's "Add readers" form.
func (b *browser) addReaders(c card, fpr string) {
	b.t.Helper()
	var done string
	err := eval(b.attach(c.target), 60*time.Second, fmt.Sprintf(`(async () => {
		const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
		const card = document.getElementById("card");
		[...card.querySelectorAll("button")].find((b) => b.textContent.startsWith("Add readers")).click();
		let box;
		for (let i = 0; i < 200 && !box; i++) { box = card.querySelector('input[value="%s"]'); if (!box) await sleep(100); }
		if (!box) return "no checkbox for the contact: " + card.innerText;
		box.checked = true;
		card.querySelector('form button[type="submit"]').click();
		for (let i = 0; i < 400; i++) {
			const s = card.querySelector('[data-role="shared"]');
			if (s) return s.textContent;
			await sleep(100);
		}
		return "timeout: " + card.innerText;
	})()`, fpr), &done)
	if err != nil || !strings.HasPrefix(done, "Done") {
		b.t.Fatalf("%s: adding a reader: %v %s", b.name, err, done)
	}
}

func findCard(cs []card, f func(card) bool) (card, bool) {
	for _, c := range cs {
		if f(c) {
			return c, true
		}
	}
	return card{}, false
}

// TestBrowserConversation is the story of one encrypted post on X, each
// person in a Chromium of their own: Alice finds Bob by his handle, checks
// the proof on his profile and writes to him in Veil's composer; the text
// lands in X's composer and she posts it. Bob reads it inline, and the page's
// own scripts cannot; Carol cannot read it until Alice lets her.
func TestBrowserConversation(t *testing.T) {
	needChromium(t)
	ext := buildExtension(t)
	rl := startRelay(t)
	sites := startSites(t)
	sites.setUser("twitter", "alice", "Alice Martin", "")
	sites.setUser("twitter", "carol", "Carol Diaz", "")

	people := map[string]*browser{}
	var fpr = map[string]string{}
	var wg sync.WaitGroup
	for _, p := range []struct{ handle, name string }{{"alice", "Alice Martin"}, {"bob", "Bob Tanaka"}, {"carol", "Carol Diaz"}} {
		people[p.handle] = newBrowser(t, p.handle, ext, sites)
		wg.Add(1)
		go func(b *browser) {
			defer wg.Done()
			b.waitWasm()
		}(people[p.handle])
	}
	wg.Wait()
	for _, p := range []struct{ handle, name string }{{"alice", "Alice Martin"}, {"bob", "Bob Tanaka"}, {"carol", "Carol Diaz"}} {
		fpr[p.handle] = people[p.handle].setup(rl.URL(), p.name, p.handle, "")
	}
	alice, bob, carol := people["alice"], people["bob"], people["carol"]
	sites.setUser("twitter", "bob", "Bob Tanaka", "Writes about small software. Encrypted posts welcome. openpgp4fpr:"+fpr["bob"])

	// Alice finds Bob by his handle, then his profile proves the key is his.
	alice.addContactByHandle("twitter", "bob", fpr["bob"])
	alice.open("x.com", "alice", "/bob")
	alice.waitPageText("the proof on Bob's profile", "verified for @bob", 30*time.Second)
	alice.screenshot("profile-proof")
	var verified string
	for _, c := range alice.contacts() {
		if c.Fingerprint == fpr["bob"] {
			verified = c.Verified
		}
	}
	if verified != "proof" {
		t.Errorf("after Bob's profile, Alice's contact for Bob is verified %q, want \"proof\"", verified)
	}

	// Alice writes to Bob; the feed text lands in X's composer; she posts it.
	const secret = "Bob: the rehearsal moved to Thursday 7pm, room 4. Bring the blue folder."
	alice.open("x.com", "alice", "/home")
	alice.compose(secret, "contacts", fpr["bob"])
	feedText := alice.waitEditor(`[data-testid="tweetTextarea_0"]`, "Encrypted with Veil")
	if strings.Contains(feedText, "rehearsal") {
		t.Fatalf("the site's composer got the plaintext: %q", feedText)
	}
	if ts := alice.extensionTargets("/pages/composer.html"); len(ts) != 0 {
		t.Errorf("the encrypted composer is still open after inserting")
	}
	alice.screenshot("composer-filled")
	alice.click(`[data-testid="tweetButtonInline"]:not([disabled])`)
	select {
	case p := <-sites.posted:
		if strings.Contains(p.Text, "rehearsal") || !strings.Contains(p.Text, "Encrypted with Veil") {
			t.Fatalf("X received %q", p.Text)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the post never reached X")
	}
	// Alice reads her own post.
	mine := func(c card) bool { return c.Status == "ok" && c.Body == secret }
	alice.waitCards("Alice's own post, decrypted", 60*time.Second, func(cs []card) bool { _, ok := findCard(cs, mine); return ok })

	// Bob reads it inline.
	bob.open("x.com", "bob", "/home")
	cs := bob.waitCards("Bob's decrypted card", 60*time.Second, func(cs []card) bool { _, ok := findCard(cs, mine); return ok && settled(cs) })
	c, _ := findCard(cs, mine)
	if !strings.Contains(c.Author, "Alice Martin") {
		t.Errorf("Bob's card names the author %q", c.Author)
	}
	if !strings.Contains(c.Audience, "you (Bob Tanaka)") {
		t.Errorf("Bob's card shows the audience %q", c.Audience)
	}
	if !strings.Contains(c.Text, "Posted by @alice") {
		t.Errorf("Bob's card does not say who posted it on X: %q", c.Text)
	}
	shot := bob.screenshot("decrypted")
	if os.Getenv("VEIL_UPDATE_DOCS") != "" && shot != "" {
		if err := copyFile(shot, "../docs/img/extension-x-timeline.png"); err != nil {
			t.Error(err)
		}
	}

	// The page's own scripts never see the plaintext (they try everything
	// hostile.js does), and never even see Veil's shadow roots.
	report := bob.hostileReport()
	if strings.Contains(report, "rehearsal") || strings.Contains(report, secret) {
		t.Errorf("the page's scripts read the plaintext")
	}
	if !strings.Contains(report, "Encrypted with Veil") {
		t.Errorf("the hostile script's report looks empty (%d bytes): the check above proves nothing", len(report))
	}
	var roots int
	bob.must(10*time.Second, "counting shadow roots", chromedp.Evaluate(`window.__hostile.shadowRootsSeen()`, &roots))
	if roots != 0 {
		t.Errorf("the page's patched attachShadow saw %d of Veil's shadow roots", roots)
	}

	// Carol is not among the readers.
	carol.open("x.com", "carol", "/home")
	cs = carol.waitCards("Carol's cards", 60*time.Second, func(cs []card) bool { return len(cs) == 4 && settled(cs) })
	if n := countStatus(cs, "not-for-you"); n != 2 {
		t.Errorf("Carol sees %d posts as not for her, want 2 (Alice's and the saved one): %+v", n, cs)
	}
	if _, ok := findCard(cs, mine); ok {
		t.Fatalf("Carol read Alice's post to Bob")
	}
	carol.screenshot("not-for-you")

	// Alice lets Carol read it: a share on the relay, from her own card.
	alice.addContactByHandle("twitter", "carol", fpr["carol"])
	alice.open("x.com", "alice", "/home")
	cs = alice.waitCards("Alice's own post", 60*time.Second, func(cs []card) bool { _, ok := findCard(cs, mine); return ok })
	c, _ = findCard(cs, mine)
	alice.addReaders(c, fpr["carol"])
	alice.screenshot("added-carol")

	// Carol got Alice's key from her (the popup's export), and pastes it.
	carol.addContactByKey(alice.exportKey(), "twitter", "alice", fpr["alice"])
	carol.open("x.com", "carol", "/home")
	cs = carol.waitCards("Carol's decrypted card", 60*time.Second, func(cs []card) bool { _, ok := findCard(cs, mine); return ok && settled(cs) })
	if c, _ := findCard(cs, mine); !strings.Contains(c.Author, "Signed by Alice Martin") || strings.Contains(c.Author, "learned") {
		t.Errorf("Carol's card names the author %q, want Alice from her contacts", c.Author)
	}
	if n := countStatus(cs, "not-for-you"); n != 1 {
		t.Errorf("after the share Carol sees %d posts as not for her, want 1: %+v", n, cs)
	}
	carol.screenshot("decrypted-after-share")
}

// TestBrowserFacebook runs the Facebook adapter on the saved Facebook pages:
// the feed's Veil posts get cards, the "Create post" dialog gets a Veil
// button whose text lands in Facebook's editor, and a profile's Intro bio
// proves a key.
func TestBrowserFacebook(t *testing.T) {
	needChromium(t)
	ext := buildExtension(t)
	rl := startRelay(t)
	sites := startSites(t)
	sites.setUser("facebook", "alice.martin", "Alice Martin", "")

	// Bob's key, made and published outside the browser, claims his Facebook.
	bob, err := persona.New(persona.Options{Name: "Bob Tanaka", Email: "bob@example.org", Claims: []persona.Claim{{Site: "facebook", Handle: "bob.tanaka"}}})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := bob.ArmoredPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := relayclient.New(rl.URL())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.PublishKey(t.Context(), pub); err != nil {
		t.Fatal(err)
	}
	sites.setUser("facebook", "bob.tanaka", "Bob Tanaka", "Writes about small software. openpgp4fpr:"+bob.Fingerprint())

	b := newBrowser(t, "alice", ext, sites)
	b.waitWasm()
	b.setup(rl.URL(), "Alice Martin", "", "alice.martin")

	b.open("www.facebook.com", "alice.martin", "/")
	cs := b.waitCards("the feed's cards", 60*time.Second, func(cs []card) bool { return len(cs) == 2 && settled(cs) })
	if _, ok := findCard(cs, func(c card) bool { return c.Status == "ok" && strings.Contains(c.Body, "Garden party photos") }); !ok {
		t.Errorf("the public post was not read: %+v", cs)
	}
	if countStatus(cs, "not-for-you") != 1 {
		t.Errorf("the post for someone else is not \"not for you\": %+v", cs)
	}
	b.screenshot("feed")

	// A note to herself, written in Veil's composer inside Facebook's dialog.
	const note = "Reminder to self: renew the allotment lease before June."
	b.click(`[data-fixture="open-composer"]`)
	b.compose(note, "self")
	b.waitEditor(`[role="dialog"] [contenteditable="true"]`, "Encrypted with Veil")
	b.screenshot("composer-filled")
	b.click(`[role="dialog"] [aria-label="Post"][aria-disabled="false"]`)
	b.waitCards("the note, decrypted", 60*time.Second, func(cs []card) bool {
		_, ok := findCard(cs, func(c card) bool { return c.Status == "ok" && c.Body == note })
		return ok
	})
	if strings.Contains(b.hostileReport(), "allotment lease") {
		t.Errorf("Facebook's page scripts read the plaintext")
	}

	// Bob's profile: its Intro names his key, and his key claims the profile.
	b.open("www.facebook.com", "alice.martin", "/bob.tanaka")
	b.waitPageText("the proof on Bob's profile", "verified for facebook.com/bob.tanaka", 30*time.Second)
	b.screenshot("profile-proof")
}

// popupCall calls the service worker from the popup page, as the popup does.
func popupCall(t *testing.T, ctx context.Context, name, method string, args any, out any) {
	t.Helper()
	a, _ := json.Marshal(args)
	if err := eval(ctx, 60*time.Second, fmt.Sprintf(`veilCall(%q, %s, 60000)`, method, a), out); err != nil {
		t.Fatalf("%s: %s: %v", name, method, err)
	}
}

type personaInfo struct {
	Fingerprint string
	Name        string
	Locked      bool
}

// TestBrowserBackupAndLock moves a passphrase-protected persona to a new
// browser with the popup's backup and restore, reads a post once the
// persona is unlocked, and keeps it unlocked when Chromium stops the idle
// service worker and starts it again.
func TestBrowserBackupAndLock(t *testing.T) {
	needChromium(t)
	ext := buildExtension(t)
	rl := startRelay(t)
	sites := startSites(t)
	sites.setUser("twitter", "alice", "Alice Martin", "")
	const passphrase = "correct horse battery staple"

	// On her first browser, Alice makes a protected persona and a post only she can read.
	old := newBrowser(t, "alice-old", ext, sites)
	old.waitWasm()
	pop, closePop := old.popup()
	dir := t.TempDir()
	err := chromedp.Run(pop,
		chromedp.ActionFunc(func(ctx context.Context) error {
			return cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(dir).
				Do(cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Browser))
		}),
		chromedp.SetValue(`#relay`, rl.URL()),
		chromedp.Click(`#relay-save`),
		chromedp.WaitVisible(`#message.notice`),
		chromedp.Click(`#new-persona summary`),
		chromedp.SendKeys(`#p-name`, "Alice Martin"),
		chromedp.SendKeys(`#p-twitter`, "alice"),
		chromedp.SendKeys(`#p-pass`, passphrase),
		chromedp.Click(`#p-create`),
		chromedp.WaitVisible(`.persona[data-fingerprint]`),
	)
	if err != nil {
		t.Fatalf("alice-old: popup: %v", err)
	}
	var personas []personaInfo
	popupCall(t, pop, "alice-old", "personas", nil, &personas)
	if len(personas) != 1 || personas[0].Locked {
		t.Fatalf("alice-old: personas %+v, want one, unlocked", personas)
	}
	fpr := personas[0].Fingerprint
	const note = "Note to self: the spare key is in the green tin."
	var composed struct{ FeedText string }
	popupCall(t, pop, "alice-old", "compose", map[string]any{"author": fpr, "text": note, "audience": "self"}, &composed)
	sites.addPost("twitter", "Alice Martin", "alice", composed.FeedText)

	// The backup, downloaded from the popup.
	err = chromedp.Run(pop,
		chromedp.SendKeys(`#b-pass`, "backup pass"),
		chromedp.Click(`#b-save`),
		chromedp.WaitVisible(`#message.notice`),
	)
	if err != nil {
		t.Fatalf("alice-old: backup: %v", err)
	}
	var backup string
	for deadline := time.Now().Add(20 * time.Second); backup == ""; time.Sleep(100 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dir, "veil-backup-*.asc"))
		if len(files) == 1 {
			backup = files[0]
		} else if time.Now().After(deadline) {
			all, _ := os.ReadDir(dir)
			t.Fatalf("no backup downloaded in %s: %v", dir, all)
		}
	}
	if data, _ := os.ReadFile(backup); !strings.Contains(string(data), "BEGIN PGP MESSAGE") || strings.Contains(string(data), "green tin") {
		t.Fatalf("the backup is no OpenPGP message: %.80q", data)
	}
	closePop()

	// Her new browser: restore, and the persona is there, locked.
	b := newBrowser(t, "alice-new", ext, sites)
	b.waitWasm()
	pop, closePop = b.popup()
	defer closePop()
	err = chromedp.Run(pop,
		chromedp.SetValue(`#relay`, rl.URL()),
		chromedp.Click(`#relay-save`),
		chromedp.WaitVisible(`#message.notice`),
		chromedp.SetUploadFiles(`#r-file`, []string{backup}),
		chromedp.SendKeys(`#r-pass`, "backup pass"),
		chromedp.Click(`#r-go`),
		chromedp.WaitVisible(fmt.Sprintf(`.persona[data-fingerprint="%s"]`, fpr)),
	)
	if err != nil {
		t.Fatalf("alice-new: restore: %v", err)
	}
	popupCall(t, pop, "alice-new", "personas", nil, &personas)
	if len(personas) != 1 || personas[0].Fingerprint != fpr || !personas[0].Locked {
		t.Fatalf("alice-new: restored personas %+v, want Alice's, locked", personas)
	}

	// Locked, the post says so; unlocked in the popup, it opens.
	b.open("x.com", "alice", "/home")
	b.waitCards("the locked post", 60*time.Second, func(cs []card) bool { return countStatus(cs, "key-unavailable") == 1 })
	b.screenshot("locked")
	err = chromedp.Run(pop,
		chromedp.Reload(),
		chromedp.WaitReady(`body[data-loaded="true"]`),
		chromedp.SendKeys(`.persona input[type="password"]`, passphrase),
		chromedp.Click(`.persona button`),
		chromedp.WaitVisible(`#message.notice`),
	)
	if err != nil {
		t.Fatalf("alice-new: unlocking: %v", err)
	}
	mine := func(c card) bool { return c.Status == "ok" && c.Body == note }
	b.open("x.com", "alice", "/home")
	b.waitCards("the unlocked post", 60*time.Second, func(cs []card) bool { _, ok := findCard(cs, mine); return ok })

	// Chromium stops an idle service worker; the next request starts it
	// (and the wasm) again, and the persona is still unlocked.
	var marked bool
	if err := b.worker(`self.veilTestMark = true`, &marked); err != nil {
		t.Fatal(err)
	}
	stop, cancelStop := context.WithTimeout(pop, 20*time.Second)
	defer cancelStop()
	if err := chromedp.Run(stop, serviceworker.Enable(), serviceworker.StopAllWorkers()); err != nil {
		t.Fatalf("stopping the service worker: %v", err)
	}
	popupCall(t, pop, "alice-new", "personas", nil, &personas)
	var mark string
	if err := b.worker(`typeof self.veilTestMark`, &mark); err != nil || mark != "undefined" {
		t.Fatalf("the service worker did not start again (its mark: %q, %v)", mark, err)
	}
	if len(personas) != 1 || personas[0].Locked {
		t.Errorf("after the service worker restarted: %+v, want Alice unlocked", personas)
	}
	b.open("x.com", "alice", "/home")
	b.waitCards("the post after a restart", 60*time.Second, func(cs []card) bool { _, ok := findCard(cs, mine); return ok })
}
