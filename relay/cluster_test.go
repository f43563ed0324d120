package relay

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/veilsocial/veil/internal/redistest"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// TestClusterSharesWrites: two nodes on one Redis are one service. A
// write on either (key, blob with its share key, share) is answered by the
// other at once; a share stored on both is one share; with Redis killed,
// an upload is still acknowledged, the nodes say they are degraded, and
// once Redis is back the other node serves it and both are healthy again.
func TestClusterSharesWrites(t *testing.T) {
	srv := redistest.Start(t)
	withRedis := func(c *Config) { c.Redis = srv.URL() }
	a, b := startNode(t, withRedis), startNode(t, withRedis)
	ca, cb := client(t, a), client(t, b)
	ctx := context.Background()
	alice, bob, carol := newPersona(t, "Alice"), newPersona(t, "Bob"), newPersona(t, "Carol")

	pub, err := alice.ArmoredPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.PublishKey(ctx, pub); err != nil {
		t.Fatal(err)
	}
	if rec, err := cb.GetKey(ctx, alice.Fingerprint()); err != nil || rec.Fingerprint != alice.Fingerprint() {
		t.Fatalf("key published on A, looked up on B: %v", err)
	}
	if recs, err := cb.LookupKeys(ctx, relayclient.Query{Email: "alice@example.org"}); err != nil || len(recs) != 1 {
		t.Fatalf("lookup by address on B: %d records, %v", len(recs), err)
	}

	msg := sealTo(t, "for bob", alice, bob)
	id := relayclient.BlobCID(msg)
	sk, err := alice.ShareKey(id.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Upload(ctx, msg, relayclient.UploadOptions{ShareKey: sk.Public().(ed25519.PublicKey)}); err != nil {
		t.Fatal(err)
	}
	if got, err := cb.Get(ctx, id); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("uploaded on A, read on B: %v", err)
	}
	// B knows the post's share key, so it takes Alice's share for Carol.
	share := sharePackets(t, msg, alice, carol)
	if err := cb.AddShare(ctx, id, share, sk); err != nil {
		t.Fatalf("share on B for a post uploaded on A: %v", err)
	}
	if err := ca.AddShare(ctx, id, share, sk); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*relayclient.Client{ca, cb} {
		list, err := c.ShareList(ctx, id)
		if err != nil || len(list) != 1 || !bytes.Equal(list[0].Data, share) || list[0].Index != 0 {
			t.Fatalf("shares on %s: %+v, %v", c.BaseURL(), list, err)
		}
	}

	// Redis away: writes are still acknowledged, and reach B later.
	srv.Kill()
	during := sealTo(t, "while redis is away", alice, bob)
	if _, err := ca.Upload(ctx, during, relayclient.UploadOptions{}); err != nil {
		t.Fatalf("upload while Redis is away: %v", err)
	}
	waitHealth(t, a, "degraded")
	srv.Restart()
	waitHealth(t, a, "ok")
	waitHealth(t, b, "ok")
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := cb.Get(ctx, relayclient.BlobCID(during))
		if err == nil && bytes.Equal(got, during) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("upload made on A during the outage is not on B 10 s after: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestClusterHearsAnnouncementOnce: both processes of a cluster are
// federated with another relay; a post there is announced to both, and a
// subscriber on the cluster is told once, not once per process.
func TestClusterHearsAnnouncementOnce(t *testing.T) {
	p2p := []string{"/ip4/127.0.0.1/tcp/0"}
	x := startNode(t, func(c *Config) { c.P2PListen = p2p })
	ix := nodeInfo(t, x)
	srv := redistest.Start(t)
	member := func(c *Config) { c.Redis, c.P2PListen, c.Peers = srv.URL(), p2p, ix.Addrs }
	a, b := startNode(t, member), startNode(t, member)
	waitMetric(t, x.URL(), metricMeshAnnounce, 2, 10*time.Second)
	waitMetric(t, a.URL(), metricMeshAnnounce, 1, 10*time.Second)
	waitMetric(t, b.URL(), metricMeshAnnounce, 1, 10*time.Second)

	alice, bob := newPersona(t, "Alice"), newPersona(t, "Bob")
	inbox := wsSubscribe(t, a, relayclient.InboxChannel(encryptionKeyID(t, bob)))
	id, err := client(t, x).Upload(context.Background(), sealTo(t, "once", alice, bob), relayclient.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, inbox); ev.Data["cid"] != id.String() {
		t.Fatalf("event: %+v", ev)
	}
	inbox.SetReadDeadline(time.Now().Add(time.Second))
	var again wsEvent
	if err := inbox.ReadJSON(&again); err == nil {
		t.Fatalf("told twice: %+v", again)
	}
}
