package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veilsocial/veil/internal/relaytest"
	"github.com/veilsocial/veil/relay"
	"github.com/veilsocial/veil/wasmclient/payload"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// runTestRelay runs a real relay on 127.0.0.1:0 for the test.
func runTestRelay(t *testing.T) *relay.Node {
	t.Helper()
	return relaytest.Start(t, relay.Config{})
}

// onRelay makes worlds whose veil talks to the relay ($VEIL_RELAY).
func onRelay(t *testing.T, n *relay.Node, names ...string) []*world {
	var ws []*world
	for _, name := range names {
		w := newWorld(t, name)
		w.envVar["VEIL_RELAY"] = n.URL()
		ws = append(ws, w)
	}
	return ws
}

func (w *world) mustFail(want int, stdin []byte, args ...string) string {
	w.t.Helper()
	out, errs, code := w.veil(stdin, args...)
	if code != want {
		w.t.Fatalf("veil %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errs)
	}
	return errs
}

// TestRelayPostRead: keys found through the directory, a post stored on the
// relay and read from its feed text, a late reader added by a share the
// author publishes, inline and public posts.
func TestRelayPostRead(t *testing.T) {
	n := runTestRelay(t)
	ws := onRelay(t, n, "alice", "bob", "carol", "dave")
	a, b, c, d := ws[0], ws[1], ws[2], ws[3]
	afpr := a.newPersona("Alice", "alice@example.org", "--claim", "twitter:alice")
	bfpr := b.newPersona("Bob", "bob@example.org")
	c.newPersona("Carol", "carol@example.org", "--profile", "v6")
	d.newPersona("Dave", "dave@example.org")

	// Keys go through the relay's directory.
	for _, w := range []*world{a, b, c} {
		if out := w.mustVeil(nil, "keys", "publish"); !strings.HasSuffix(out, " new\n") {
			t.Fatalf("keys publish: %q", out)
		}
	}
	if out := a.mustVeil(nil, "keys", "publish"); !strings.HasSuffix(out, " unchanged\n") {
		t.Errorf("publishing again: %q", out)
	}
	found := b.mustVeil(nil, "keys", "lookup", "--import", "twitter:alice")
	if !strings.HasPrefix(found, afpr+" created ") || !strings.Contains(found, "uid    Alice <alice@example.org>") || !strings.Contains(found, "claim  twitter:alice") {
		t.Errorf("lookup by handle:\n%s", found)
	}
	a.mustVeil(nil, "keys", "lookup", "--import", strings.ToLower(bfpr))
	a.mustVeil(nil, "keys", "lookup", "--import", "carol@example.org")
	c.mustVeil(nil, "keys", "lookup", "--import", "@alice")
	if list := b.mustVeil(nil, "contact", "list"); !strings.Contains(list, afpr) {
		t.Errorf("bob's contacts after --import: %s", list)
	}
	d.mustFail(ExitFailure, nil, "keys", "lookup", "nobody@example.org")
	d.mustFail(ExitUsage, nil, "keys", "lookup", "not a query")

	// Alice posts to Bob; Bob reads the feed text, also inside a page.
	feed := a.mustVeil([]byte("hello bob, via the relay"), "post", "--to", "bob@example.org")
	ps := payload.Find(feed)
	if !strings.HasPrefix(feed, payload.Marker+" ") || len(ps) != 1 || ps[0].Kind != payload.KindLink || ps[0].Relay != n.URL() {
		t.Fatalf("feed text %q (%v)", feed, ps)
	}
	link := ps[0].URL
	out, status, code := b.veil(nil, "read", feed)
	if code != 0 || out != "hello bob, via the relay\n" || !strings.Contains(status, "good signature by "+afpr) || !strings.Contains(status, ps[0].CID.String()) {
		t.Fatalf("bob reads: exit %d %q\n%s", code, out, status)
	}
	page := "Alice 🌻\n@alice · 2h\n" + feed + "\n3 replies\n"
	if out := b.mustVeil([]byte(page), "read"); out != "hello bob, via the relay\n" {
		t.Errorf("read from a page on stdin: %q", out)
	}
	if out := b.mustVeil(nil, "read", ps[0].CID.String()); out != "hello bob, via the relay\n" {
		t.Errorf("read by CID: %q", out)
	}
	js := b.mustVeil(nil, "read", "--json", link)
	var rep readReport
	if err := json.Unmarshal([]byte(js), &rep); err != nil || rep.CID != ps[0].CID.String() || rep.Signature != "good" || rep.Post == nil || rep.Post.Text != "hello bob, via the relay" || len(rep.Recipients) != 2 {
		t.Errorf("read --json: %v\n%s", err, js)
	}

	// Carol is not in the audience until Alice shares the post with her.
	c.mustFail(ExitNotForMe, nil, "read", link)
	b.mustVeil(nil, "keys", "lookup", "--import", "carol@example.org")
	errs := b.mustFail(ExitFailure, nil, "share", "add", "--to", "carol@example.org", link)
	if !strings.Contains(errs, "only the author") {
		t.Errorf("bob sharing Alice's post: %s", errs)
	}
	a.mustVeil(nil, "share", "add", "--to", "carol@example.org", link)
	out, status, code = c.veil(nil, "read", link)
	if code != 0 || out != "hello bob, via the relay\n" || !strings.Contains(status, "good signature by "+afpr) || !strings.Contains(status, "audience 3 key(s)") {
		t.Fatalf("carol after the share: exit %d %q\n%s", code, out, status)
	}
	d.mustFail(ExitNotForMe, nil, "read", link)

	// An inline post carries the message in the link; it is readable with
	// the relay's shares all the same.
	feed = a.mustVeil([]byte("short and inline"), "post", "--inline", "--to", "bob@example.org")
	ps = payload.Find(feed)
	if len(ps) != 1 || ps[0].Kind != payload.KindInline {
		t.Fatalf("inline feed text %q", feed)
	}
	if out := b.mustVeil(nil, "read", feed); out != "short and inline\n" {
		t.Errorf("inline read: %q", out)
	}
	c.mustFail(ExitNotForMe, nil, "read", feed)
	a.mustVeil(nil, "share", "add", "--to", "carol@example.org", feed)
	if out := c.mustVeil(nil, "read", feed); out != "short and inline\n" {
		t.Errorf("inline read with a share: %q", out)
	}

	// A public post: anyone reads it; Dave, who lacks Alice's key, checks
	// the signature with the directory's copy when he asks to.
	feed = a.mustVeil([]byte("hello world"), "post", "--public")
	if !strings.HasPrefix(feed, payload.PublicMarker+" ") {
		t.Fatalf("public feed text %q", feed)
	}
	out, status, code = d.veil(nil, "read", feed)
	if code != 0 || out != "hello world\n" || !strings.Contains(status, "public") || !strings.Contains(status, "unknown key") {
		t.Errorf("dave reads the public post: exit %d %q\n%s", code, out, status)
	}
	d.mustFail(ExitBadSig, nil, "read", "--require-signature", feed)
	out, status, code = d.veil(nil, "read", "--fetch-key", "--require-signature", feed)
	if code != 0 || out != "hello world\n" || !strings.Contains(status, "good signature by "+afpr) || !strings.Contains(status, "relay's directory") {
		t.Errorf("dave with --fetch-key: exit %d %q\n%s", code, out, status)
	}
	a.mustFail(ExitFailure, nil, "share", "add", "--to", "bob@example.org", feed)

	// Two posts in one page are both read.
	feed2 := a.mustVeil([]byte("second"), "post", "--to", "bob@example.org")
	if out := b.mustVeil([]byte(feed2+"\nsome text\n"+payload.FeedText(link)), "read"); out != "second\nhello bob, via the relay\n" {
		t.Errorf("two posts: %q", out)
	}

	// A relay that does not answer, and a link the site cut short.
	b.envVar["VEIL_RELAY"] = "http://127.0.0.1:1"
	b.mustFail(ExitFailure, nil, "read", ps[0].CID.String())
	b.mustFail(ExitFailure, nil, "read", link[:len(link)-10]+"…")
}

// TestRelaySignedUpload: a persona signs its uploads to get its quota; the
// relay wants its key published first.
func TestRelaySignedUpload(t *testing.T) {
	n := runTestRelay(t)
	ws := onRelay(t, n, "alice")
	a := ws[0]
	a.newPersona("Alice", "alice@example.org")
	a.mustFail(ExitFailure, []byte("x"), "post", "--public", "--sign-upload")
	a.mustVeil(nil, "keys", "publish")
	if feed := a.mustVeil([]byte("x"), "post", "--public", "--sign-upload"); !strings.HasPrefix(feed, payload.PublicMarker) {
		t.Errorf("signed upload: %q", feed)
	}
}

// TestRelayWatch: veil watch prints Bob's new posts and shares, and with
// --read their text, as they arrive.
func TestRelayWatch(t *testing.T) {
	n := runTestRelay(t)
	ws := onRelay(t, n, "alice", "bob", "carol")
	a, b, c := ws[0], ws[1], ws[2]
	afpr := a.newPersona("Alice", "alice@example.org")
	b.newPersona("Bob", "bob@example.org")
	c.newPersona("Carol", "carol@example.org")
	a.mustVeil([]byte(b.mustVeil(nil, "persona", "export", "bob")), "contact", "add")
	a.mustVeil([]byte(c.mustVeil(nil, "persona", "export", "carol")), "contact", "add")
	b.mustVeil([]byte(a.mustVeil(nil, "persona", "export", "alice")), "contact", "add")
	c.mustVeil([]byte(a.mustVeil(nil, "persona", "export", "alice")), "contact", "add")

	type result struct {
		out, errs string
		code      int
	}
	watch := func(w *world, args ...string) <-chan result {
		done := make(chan result, 1)
		go func() {
			o, e, code := w.veil(nil, append([]string{"watch", "--for", "60s"}, args...)...)
			done <- result{o, e, code}
		}()
		return done
	}
	bobDone := watch(b, "--read", "--max", "2")
	carolDone := watch(c, "--json", "--max", "1")
	waitSubscriptions(t, n, 2)

	feed := a.mustVeil([]byte("live for bob"), "post", "--to", "bob")
	id := payload.Find(feed)[0].CID.String()
	a.mustVeil([]byte("again for bob"), "post", "--to", "bob", "--hidden")
	a.mustVeil([]byte("and once more"), "post", "--to", "bob")
	a.mustVeil(nil, "share", "add", "--to", "carol", feed)

	var r result
	select {
	case r = <-bobDone:
	case <-time.After(60 * time.Second):
		t.Fatal("bob's watch did not end")
	}
	if r.code != 0 {
		t.Fatalf("bob's watch: exit %d\n%s", r.code, r.errs)
	}
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	// The hidden post names no key: the relay cannot tell Bob of it.
	if len(lines) != 4 || !strings.Contains(lines[0], " post "+id+" ") || lines[1] != "live for bob" ||
		!strings.Contains(lines[2], " post ") || lines[3] != "and once more" {
		t.Errorf("bob's watch printed:\n%s", r.out)
	}
	if !strings.Contains(r.errs, "watching inbox:") || !strings.Contains(r.errs, "good signature by "+afpr) {
		t.Errorf("bob's watch said:\n%s", r.errs)
	}

	select {
	case r = <-carolDone:
	case <-time.After(60 * time.Second):
		t.Fatal("carol's watch did not end")
	}
	var ev watchLine
	if err := json.Unmarshal([]byte(r.out), &ev); err != nil || r.code != 0 || ev.Type != "share" || ev.CID != id || ev.Index == nil || *ev.Index != 0 || ev.Persona != "Carol <carol@example.org>" {
		t.Errorf("carol's watch: exit %d %v\n%s\n%s", r.code, err, r.out, r.errs)
	}
}

// waitSubscriptions waits until the relay counts subs WebSocket
// subscriptions.
func waitSubscriptions(t *testing.T, n *relay.Node, subs int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(n.URL() + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if bytes.Contains(b, []byte("veil_ws_subscriptions "+strconv.Itoa(subs)+"\n")) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the relay never counted %d subscriptions", subs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The rest needs no relay.

func TestKeyQuery(t *testing.T) {
	fpr := strings.Repeat("AB", 20)
	for in, want := range map[string]relayclient.Query{
		fpr:                         {Fingerprint: fpr},
		"0x" + strings.ToLower(fpr): {Fingerprint: fpr},
		"ABAB ABAB ABAB ABAB ABAB  ABAB ABAB ABAB ABAB ABAB": {Fingerprint: fpr},
		strings.Repeat("C", 64):                              {Fingerprint: strings.Repeat("C", 64)},
		"0123456789abcdef":                                   {KeyID: "0123456789ABCDEF"},
		"alice@example.org":                                  {Email: "alice@example.org"},
		"<alice@example.org>":                                {Email: "alice@example.org"},
		"twitter:alice":                                      {Handle: "twitter:alice"},
		"@alice":                                             {Handle: "@alice"},
		"https://www.facebook.com/alice.smith":               {Handle: "https://www.facebook.com/alice.smith"},
	} {
		if got, err := keyQuery(in); err != nil || got != want {
			t.Errorf("keyQuery(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "alice", "01234567", "myspace:alice"} {
		if _, err := keyQuery(bad); ExitCode(err) != ExitUsage {
			t.Errorf("keyQuery(%q): %v", bad, err)
		}
	}
}

func TestRelayBase(t *testing.T) {
	env := Env{Getenv: func(k string) string { return map[string]string{"VEIL_RELAY": "https://env.example"}[k] }}
	none := Env{Getenv: func(string) string { return "" }}
	for _, tc := range []struct {
		flag, linked string
		env          Env
		want         string
	}{
		{"https://flag.example", "https://link.example", env, "https://flag.example"},
		{"", "https://link.example", env, "https://link.example"},
		{"", "", env, "https://env.example"},
		{"", "", none, DefaultRelay},
	} {
		rf := relayFlags{url: tc.flag}
		if got := rf.base(tc.env, tc.linked); got != tc.want {
			t.Errorf("%+v: %s", tc, got)
		}
	}
	if _, err := (&relayFlags{url: "relay.example"}).client(none, ""); ExitCode(err) != ExitUsage {
		t.Errorf("a relay URL without a scheme: %v", err)
	}
}

func TestEncryptionKeyIDs(t *testing.T) {
	for _, prof := range []persona.Profile{persona.ProfileV4, persona.ProfileV6} {
		p, err := persona.New(persona.Options{Name: "Alice", Profile: prof})
		if err != nil {
			t.Fatal(err)
		}
		ids := encryptionKeyIDs(p.Entity())
		if len(ids) != 1 || ids[0] != p.Entity().Subkeys[0].PublicKey.KeyId || ids[0] == p.KeyID() {
			t.Errorf("%v: encryption key IDs %X", prof, ids)
		}
	}
}
