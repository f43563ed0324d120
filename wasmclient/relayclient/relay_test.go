//go:build !js

package relayclient_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/gorilla/websocket"
	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/internal/relaytest"
	"github.com/veilsocial/veil/relay"
	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// startRelay runs a real relay on 127.0.0.1:0 (or on addr, to restart one)
// with its data in dir.
func startRelay(t *testing.T, addr, dir string) *relay.Node {
	t.Helper()
	n := relaytest.Start(t, relay.Config{Listen: addr, DataDir: dir})
	t.Cleanup(func() { shutdown(t, n) })
	return n
}

var stopped sync.Map // *relay.Node → true once shut down

// shutdown stops a relay once.
func shutdown(t *testing.T, n *relay.Node) {
	if _, done := stopped.LoadOrStore(n, true); done {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Shutdown(ctx); err != nil {
		t.Logf("relay shutdown: %v", err)
	}
}

// dialer dials the relay with gorilla/websocket and keeps the connections,
// so the test can cut them; gate, when set, holds back every dial.
type dialer struct {
	mu    sync.Mutex
	conns []*websocket.Conn
	gate  chan struct{}
	dials int
}

func (d *dialer) dial(ctx context.Context, url string) (relayclient.Conn, error) {
	d.mu.Lock()
	gate := d.gate
	d.dials++
	d.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ws, resp, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			defer resp.Body.Close()
			return nil, relayclient.ResponseError(resp)
		}
		return nil, err
	}
	d.mu.Lock()
	d.conns = append(d.conns, ws)
	d.mu.Unlock()
	return ws, nil
}

// cut closes the open connections under the client's feet and holds back
// the next dial until the returned func is called.
func (d *dialer) cut() (release func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	gate := make(chan struct{})
	d.gate = gate
	for _, c := range d.conns {
		c.NetConn().Close()
	}
	d.conns = nil
	return func() {
		d.mu.Lock()
		d.gate = nil
		d.mu.Unlock()
		close(gate)
	}
}

func newPersona(t *testing.T, name string, prof persona.Profile) *persona.Persona {
	t.Helper()
	p, err := persona.New(persona.Options{Name: name, Email: name + "@example.org", Profile: prof,
		Claims: []persona.Claim{{Site: persona.SiteTwitter, Handle: name}}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func public(t *testing.T, p *persona.Persona) *openpgp.Entity {
	t.Helper()
	e, err := persona.PublicOnly(p.Entity())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func encKeyID(p *persona.Persona) uint64 { return p.Entity().Subkeys[0].PublicKey.KeyId }

// TestRelay runs the client against a real relay: keys, a signed upload
// with a share key, fetching, a late reader through a share, and live
// events with a reconnect in the middle.
func TestRelay(t *testing.T) {
	for _, prof := range []persona.Profile{persona.ProfileV4, persona.ProfileV6} {
		t.Run(prof.String(), func(t *testing.T) {
			testRelay(t, prof)
		})
	}
}

func testRelay(t *testing.T, prof persona.Profile) {
	ctx := t.Context()
	node := startRelay(t, "", t.TempDir())
	c, err := relayclient.New(node.URL())
	if err != nil {
		t.Fatal(err)
	}
	alice, bob, carol := newPersona(t, "alice", prof), newPersona(t, "bob", prof), newPersona(t, "carol", prof)

	info, err := c.Info(ctx)
	if err != nil || info.Software != "veil" || info.Limits.MaxBlobSize == 0 {
		t.Fatalf("Info: %v %+v", err, info)
	}

	// Keys: publish, then find by every kind of query.
	for _, p := range []*persona.Persona{alice, bob, carol} {
		arm, err := p.ArmoredPublicKey()
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.PublishKey(ctx, arm)
		if err != nil || len(res.Keys) != 1 || res.Keys[0].Status != "new" || res.Keys[0].Fingerprint != p.Fingerprint() {
			t.Fatalf("PublishKey: %v %+v", err, res)
		}
	}
	arm, _ := alice.ArmoredPublicKey()
	if res, err := c.PublishKey(ctx, arm); err != nil || res.Keys[0].Status != "unchanged" {
		t.Errorf("publishing again: %v %+v", err, res)
	}
	sec, _ := alice.ArmoredSecretKey()
	var re *relayclient.Error
	if _, err := c.PublishKey(ctx, sec); !errors.As(err, &re) || re.Code != "bad_key" {
		t.Errorf("publishing a secret key: %v", err)
	}
	for _, q := range []relayclient.Query{
		{Fingerprint: alice.Fingerprint()},
		{KeyID: persona.KeyIDString(encKeyID(alice))},
		{Email: "ALICE@example.org"},
		{Handle: "twitter:alice"},
	} {
		recs, err := c.LookupKeys(ctx, q)
		if err != nil || len(recs) != 1 || persona.Fingerprint(recs[0].Key) != alice.Fingerprint() {
			t.Errorf("LookupKeys(%+v): %v %v", q, err, recs)
		}
	}
	if recs, err := c.LookupKeys(ctx, relayclient.Query{Email: "nobody@example.org"}); err != nil || len(recs) != 0 {
		t.Errorf("lookup without a match: %v %v", recs, err)
	}
	if rec, err := c.GetKey(ctx, bob.Fingerprint()); err != nil || persona.Fingerprint(rec.Key) != bob.Fingerprint() {
		t.Errorf("GetKey: %v", err)
	}

	// Watch Bob's and Carol's inboxes while Alice posts.
	d := &dialer{}
	events := make(chan relayclient.Event, 16)
	wctx, stop := context.WithCancel(ctx)
	watched := make(chan error, 1)
	bobInbox, carolInbox := relayclient.InboxChannel(encKeyID(bob)), relayclient.InboxChannel(encKeyID(carol))
	go func() {
		watched <- c.Watch(wctx, d.dial, []string{bobInbox, carolInbox}, nil, func(ev relayclient.Event) error {
			events <- ev
			return nil
		})
	}()
	waitSubscribed(t, node, 2)

	// Alice posts to Bob, signing the upload and naming the share key.
	var buf bytes.Buffer
	if err := envelope.SealPost(&buf, envelope.Post{Text: "hello bob"}, alice.Entity(), []*openpgp.Entity{public(t, bob)}, nil); err != nil {
		t.Fatal(err)
	}
	msg := buf.Bytes()
	want := relayclient.BlobCID(msg)
	shareKey, err := alice.ShareKey(want.String())
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.Upload(ctx, msg, relayclient.UploadOptions{ShareKey: shareKey.Public().(ed25519.PublicKey), Signer: alice.Entity()})
	if err != nil {
		t.Fatal(err)
	}
	if !id.Equals(want) {
		t.Fatalf("relay CID %s, client CID %s", id, want)
	}
	ev := next(t, events)
	if ev.Channel != bobInbox || ev.Type != relayclient.TypePost || ev.CID != id.String() || ev.Size != int64(len(msg)) || ev.Offset != 1 {
		t.Fatalf("post event: %+v", ev)
	}
	got, err := c.Get(ctx, id)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("Get: %v", err)
	}
	if _, err := c.Get(ctx, relayclient.BlobCID([]byte("never uploaded"))); !errors.Is(err, relayclient.ErrNotFound) {
		t.Errorf("Get of an unknown CID: %v", err)
	}

	// Carol cannot read it until Alice publishes a share for her. The
	// connection drops meanwhile: the share event comes after the
	// reconnect, replayed from where the client was.
	kr := openpgp.EntityList{carol.Entity(), public(t, alice)}
	if _, err := envelope.OpenPost(bytes.NewReader(got), &envelope.OpenOptions{Keyring: kr}); !errors.Is(err, envelope.ErrNotForMe) {
		t.Fatalf("carol before the share: %v", err)
	}
	share, err := envelope.AddRecipients(bytes.NewReader(got), openpgp.EntityList{alice.Entity()}, []*openpgp.Entity{public(t, carol)}, false)
	if err != nil {
		t.Fatal(err)
	}
	release := d.cut()
	mallory, _ := bob.ShareKey(id.String())
	if err := c.AddShare(ctx, id, share.Bytes, mallory); !errors.Is(err, relayclient.ErrUnauthorized) {
		t.Errorf("share signed with another key: %v", err)
	}
	if err := c.AddShare(ctx, id, share.Bytes, shareKey); err != nil {
		t.Fatal(err)
	}
	release()
	ev = next(t, events)
	if ev.Channel != carolInbox || ev.Type != relayclient.TypeShare || ev.CID != id.String() || ev.Index != 0 || ev.Offset != 1 {
		t.Fatalf("share event after the reconnect: %+v", ev)
	}
	shares, err := c.Shares(ctx, id)
	if err != nil || len(shares) != 1 || !bytes.Equal(shares[0], share.Bytes) {
		t.Fatalf("Shares: %v (%d)", err, len(shares))
	}
	op, err := envelope.OpenPost(bytes.NewReader(got), &envelope.OpenOptions{Keyring: kr}, shares...)
	if err != nil || op.Text != "hello bob" || op.Signature.Status != envelope.SigGood {
		t.Fatalf("carol with the share: %v %+v", err, op)
	}

	// A second post while connected is delivered once.
	buf.Reset()
	if err := envelope.SealPost(&buf, envelope.Post{Text: "again"}, alice.Entity(), []*openpgp.Entity{public(t, bob)}, nil); err != nil {
		t.Fatal(err)
	}
	id2, err := c.Upload(ctx, buf.Bytes(), relayclient.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := next(t, events); ev.CID != id2.String() || ev.Offset != 2 || ev.Channel != bobInbox {
		t.Fatalf("second post: %+v", ev)
	}
	select {
	case ev := <-events:
		t.Fatalf("unexpected event %+v", ev)
	case <-time.After(50 * time.Millisecond):
	}
	stop()
	if err := <-watched; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch: %v", err)
	}
	if d.dials < 2 {
		t.Errorf("%d dials: the cut did not make Watch reconnect", d.dials)
	}
}

// TestRelayRestart: a relay that restarts loses its event history (the
// memory broker); Watch reconnects, says what was missed, and goes on.
func TestRelayRestart(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	node := startRelay(t, "", dir)
	addr := node.Addr()
	c, err := relayclient.New(node.URL())
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := newPersona(t, "alice", persona.ProfileV4), newPersona(t, "bob", persona.ProfileV4)
	inbox := relayclient.InboxChannel(encKeyID(bob))
	events := make(chan relayclient.Event, 16)
	d := &dialer{}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go c.Watch(wctx, d.dial, []string{inbox}, nil, func(ev relayclient.Event) error {
		events <- ev
		return nil
	})
	waitSubscribed(t, node, 1)
	post := func(text string) string {
		var buf bytes.Buffer
		if err := envelope.SealPost(&buf, envelope.Post{Text: text}, alice.Entity(), []*openpgp.Entity{public(t, bob)}, nil); err != nil {
			t.Fatal(err)
		}
		id, err := c.Upload(ctx, buf.Bytes(), relayclient.UploadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return id.String()
	}
	first := post("one")
	if ev := next(t, events); ev.CID != first {
		t.Fatalf("first event %+v", ev)
	}
	shutdown(t, node)
	node = startRelay(t, addr, dir)
	if ev := next(t, events); ev.Type != relayclient.TypeMissed || ev.Channel != inbox {
		t.Fatalf("after the restart: %+v", ev)
	}
	waitSubscribed(t, node, 1)
	second := post("two")
	if ev := next(t, events); ev.CID != second || ev.Type != relayclient.TypePost {
		t.Fatalf("after the restart: %+v", ev)
	}
	// The blob of before the restart is still there.
	if _, err := c.Get(ctx, mustCID(t, first)); err != nil {
		t.Errorf("first post after the restart: %v", err)
	}
}

// waitSubscribed waits until the relay counts n subscriptions.
func waitSubscribed(t *testing.T, n *relay.Node, subs int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(n.URL() + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if bytes.Contains(b, []byte("veil_ws_subscriptions "+itoa(subs)+"\n")) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the relay never counted %d subscriptions", subs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func next(t *testing.T, events <-chan relayclient.Event) relayclient.Event {
	t.Helper()
	select {
	case ev := <-events:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	return relayclient.Event{}
}

func itoa(n int) string { return strconv.Itoa(n) }

func mustCID(t *testing.T, s string) cid.Cid {
	t.Helper()
	c, err := cid.Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
