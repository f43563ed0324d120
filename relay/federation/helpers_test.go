package federation

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/go-cid"
	"github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multihash"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/veilsocial/veil/wasmclient/persona"
)

// testLogger discards logs unless VEIL_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("VEIL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// recorder collects what a node's hooks receive.
type recorder struct {
	mu   sync.Mutex
	anns []Announcement
	keys [][]byte
	// keyErr is what OnKeyRecord returns.
	keyErr error
	// wake is signalled (without blocking) on every delivery.
	wake chan struct{}
	// notify, if set, gets every announcement (blocking).
	notify chan Announcement
}

func newRecorder() *recorder { return &recorder{wake: make(chan struct{}, 1)} }

func (r *recorder) onAnnouncement(_ context.Context, a Announcement) {
	r.mu.Lock()
	r.anns = append(r.anns, a)
	notify := r.notify
	r.mu.Unlock()
	r.signal()
	if notify != nil {
		notify <- a
	}
}

func (r *recorder) onKeyRecord(_ context.Context, key []byte) error {
	r.mu.Lock()
	r.keys = append(r.keys, key)
	err := r.keyErr
	r.mu.Unlock()
	r.signal()
	return err
}

func (r *recorder) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *recorder) announcements() []Announcement {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.anns)
}

func (r *recorder) keyRecords() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.keys)
}

// hasCID reports whether an announcement of c arrived.
func (r *recorder) hasCID(c cid.Cid) bool {
	return slices.ContainsFunc(r.announcements(), func(a Announcement) bool { return a.CID.Equals(c) })
}

// testNode is a node with in-memory stores (unless given) and a recorder.
type testNode struct {
	*Node
	cfg Config
	rec *recorder
	reg *prometheus.Registry
}

type nodeOption func(*Config)

func withPeers(nodes ...*testNode) nodeOption {
	return func(c *Config) {
		for _, n := range nodes {
			c.Peers = append(c.Peers, n.Addrs()[0])
		}
	}
}

// startNode starts a node on 127.0.0.1 that is closed when the test ends.
func startNode(t testing.TB, opts ...nodeOption) *testNode {
	t.Helper()
	ds := dssync.MutexWrap(datastore.NewMapDatastore())
	cfg := Config{
		ListenAddrs:  []string{"/ip4/127.0.0.1/tcp/0"},
		Blockstore:   blockstore.NewBlockstore(dssync.MutexWrap(datastore.NewMapDatastore())),
		Datastore:    ds,
		Logger:       testLogger(),
		SyncInterval: time.Hour,
	}
	for _, o := range opts {
		o(&cfg)
	}
	return startWith(t, cfg)
}

// startWith starts a node from cfg (the recorder's hooks and a fresh
// registry are set on it).
func startWith(t testing.TB, cfg Config) *testNode {
	t.Helper()
	tn := &testNode{rec: newRecorder(), reg: prometheus.NewRegistry()}
	cfg.OnAnnouncement = tn.rec.onAnnouncement
	cfg.OnKeyRecord = tn.rec.onKeyRecord
	cfg.Registerer = tn.reg
	tn.cfg = cfg
	n, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tn.Node = n
	t.Cleanup(func() {
		start := time.Now()
		if err := n.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Close took %s", d)
		}
	})
	return tn
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitTopicPeers waits until n sees each of want on both topics.
func waitTopicPeers(t testing.TB, n *testNode, want ...*testNode) {
	t.Helper()
	waitFor(t, 10*time.Second, "topic peers", func() bool {
		for _, topic := range []string{TopicAnnounce, TopicKeys} {
			have := n.topics[topic].ListPeers()
			for _, w := range want {
				if !slices.Contains(have, w.ID()) {
					return false
				}
			}
		}
		return true
	})
}

// waitMesh waits until each of want is in n's gossipsub mesh of both
// topics (so that n forwards to it at once).
func waitMesh(t testing.TB, n *testNode, want ...*testNode) {
	t.Helper()
	waitFor(t, 10*time.Second, "mesh peers", func() bool {
		for _, topic := range []string{TopicAnnounce, TopicKeys} {
			have := n.mesh.peers(topic)
			for _, w := range want {
				if !slices.Contains(have, w.ID()) {
					return false
				}
			}
		}
		return true
	})
}

// line starts three nodes A–B–C: B dials A and C; A and C are not
// connected. It waits until a warm-up announcement from A reaches C, so
// that the gossip meshes are formed.
func line(t testing.TB, bOpts ...nodeOption) (a, b, c *testNode) {
	t.Helper()
	return lineOf(t, nil, bOpts, nil)
}

// lineOf is line with options for each node.
func lineOf(t testing.TB, aOpts, bOpts, cOpts []nodeOption) (a, b, c *testNode) {
	t.Helper()
	a, c = startNode(t, aOpts...), startNode(t, cOpts...)
	b = startNode(t, append(slices.Clone(bOpts), withPeers(a, c))...)
	waitMesh(t, a, b)
	waitMesh(t, c, b)
	waitMesh(t, b, a, c)
	if slices.Contains(a.Peers(), c.ID()) {
		t.Fatal("A and C are connected; want a line")
	}
	warm := testCID(t, "warm-up")
	if err := a.Announce(context.Background(), Announcement{CID: warm}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the warm-up announcement at C", func() bool { return c.rec.hasCID(warm) })
	return a, b, c
}

// testCID is the CID of a raw block holding s.
func testCID(t testing.TB, s string) cid.Cid {
	t.Helper()
	h, err := multihash.Sum([]byte(s), multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.Raw, h)
}

// newKey returns a new persona's armored public key.
func newKey(t testing.TB, name string) (*persona.Persona, []byte) {
	t.Helper()
	p, err := persona.New(persona.Options{Name: name, Email: name + "@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := p.ArmoredPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return p, pub
}

// counter reads a counter of a vector.
func counter(t testing.TB, v *prometheus.CounterVec, labels ...string) float64 {
	t.Helper()
	var m dto.Metric
	if err := v.WithLabelValues(labels...).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// keyFile is a node key file path in a fresh directory.
func keyFile(t testing.TB) string {
	return filepath.Join(t.TempDir(), "node.key")
}

func ids(nodes ...*testNode) []peer.ID {
	out := make([]peer.ID, len(nodes))
	for i, n := range nodes {
		out[i] = n.ID()
	}
	slices.Sort(out)
	return out
}
