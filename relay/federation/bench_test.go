package federation

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ipfs/boxo/blockstore"
	chunker "github.com/ipfs/boxo/chunker"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	"github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	bsvc "github.com/ipfs/boxo/blockservice"
)

// BenchmarkAnnouncePropagation measures how long an announcement takes
// from Announce at A to OnAnnouncement at C across A–B–C on loopback, one
// at a time. It reports the median and the 99th percentile.
func BenchmarkAnnouncePropagation(b *testing.B) {
	unlimited := func(cfg *Config) { cfg.OriginRate, cfg.OriginBurst, cfg.PeerRate, cfg.PeerBurst = 1e9, 1e9, 1e9, 1e9 }
	a, _, c := lineOf(b, []nodeOption{unlimited}, []nodeOption{unlimited}, []nodeOption{unlimited})
	got := make(chan Announcement, 1)
	c.rec.mu.Lock()
	c.rec.notify = got
	c.rec.mu.Unlock()
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		want := testCID(b, fmt.Sprintf("bench %d", i))
		start := time.Now()
		if err := a.Announce(ctx, Announcement{CID: want, Recipients: []uint64{uint64(i)}}); err != nil {
			b.Fatal(err)
		}
		for {
			select {
			case x := <-got:
				if !x.CID.Equals(want) {
					continue
				}
			case <-time.After(10 * time.Second):
				b.Fatalf("announcement %d did not arrive", i)
			}
			break
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkFetch10MiB measures a bitswap fetch of a 10 MiB UnixFS DAG
// between two directly connected nodes on loopback: with in-memory
// blockstores, and with the relay's leveldb store (synced writes).
func BenchmarkFetch10MiB(b *testing.B) {
	for _, kind := range []string{"memory", "leveldb"} {
		b.Run(kind, func(b *testing.B) {
			var optsA, optsC []nodeOption
			var importTo blockstore.Blockstore
			if kind == "leveldb" {
				sa, sc := openStore(b), openStore(b)
				optsA, optsC = []nodeOption{withStore(sa)}, []nodeOption{withStore(sc)}
				importTo = sa.Blockstore()
			}
			a := startNode(b, optsA...)
			if importTo == nil {
				importTo = a.cfg.Blockstore
			}
			c := startNode(b, append(optsC, withPeers(a))...)
			waitFor(b, 5*time.Second, "the connection", func() bool { return len(c.Peers()) == 1 })
			ctx := context.Background()
			b.SetBytes(10 << 20)
			b.ResetTimer()
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				root := importDAG(b, importTo, randomBytes(b, 10<<20))
				b.StartTimer()
				start := time.Now()
				f, err := c.Fetch(ctx, root, a.ID())
				if err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
				if f.Blocks != 41 || f.Transferred < 10<<20 {
					b.Fatalf("fetched %+v", f)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)*float64(10<<20)/1e6/total.Seconds(), "MB/s-fetch")
		})
	}
}

// importDAG imports data into bs as the relay's store does (balanced
// UnixFS DAG, 256 KiB raw leaves, CIDv1 sha2-256) with boxo's importer.
func importDAG(tb testing.TB, bs blockstore.Blockstore, data []byte) cid.Cid {
	tb.Helper()
	dag := merkledag.NewDAGService(bsvc.New(bs, nil))
	params := helpers.DagBuilderParams{
		Dagserv:    dag,
		Maxlinks:   helpers.DefaultLinksPerBlock,
		RawLeaves:  true,
		CidBuilder: cid.V1Builder{Codec: cid.DagProtobuf, MhType: multihash.SHA2_256},
	}
	db, err := params.New(chunker.NewSizeSplitter(bytes.NewReader(data), 256<<10))
	if err != nil {
		tb.Fatal(err)
	}
	root, err := balanced.Layout(db)
	if err != nil {
		tb.Fatal(err)
	}
	return root.Cid()
}
