package federation

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/storage"
)

// openStore opens a relay store (leveldb) in a temporary directory.
func openStore(t testing.TB) *storage.Store {
	t.Helper()
	st, err := storage.Open(storage.Config{Dir: t.TempDir(), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// withStore makes a node use a relay store for blocks and its log.
func withStore(st *storage.Store) nodeOption {
	return func(c *Config) {
		c.Blockstore = st.Blockstore()
		c.Datastore = st.Datastore()
	}
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFetchAcrossLine stores a 10 MiB blob (a UnixFS DAG) at A, announces
// it, and has C — not connected to A — fetch it by bitswap with the
// announcement's origin as the provider hint, pin it and read it back.
func TestFetchAcrossLine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sa, sc := openStore(t), openStore(t)
	a, b, c := lineOf(t, []nodeOption{withStore(sa)}, nil, []nodeOption{withStore(sc)})

	data := randomBytes(t, 10<<20)
	blob, err := sa.Put(ctx, bytes.NewReader(data), "ip:127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	small := randomBytes(t, 1000)
	raw, err := sa.Put(ctx, bytes.NewReader(small), "ip:127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []storage.Blob{blob, raw} {
		if err := a.Announce(ctx, Announcement{CID: x.CID, Size: x.Size}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "the announcements at C", func() bool { return c.rec.hasCID(blob.CID) && c.rec.hasCID(raw.CID) })
	ann := c.rec.announcements()[slices.IndexFunc(c.rec.announcements(), func(x Announcement) bool { return x.CID.Equals(blob.CID) })]

	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	start := time.Now()
	f, err := c.Fetch(fctx, ann.CID, ann.Origin)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("fetched %d bytes in %d blocks in %s (%.0f MB/s)", f.Transferred, f.Blocks, took, float64(f.Transferred)/took.Seconds()/1e6)
	if f.Size != int64(len(data)) || f.Blocks != 41 || f.Transferred < int64(len(data)) {
		t.Errorf("Fetched %+v, want 10 MiB in 41 blocks", f)
	}
	if !slices.Contains(c.Peers(), a.ID()) {
		t.Error("C did not connect to the origin")
	}
	if ok, _ := sc.Has(ctx, blob.CID); !ok {
		t.Fatal("the blob is not in C's store")
	}
	if err := sc.Pin(ctx, blob.CID, "peer:"+a.ID().String()); err != nil {
		t.Fatalf("Pin after Fetch: %v", err)
	}
	r, size, err := sc.Open(ctx, blob.CID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || size != int64(len(data)) || !bytes.Equal(got, data) {
		t.Fatalf("C's copy differs (size %d, err %v)", size, err)
	}

	// Again: everything is local now.
	f, err = c.Fetch(fctx, blob.CID)
	if err != nil || f.Transferred != 0 || f.Blocks != 41 {
		t.Errorf("second Fetch: %+v, %v; want all 41 blocks local", f, err)
	}

	// A raw block.
	f, err = c.Fetch(fctx, raw.CID, a.ID())
	if err != nil || f.Size != int64(len(small)) || f.Blocks != 1 {
		t.Fatalf("raw Fetch: %+v, %v", f, err)
	}
	if err := sc.Pin(ctx, raw.CID, "peer:"+a.ID().String()); err != nil {
		t.Fatal(err)
	}

	// B fetches from whoever has it: A and C both do.
	if _, err := b.Fetch(fctx, blob.CID); err != nil {
		t.Errorf("B's Fetch: %v", err)
	}
}

func TestFetchLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sa := openStore(t)
	a := startNode(t, withStore(sa))
	c := startNode(t, withPeers(a), func(cfg *Config) { cfg.MaxBlobSize = 1 << 20 })
	waitFor(t, 5*time.Second, "the connection", func() bool { return len(c.Peers()) == 1 })

	blob, err := sa.Put(ctx, bytes.NewReader(randomBytes(t, 3<<20)), "ip:127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	f, err := c.Fetch(fctx, blob.CID, a.ID())
	if !errors.Is(err, ErrFetch) {
		t.Fatalf("Fetch of a blob over MaxBlobSize: %+v, %v", f, err)
	}
	if f.Blocks > 1 {
		t.Errorf("fetched %d blocks of a blob over the cap; want only its root", f.Blocks)
	}

	// Nobody has it.
	short, cancel2 := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel2()
	if _, err := c.Fetch(short, testCID(t, "nowhere"), a.ID()); !errors.Is(err, ErrFetch) {
		t.Errorf("Fetch of a missing block: %v, want ErrFetch", err)
	}
	if _, err := c.Fetch(ctx, cid.NewCidV0(testCID(t, "x").Hash())); err == nil {
		t.Error("Fetch of a bad CID: no error")
	}
}
