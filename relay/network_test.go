package relay

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// Real-process tests of the relay network: `veil relay` processes on
// loopback, federated over libp2p, driven only through their HTTP API.

// Metric series the tests watch.
const (
	metricMeshAnnounce  = `veil_federation_mesh_peers{topic="/veil/announce/1"}`
	metricPeers         = `veil_federation_peers`
	metricPublishedKey  = `veil_federation_published_entries_total{kind="key"}`
	metricPublishedPost = `veil_federation_published_entries_total{kind="post"}`
)

// startPeerProcess runs a federated `veil relay` process on dataDir: it
// listens for libp2p on a random loopback port and stays connected to
// peers (multiaddrs ending in /p2p/<id>).
func startPeerProcess(t testing.TB, dataDir string, peers ...string) *relayProcess {
	t.Helper()
	args := []string{"--p2p-listen", "/ip4/127.0.0.1/tcp/0"}
	for _, p := range peers {
		args = append(args, "--peer", p)
	}
	return startRelayProcess(t, dataDir, args...)
}

// urlClient is a relay client of the relay at url.
func urlClient(t testing.TB, url string) *relayclient.Client {
	t.Helper()
	c, err := relayclient.New(url)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// relayInfo is /v1/info of the relay at url; it must list a libp2p
// identity.
func relayInfo(t testing.TB, url string) relayclient.Info {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := urlClient(t, url).Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.PeerID == "" || len(info.Addrs) == 0 {
		t.Fatalf("%s lists no libp2p identity: %+v", url, info)
	}
	for _, a := range info.Addrs {
		if !strings.HasSuffix(a, "/p2p/"+info.PeerID) {
			t.Fatalf("%s: address %s does not end in /p2p/%s", url, a, info.PeerID)
		}
	}
	return *info
}

// wsSubscribeURL is wsSubscribe for the relay at url.
func wsSubscribeURL(t testing.TB, url, channel string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(url, "http", "ws", 1)+"/v1/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.WriteJSON(map[string]any{"id": 1, "op": "subscribe", "channel": channel}); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var reply map[string]any
	if err := ws.ReadJSON(&reply); err != nil || reply["ok"] != true {
		t.Fatalf("subscribe %s: %v %v", channel, reply, err)
	}
	return ws
}

// seriesValue reads one series (name and labels, as /metrics prints it)
// from the relay at url; a series not (yet) there is 0.
func seriesValue(t testing.TB, url, series string) float64 {
	t.Helper()
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	s := bufio.NewScanner(resp.Body)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		name, value, ok := strings.Cut(s.Text(), " ")
		if ok && name == series {
			v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err != nil {
				t.Fatalf("metric %s: %q", series, value)
			}
			return v
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return 0
}

// waitFor polls cond every 50 ms until it holds, failing the test after
// timeout. It returns how long it waited.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// waitMetric waits until the series at url is at least min.
func waitMetric(t testing.TB, url, series string, min float64, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, fmt.Sprintf("%s at %s reaching %g", series, url, min), func() bool {
		return seriesValue(t, url, series) >= min
	})
}

// TestNetworkThreeProcesses: three `veil relay` processes in a line
// (A–B–C, so C hears of A's posts only through B). Once the gossip mesh
// has formed, a post to Bob uploaded at A notifies Bob's inbox subscriber
// on C, and C serves the same bytes (fetched by bitswap from A, which C
// is not configured to peer with), all within 2 s of the upload.
func TestNetworkThreeProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	a := startPeerProcess(t, t.TempDir())
	ia := relayInfo(t, a.url)
	b := startPeerProcess(t, t.TempDir(), ia.Addrs...)
	ib := relayInfo(t, b.url)
	c := startPeerProcess(t, t.TempDir(), ib.Addrs...)
	relayInfo(t, c.url)

	// The mesh is formed when B has both neighbours in its announcement
	// mesh and they have B in theirs.
	meshStart := time.Now()
	waitMetric(t, b.url, metricMeshAnnounce, 2, 20*time.Second)
	waitMetric(t, a.url, metricMeshAnnounce, 1, 20*time.Second)
	waitMetric(t, c.url, metricMeshAnnounce, 1, 20*time.Second)
	t.Logf("mesh formed %s after the last relay started", time.Since(meshStart).Round(time.Millisecond))

	alice, bob := newPersona(t, "Alice"), newPersona(t, "Bob")
	inbox := wsSubscribeURL(t, c.url, relayclient.InboxChannel(encryptionKeyID(t, bob)))
	msg := sealTo(t, "across three processes", alice, bob)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	id, err := urlClient(t, a.url).Upload(ctx, msg, relayclient.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	uploaded := time.Since(start)
	ev := nextEvent(t, inbox)
	notified := time.Since(start)
	if ev.Data["type"] != "post" || ev.Data["cid"] != id.String() {
		t.Fatalf("event on C: %+v", ev)
	}
	got, err := urlClient(t, c.url).Get(ctx, id)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("read at C: %v (%d bytes, want %d)", err, len(got), len(msg))
	}
	took := time.Since(start)
	t.Logf("upload at A %s, notified on C %s, read at C %s after the upload began",
		uploaded.Round(time.Millisecond), notified.Round(time.Millisecond), took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("post at A to read at C took %s (want at most 2 s)", took)
	}
}

// TestNetworkCatchUpAfterRestart: relays A and B; B is stopped, and while
// it is down A takes 100 posts, new keys and updates of keys (one that B
// held before it stopped, and one that is new and then updated). B,
// restarted on the same data directory with the same --peer, catches up
// by the sync protocol: it serves all 100 blobs, byte for byte, and its
// directory holds every key in its updated form.
func TestNetworkCatchUpAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	const posts = 100
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	a := startPeerProcess(t, t.TempDir())
	ia := relayInfo(t, a.url)
	bDir := t.TempDir()
	b := startPeerProcess(t, bDir, ia.Addrs...)
	ib := relayInfo(t, b.url)
	waitMetric(t, a.url, metricPeers, 1, 20*time.Second)
	waitMetric(t, b.url, metricPeers, 1, 20*time.Second)
	ca := urlClient(t, a.url)

	// publish submits p's public key at A, expecting status, and waits
	// until A has put the change in its federation log (the relay passes
	// directory changes on asynchronously): the key entries are then
	// made one by one, in this order.
	keyEntries := 0.0
	publish := func(p *persona.Persona, status string) {
		t.Helper()
		pub, err := p.ArmoredPublicKey()
		if err != nil {
			t.Fatal(err)
		}
		res, err := ca.PublishKey(ctx, pub)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Keys) != 1 || res.Keys[0].Status != status {
			t.Fatalf("publish %s at A: %+v (want %s)", p.Name(), res, status)
		}
		keyEntries++
		waitMetric(t, a.url, metricPublishedKey, keyEntries, 10*time.Second)
	}

	// Alice's key reaches B while B runs.
	alice := newPersona(t, "Alice")
	publish(alice, "new")
	waitFor(t, 10*time.Second, "alice's key reaching B", func() bool {
		_, err := urlClient(t, b.url).GetKey(ctx, alice.Fingerprint())
		return err == nil
	})

	b.stop()

	// While B is down: 100 posts at A…
	bob := newPersona(t, "Bob")
	msgs := make(map[cid.Cid][]byte, posts)
	var ids []cid.Cid
	for i := range posts {
		msg := sealTo(t, fmt.Sprintf("post %d while B was down", i), alice, bob)
		id, err := ca.Upload(ctx, msg, relayclient.UploadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		msgs[id] = msg
		ids = append(ids, id)
	}
	waitMetric(t, a.url, metricPublishedPost, posts, 10*time.Second)

	// … new keys…
	carol, dave := newPersona(t, "Carol"), newPersona(t, "Dave")
	for _, p := range []*persona.Persona{bob, carol, dave} {
		publish(p, "new")
	}
	// … an update of a key B holds: a new user ID…
	const aliceWork = "alice@work.example"
	if err := alice.Entity().AddUserId("Alice", "work", aliceWork, nil); err != nil {
		t.Fatal(err)
	}
	publish(alice, "updated")
	// … and an update of a key B has never seen: a new self-signature
	// with a claim.
	bobClaim := persona.Claim{Site: persona.SiteTwitter, Handle: "bob_veil"}
	if err := bob.AddClaim(bobClaim); err != nil {
		t.Fatal(err)
	}
	publish(bob, "updated")

	// B again, on the same data, dialling A again.
	restart := time.Now()
	b = startPeerProcess(t, bDir, ia.Addrs...)
	if ib2 := relayInfo(t, b.url); ib2.PeerID != ib.PeerID {
		t.Fatalf("B's peer ID changed over the restart: %s, then %s", ib.PeerID, ib2.PeerID)
	}
	cb := urlClient(t, b.url)
	const catchUp = 30 * time.Second

	// The directory: every key, in its updated form.
	hasUpdate := map[string]func(*relayclient.KeyRecord) bool{
		alice.Fingerprint(): func(r *relayclient.KeyRecord) bool { return slices.Contains(r.Emails, aliceWork) },
		bob.Fingerprint(): func(r *relayclient.KeyRecord) bool {
			return slices.ContainsFunc(r.Claims, bobClaim.Equal)
		},
		carol.Fingerprint(): func(*relayclient.KeyRecord) bool { return true },
		dave.Fingerprint():  func(*relayclient.KeyRecord) bool { return true },
	}
	keysIn := waitFor(t, catchUp, "B's directory catching up", func() bool {
		for fpr, updated := range hasUpdate {
			rec, err := cb.GetKey(ctx, fpr)
			if err != nil || !updated(rec) {
				return false
			}
		}
		return true
	})

	// B knows of every post: their announcements came by sync (gossip
	// does not replay what B missed). Without them a GET at B would still
	// find the blobs (bitswap asks every connected peer), so this is what
	// shows the posts were caught up, not merely fetchable.
	waitFor(t, catchUp, "B taking the 100 announcements", func() bool {
		return seriesValue(t, b.url, `veil_federation_received_entries_total{kind="post",via="sync"}`)+
			seriesValue(t, b.url, `veil_federation_received_entries_total{kind="post",via="gossip"}`) >= posts
	})

	// The blobs: each GET at B returns the bytes uploaded at A. A GET of
	// a blob whose announcement B has not synced yet may 404, so each is
	// retried until the deadline.
	deadline := restart.Add(catchUp)
	var wg sync.WaitGroup
	errs := make(chan error, posts)
	work := make(chan cid.Cid)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				for {
					got, err := cb.Get(ctx, id)
					if err == nil && !bytes.Equal(got, msgs[id]) {
						errs <- fmt.Errorf("blob %s at B: %d bytes differ from the upload", id, len(got))
						break
					}
					if err == nil {
						break
					}
					if time.Now().After(deadline) {
						errs <- fmt.Errorf("blob %s at B: %v", id, err)
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed++; failed <= 5 {
			t.Error(err)
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d blobs not served by B within %s of its restart", failed, posts, catchUp)
	}
	t.Logf("after B's restart: keys caught up in %s, all %d blobs served in %s; B took %g post and %g key entries by sync",
		keysIn.Round(time.Millisecond), posts, time.Since(restart).Round(time.Millisecond),
		seriesValue(t, b.url, `veil_federation_received_entries_total{kind="post",via="sync"}`),
		seriesValue(t, b.url, `veil_federation_received_entries_total{kind="key",via="sync"}`))
}
