package federation

import (
	"bytes"
	"context"
	"os"
	"slices"
	"testing"
	"time"

	leveldb "github.com/ipfs/go-ds-leveldb"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/veilsocial/veil/wasmclient/persona"
)

func TestGossipAcrossLine(t *testing.T) {
	t.Parallel()
	a, b, c := line(t)
	ctx := context.Background()

	if got, want := b.Peers(), ids(a, c); !slices.Equal(got, want) {
		t.Errorf("B's peers = %v, want %v", got, want)
	}
	for _, addr := range a.Addrs() {
		ai, err := peer.AddrInfoFromString(addr)
		if err != nil || ai.ID != a.ID() {
			t.Errorf("Addrs: %q does not end in /p2p/%s", addr, a.ID())
		}
	}

	ann := Announcement{
		CID:        testCID(t, "post 1"),
		Recipients: []uint64{0x1122334455667788, 0, 0xFFFFFFFFFFFFFFFF},
		Size:       1234,
		Time:       time.UnixMilli(1_700_000_000_123),
	}
	start := time.Now()
	if err := a.Announce(ctx, ann); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "the announcement at C", func() bool { return c.rec.hasCID(ann.CID) })
	t.Logf("announcement A→B→C in %s", time.Since(start))
	var got Announcement
	for _, x := range c.rec.announcements() {
		if x.CID.Equals(ann.CID) {
			got = x
		}
	}
	if !slices.Equal(got.Recipients, ann.Recipients) || got.Size != ann.Size || !got.Time.Equal(ann.Time) || got.Origin != a.ID() {
		t.Errorf("C got %+v, want %+v from %s", got, ann, a.ID())
	}
	if !b.rec.hasCID(ann.CID) {
		t.Error("B did not deliver the announcement")
	}
	if a.rec.hasCID(ann.CID) {
		t.Error("A delivered its own announcement")
	}

	_, key := newKey(t, "alice")
	start = time.Now()
	if err := a.PublishKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "the key record at C", func() bool { return len(c.rec.keyRecords()) == 1 })
	t.Logf("key record A→B→C in %s", time.Since(start))
	if !bytes.Equal(c.rec.keyRecords()[0], key) {
		t.Error("C got other key bytes than A published")
	}
	// The same key again is no news: nothing is published.
	if err := a.PublishKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	// Nor is C republishing what it got (a relay's directory echo).
	if err := c.PublishKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	if n := counter(t, c.metrics.published, kindKey); n != 0 {
		t.Errorf("C published %v key records, want 0", n)
	}
	if n := counter(t, a.metrics.published, kindKey); n != 1 {
		t.Errorf("A published %v key records, want 1", n)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(c.rec.keyRecords()); n != 1 {
		t.Errorf("C delivered %d key records, want 1", n)
	}
	if n := len(a.rec.keyRecords()); n != 0 {
		t.Errorf("A delivered %d key records, want 0", n)
	}
}

func TestAnnounceRefusesBadInput(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	ctx := context.Background()
	if err := n.Announce(ctx, Announcement{}); err == nil {
		t.Error("Announce without a CID: no error")
	}
	if err := n.Announce(ctx, Announcement{CID: testCID(t, "x"), Recipients: make([]uint64, MaxRecipients+1)}); err == nil {
		t.Error("Announce with too many recipients: no error")
	}
	if err := n.PublishKey(ctx, []byte("not a key")); err == nil {
		t.Error("PublishKey of garbage: no error")
	}
	p, _ := newKey(t, "mallory")
	sec, err := p.ArmoredSecretKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.PublishKey(ctx, sec); err == nil {
		t.Error("PublishKey of a secret key: no error")
	}
	if h := n.elog.head(n.ID()); h != 0 {
		t.Errorf("refused entries reached the log (head %d)", h)
	}
}

// TestRestartKeepsPeerID restarts a node on the same key file and relay
// store: same peer ID, and its log (numbering) goes on where it was.
func TestRestartKeepsPeerID(t *testing.T) {
	t.Parallel()
	kf := keyFile(t)
	st := openStore(t)
	first := startNode(t, withStore(st), func(c *Config) { c.KeyFile = kf })
	id := first.ID()
	for i := range 2 {
		if err := first.Announce(context.Background(), Announcement{CID: testCID(t, "r"+string(rune('0'+i)))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(kf)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	second := startNode(t, withStore(st), func(c *Config) { c.KeyFile = kf })
	if second.ID() != id {
		t.Errorf("peer ID after restart %s, want %s", second.ID(), id)
	}
	if h := second.elog.head(id); h != 2 {
		t.Errorf("own head after restart %d, want 2", h)
	}
	if err := second.Announce(context.Background(), Announcement{CID: testCID(t, "r2")}); err != nil {
		t.Fatal(err)
	}
	if raw, err := second.elog.get(context.Background(), id, 3); err != nil {
		t.Errorf("the announcement after the restart is not seq 3: %v", err)
	} else if e, err := decodeEntry(raw, kindPost); err != nil || !e.cid.Equals(testCID(t, "r2")) {
		t.Errorf("seq 3 is %+v, %v", e, err)
	}
	if other := startNode(t, func(c *Config) { c.KeyFile = keyFile(t) }); other.ID() == id {
		t.Error("a new key file gave the same peer ID")
	}
}

// TestPartitionCatchUp cuts the middle of A–B–C, publishes at A while it
// is down, and checks that B (restarted with the same key and datastore)
// and C behind it get everything, each exactly once.
func TestPartitionCatchUp(t *testing.T) {
	// Small sync batches, so that the catch-up takes many rounds.
	defer func(n int) { syncBatch = n }(syncBatch)
	syncBatch = 16

	ctx := context.Background()
	bds, err := leveldb.NewDatastore(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bds.Close() })
	a, b, c := line(t, func(cfg *Config) {
		cfg.KeyFile = keyFile(t)
		cfg.Datastore = bds
	})
	before := b.rec.announcements()[0].CID // the warm-up

	// The hook runs before the entry is written: wait for the log.
	waitFor(t, 5*time.Second, "the warm-up in B's log", func() bool { return b.elog.head(a.ID()) == 1 })
	bID, bcfgSaved := b.ID(), b.cfg
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "A and C to see B gone", func() bool {
		return len(a.Peers()) == 0 && len(c.Peers()) == 0
	})

	const posts, keys = 100, 5
	var cids []string
	for i := range posts {
		x := testCID(t, "during the cut "+string(rune('a'+i%26))+string(rune('a'+i/26)))
		cids = append(cids, x.String())
		if err := a.Announce(ctx, Announcement{CID: x, Recipients: []uint64{uint64(i)}, Size: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// A new key and four updates of it (a new claim, re-signed, each time).
	p, k := newKey(t, "carol")
	keyData := [][]byte{k}
	for i := 1; i < keys; i++ {
		if err := p.AddClaim(persona.Claim{Site: "twitter", Handle: "carol" + string(rune('0'+i))}); err != nil {
			t.Fatal(err)
		}
		k, err := p.ArmoredPublicKey()
		if err != nil {
			t.Fatal(err)
		}
		keyData = append(keyData, k)
	}
	for _, k := range keyData {
		if err := a.PublishKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}

	// B comes back: same key file, same datastore.
	restart := time.Now()
	b2 := startWith(t, Config{
		ListenAddrs:  bcfgSaved.ListenAddrs,
		Peers:        bcfgSaved.Peers,
		KeyFile:      bcfgSaved.KeyFile,
		Blockstore:   bcfgSaved.Blockstore,
		Datastore:    bds,
		Logger:       bcfgSaved.Logger,
		SyncInterval: time.Hour,
	})
	if b2.ID() != bID {
		t.Fatalf("B came back as %s, want %s", b2.ID(), bID)
	}
	if h := b2.elog.head(a.ID()); h < 1 {
		t.Errorf("B's head of A after the restart %d, want at least 1", h)
	}
	for _, n := range []*testNode{b2, c} {
		name := map[*testNode]string{b2: "B", c: "C"}[n]
		waitFor(t, 15*time.Second, name+" to catch up", func() bool {
			return len(n.rec.announcements()) >= posts && len(n.rec.keyRecords()) >= keys
		})
		t.Logf("%s caught up %s after B's restart", name, time.Since(restart))
	}
	time.Sleep(200 * time.Millisecond) // anything delivered twice would show now
	for _, n := range []*testNode{b2, c} {
		var got []string
		for _, x := range n.rec.announcements() {
			if !x.CID.Equals(before) {
				got = append(got, x.CID.String())
			}
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(cids))
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %d announcements after the cut, want the %d published (each once)", n.ID(), len(got), len(want))
		}
		gotKeys := n.rec.keyRecords()
		if len(gotKeys) != keys {
			t.Errorf("%s: got %d key records, want %d", n.ID(), len(gotKeys), keys)
		}
		for _, k := range keyData {
			if !slices.ContainsFunc(gotKeys, func(g []byte) bool { return bytes.Equal(g, k) }) {
				t.Errorf("%s: a key record is missing", n.ID())
			}
		}
		if h, want := n.elog.head(a.ID()), a.elog.head(a.ID()); h != want {
			t.Errorf("%s: head of A %d, want %d", n.ID(), h, want)
		}
	}
	if n := counter(t, b2.metrics.entries, kindPost, "sync"); n < posts {
		t.Errorf("B took %v announcements by sync, want %d", n, posts)
	}
	// B's log survived its restart: the announcement from before the
	// cut was not delivered again.
	if slices.ContainsFunc(b2.rec.announcements(), func(x Announcement) bool { return x.CID.Equals(before) }) {
		t.Error("B delivered an announcement from before its restart again")
	}
}

// TestRateLimitedEntriesComeBySync floods a node over its peer's rate: the
// excess is rejected (and scores the sender down) but the next sync brings
// every entry.
func TestRateLimitedEntriesComeBySync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := startNode(t)
	c := startNode(t, withPeers(a), func(cfg *Config) { cfg.OriginRate, cfg.OriginBurst = 0.5, 5 })
	waitTopicPeers(t, c, a)
	waitTopicPeers(t, a, c)
	// Let the connection's first sync finish, so the flood goes by gossip.
	waitFor(t, 5*time.Second, "the first sync", func() bool {
		return counter(t, c.metrics.syncs, "pulled", "ok") >= 1
	})
	const total = 40
	for i := range total {
		if err := a.Announce(ctx, Announcement{CID: testCID(t, "flood "+string(rune('A'+i)))}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "rejections for the rate", func() bool {
		return counter(t, c.metrics.messages, TopicAnnounce, "rejected_origin_rate") > 0
	})
	waitFor(t, 10*time.Second, "A's score at C to drop", func() bool { return c.score(a.ID()) < 0 })
	t.Logf("C: %d of %d by gossip, A's score %.1f", len(c.rec.announcements()), total, c.score(a.ID()))
	if n := len(c.rec.announcements()); n >= total {
		t.Fatalf("C delivered all %d announcements despite the rate limit", n)
	}
	c.requestSync(a.ID())
	waitFor(t, 10*time.Second, "the rest by sync", func() bool { return len(c.rec.announcements()) == total })
}

// TestOriginFloodSparesForwarders floods C, behind B, over its per-origin
// rate: C drops the excess that B passes on without penalizing B, and the
// next sync brings it.
func TestOriginFloodSparesForwarders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b, c := lineOf(t, nil, nil, []nodeOption{func(cfg *Config) { cfg.OriginRate, cfg.OriginBurst = 0.5, 5 }})
	const total = 40
	for i := range total {
		if err := a.Announce(ctx, Announcement{CID: testCID(t, "flood "+string(rune('A'+i)))}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "B to deliver the flood", func() bool { return len(b.rec.announcements()) == total+1 })
	waitFor(t, 10*time.Second, "C to drop some", func() bool {
		return counter(t, c.metrics.messages, TopicAnnounce, "ignored_origin_rate") > 0
	})
	time.Sleep(1500 * time.Millisecond) // a score inspection or two
	if s := c.score(b.ID()); s < 0 {
		t.Errorf("B's score at C is %.1f: the forwarder was penalized for A's flood", s)
	}
	if n := counter(t, c.metrics.messages, TopicAnnounce, "rejected_origin_rate"); n != 0 {
		t.Errorf("C rejected %v messages for the origin's rate; want them ignored", n)
	}
	c.requestSync(b.ID())
	waitFor(t, 10*time.Second, "the rest by sync", func() bool { return len(c.rec.announcements()) == total+1 })
}

// TestLostLogTakenBack restarts a node with its key but an empty
// datastore: it takes its own entries back from a peer, so its next
// announcement gets a new seq and reaches the peer.
func TestLostLogTakenBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	kf := keyFile(t)
	y := startNode(t)
	x := startNode(t, withPeers(y), func(c *Config) { c.KeyFile = kf })
	waitMesh(t, x, y)
	waitMesh(t, y, x)
	for i := range 3 {
		if err := x.Announce(ctx, Announcement{CID: testCID(t, "old "+string(rune('a'+i)))}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "Y to get X's announcements", func() bool { return len(y.rec.announcements()) == 3 })
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}

	x2 := startNode(t, withPeers(y), func(c *Config) { c.KeyFile = kf }) // a fresh datastore
	waitFor(t, 5*time.Second, "X to take its log back", func() bool { return x2.elog.head(x2.ID()) == 3 })
	waitMesh(t, x2, y)
	waitMesh(t, y, x2)
	fresh := testCID(t, "after the loss")
	if err := x2.Announce(ctx, Announcement{CID: fresh}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "Y to get X's new announcement", func() bool { return y.rec.hasCID(fresh) })
	if n := len(x2.rec.announcements()); n != 0 {
		t.Errorf("X delivered %d of its own announcements", n)
	}
}
