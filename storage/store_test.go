package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/blockstore"
	chunker "github.com/ipfs/boxo/chunker"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	"github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	"github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/multiformats/go-multihash"
)

func TestPutOpenRaw(t *testing.T) {
	s := openStore(t, Config{})
	ctx := context.Background()
	data := genBytes(1, 0, 1024)
	b := mustPut(t, s, data, "ip:192.0.2.1")

	if want := rawCID(data); !b.CID.Equals(want) || b.Size != 1024 {
		t.Fatalf("Put = %v %d, want %v 1024", b.CID, b.Size, want)
	}
	if b.CID.Version() != 1 || b.CID.Type() != cid.Raw || b.CID.Prefix().MhType != multihash.SHA2_256 {
		t.Fatalf("CID %v is not CIDv1 raw sha2-256", b.CID)
	}
	if got := readAll(t, s, b.CID); !bytes.Equal(got, data) {
		t.Fatal("Open returned other bytes")
	}
	if ok, err := s.Has(ctx, b.CID); err != nil || !ok {
		t.Fatalf("Has = %v, %v", ok, err)
	}
	if ok, err := s.Has(ctx, rawCID([]byte("absent"))); err != nil || ok {
		t.Fatalf("Has(absent) = %v, %v", ok, err)
	}
	_, _, err := s.Open(ctx, rawCID([]byte("absent")))
	wantErr(t, err, ErrNotFound)
	_, _, err = s.Open(ctx, cid.Undef)
	wantErr(t, err, ErrNotFound)

	if got, want := s.Stats(), (Stats{Blobs: 1, Blocks: 1, Bytes: 1024}); got != want {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
	if got := s.Usage("ip:192.0.2.1"); got != 1024 {
		t.Fatalf("Usage = %d, want 1024", got)
	}
}

func TestPutEmptyAndRawLimit(t *testing.T) {
	s := openStore(t, Config{RawLimit: 4096})
	empty := mustPut(t, s, nil, "o")
	if !empty.CID.Equals(rawCID(nil)) || empty.Size != 0 {
		t.Fatalf("empty blob = %v %d", empty.CID, empty.Size)
	}
	if got := readAll(t, s, empty.CID); len(got) != 0 {
		t.Fatalf("empty blob read back %d bytes", len(got))
	}
	// Exactly RawLimit is one raw block; one byte more is a DAG.
	at := mustPut(t, s, genBytes(2, 0, 4096), "o")
	if at.CID.Type() != cid.Raw {
		t.Fatalf("blob of RawLimit bytes got codec %x", at.CID.Type())
	}
	// A DAG that fits one chunk is its raw leaf: the same CID as a raw
	// block of the same bytes, whatever RawLimit was when it was stored.
	over := genBytes(3, 0, 4097)
	b := mustPut(t, s, over, "o")
	if !b.CID.Equals(rawCID(over)) {
		t.Fatalf("one-chunk DAG = %v, want the raw CID %v", b.CID, rawCID(over))
	}
	over2 := genBytes(4, 0, ChunkSize+1)
	b2 := mustPut(t, s, over2, "o")
	if b2.CID.Type() != cid.DagProtobuf || b2.CID.Version() != 1 {
		t.Fatalf("two-chunk blob got %v", b2.CID)
	}
	if got := readAll(t, s, b2.CID); !bytes.Equal(got, over2) {
		t.Fatal("two-chunk DAG read back wrong")
	}
}

func TestRawLimitTooLarge(t *testing.T) {
	if _, err := Open(Config{Dir: t.TempDir(), RawLimit: MaxRawLimit + 1}); err == nil {
		t.Fatal("Open accepted a RawLimit over the largest block")
	}
	if _, err := Open(Config{}); err == nil {
		t.Fatal("Open accepted an empty Dir")
	}
}

// TestLargeBlob stores a 20 MiB blob from a stream that is never in memory
// and checks that the memory the store holds meanwhile stays far below the
// blob's size, that it reads back (also from an offset) and that its DAG
// is the one boxo's importer makes with the same settings (those of `ipfs
// add --cid-version=1`: 256 KiB chunks, balanced, raw leaves).
func TestLargeBlob(t *testing.T) {
	const size = 20 << 20
	const seed = 42
	s := openStore(t, Config{})
	ctx := context.Background()
	want := genSum(seed, size)

	// leveldb holds memory of fixed sizes whatever it stores: two 4 MiB
	// memtables and an 8 MiB block cache. Bring them to their steady
	// state with another large blob, so that what is measured below is
	// what a blob costs.
	warm, err := s.Put(ctx, newGen(seed+1, size), "o")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, s, warm.CID)

	var b Blob
	put := measureHeap(t, func() {
		if b, err = s.Put(ctx, newGen(seed, size), "o"); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("20 MiB Put: %s", put)
	if put.live > maxHeapGrowth {
		t.Errorf("live heap grew by %d bytes during a %d byte Put", put.live, size)
	}
	if b.Size != size || b.CID.Type() != cid.DagProtobuf || b.CID.Version() != 1 {
		t.Fatalf("Put = %v %d", b.CID, b.Size)
	}
	if got := s.Stats(); got.Blocks != 2*(80+1) || got.Bytes < 2*size {
		t.Errorf("Stats = %+v, want 2 × 81 blocks (80 leaves and a root each)", got)
	}

	var r io.ReadSeekCloser
	var n int64
	h := sha256.New()
	read := measureHeap(t, func() {
		if r, n, err = s.Open(ctx, b.CID); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(h, r); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("20 MiB read: %s", read)
	if read.live > maxHeapGrowth {
		t.Errorf("live heap grew by %d bytes while reading %d bytes", read.live, size)
	}
	if n != size || [32]byte(h.Sum(nil)) != want {
		t.Fatalf("read back %d bytes with another hash", n)
	}

	// Seek into the middle of a leaf, and to the end.
	for _, off := range []int64{0, 3*ChunkSize + 1000, size - 10} {
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			t.Fatalf("Seek(%d): %v", off, err)
		}
		got := make([]byte, 10)
		if _, err := io.ReadFull(r, got); err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		if !bytes.Equal(got, genBytes(seed, off, 10)) {
			t.Fatalf("wrong bytes at offset %d", off)
		}
	}
	if end, err := r.Seek(0, io.SeekEnd); err != nil || end != size {
		t.Fatalf("Seek(0, SeekEnd) = %d, %v", end, err)
	}
	r.Close()

	// The same DAG as boxo's importer into memory.
	dag := merkledag.NewDAGService(blockservice.New(blockstore.NewBlockstore(dssync.MutexWrap(datastore.NewMapDatastore())), nil))
	params := helpers.DagBuilderParams{
		Dagserv: dag, Maxlinks: helpers.DefaultLinksPerBlock, RawLeaves: true,
		CidBuilder: cid.V1Builder{Codec: cid.DagProtobuf, MhType: multihash.SHA2_256},
	}
	db, err := params.New(chunker.NewSizeSplitter(newGen(seed, size), ChunkSize))
	if err != nil {
		t.Fatal(err)
	}
	root, err := balanced.Layout(db)
	if err != nil {
		t.Fatal(err)
	}
	if !root.Cid().Equals(b.CID) {
		t.Fatalf("store made %v, boxo's importer %v", b.CID, root.Cid())
	}
}

// TestLargeBlobMemory: a blob three times as large costs no more memory.
func TestLargeBlobMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 60 MiB")
	}
	const size = 60 << 20
	s := openStore(t, Config{})
	ctx := context.Background()
	warm, err := s.Put(ctx, newGen(1, 20<<20), "o")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, s, warm.CID)
	var b Blob
	put := measureHeap(t, func() {
		if b, err = s.Put(ctx, newGen(2, size), "o"); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("60 MiB Put: %s", put)
	read := measureHeap(t, func() {
		r, _, err := s.Open(ctx, b.CID)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if n, err := io.Copy(io.Discard, r); err != nil || n != size {
			t.Fatalf("read %d bytes: %v", n, err)
		}
	})
	t.Logf("60 MiB read: %s", read)
	if put.live > maxHeapGrowth || read.live > maxHeapGrowth {
		t.Errorf("live heap grew by %d bytes (Put), %d (read) for a %d byte blob", put.live, read.live, size)
	}
}

// maxHeapGrowth bounds the heap that storing or reading a large blob may
// add, whatever its size: the import's pending blocks (dagFlushBytes) and
// their copy in the leveldb batch, a few chunks, the reader's read-ahead
// (10 leaves), and what leveldb allocates at times whatever it is given
// (a third 4 MiB memtable while the last one is being compacted, table
// buffers).
const maxHeapGrowth = 12 << 20

// heapGrowth is how much the heap grew while a function ran, at its
// highest: live is the heap that the garbage collector found live (what
// the code holds), inuse the heap in use (live plus garbage not yet
// collected).
type heapGrowth struct{ live, inuse uint64 }

func (g heapGrowth) String() string {
	return fmt.Sprintf("live heap grew by at most %.1f MiB (heap in use by %.1f MiB)",
		float64(g.live)/(1<<20), float64(g.inuse)/(1<<20))
}

// measureHeap runs f with the collector running often (so that live heap
// is sampled finely) and returns how much the heap grew meanwhile.
func measureHeap(t *testing.T, f func()) heapGrowth {
	t.Helper()
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	sample := func() (live, inuse uint64) {
		ms := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
		rtmetrics.Read(ms)
		var st runtime.MemStats
		runtime.ReadMemStats(&st)
		return ms[0].Value.Uint64(), st.HeapInuse
	}
	runtime.GC()
	runtime.GC()
	baseLive, baseInuse := sample()
	var peakLive, peakInuse atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			live, inuse := sample()
			if live > peakLive.Load() {
				peakLive.Store(live)
			}
			if inuse > peakInuse.Load() {
				peakInuse.Store(inuse)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	return heapGrowth{
		live:  peakLive.Load() - min(baseLive, peakLive.Load()),
		inuse: peakInuse.Load() - min(baseInuse, peakInuse.Load()),
	}
}

func TestDedupe(t *testing.T) {
	s := openStore(t, Config{})
	for _, size := range []int64{1000, 3 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := genBytes(uint64(size), 0, size)
			before := s.Stats()
			a := mustPut(t, s, data, "key:A")
			afterA := s.Stats()
			b := mustPut(t, s, data, "key:B")
			again := mustPut(t, s, data, "key:A")
			if !a.CID.Equals(b.CID) || !a.CID.Equals(again.CID) {
				t.Fatalf("same bytes, different CIDs: %v %v %v", a.CID, b.CID, again.CID)
			}
			if got := s.Stats(); got != afterA || got.Blobs != before.Blobs+1 {
				t.Fatalf("Stats after duplicates = %+v, after the first = %+v", got, afterA)
			}
			if s.Usage("key:A") != s.Usage("key:B") {
				t.Fatalf("usage A %d, B %d", s.Usage("key:A"), s.Usage("key:B"))
			}
			checkCounters(t, s)
		})
	}
	if got, want := s.Usage("key:A"), int64(1000+3<<20); got != want {
		t.Fatalf("Usage(A) = %d, want %d", got, want)
	}
}

func TestPinUnpinGC(t *testing.T) {
	s := openStore(t, Config{})
	ctx := context.Background()
	data := genBytes(7, 0, 2<<20)
	b := mustPut(t, s, data, "A")

	if err := s.Pin(ctx, b.CID, "B"); err != nil {
		t.Fatal(err)
	}
	if err := s.Pin(ctx, b.CID, "B"); err != nil { // idempotent
		t.Fatal(err)
	}
	if got := s.Usage("B"); got != 2<<20 {
		t.Fatalf("Usage(B) = %d after pinning twice", got)
	}
	// A CIDv0 names the same DAG.
	if err := s.Pin(ctx, cid.NewCidV0(b.CID.Hash()), "C"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.Unpin(ctx, b.CID, "C"), nil)
	wantErr(t, s.Unpin(ctx, b.CID, "C"), ErrNotFound)
	wantErr(t, s.Pin(ctx, rawCID([]byte("absent")), "A"), ErrNotFound)

	if err := s.Unpin(ctx, b.CID, "A"); err != nil {
		t.Fatal(err)
	}
	rep, err := s.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Removed != 0 || rep.Kept != 9 {
		t.Fatalf("GC while B pins: %+v, want 0 removed, 9 kept", rep)
	}
	if got := readAll(t, s, b.CID); !bytes.Equal(got, data) {
		t.Fatal("blob changed")
	}
	if err := s.Unpin(ctx, b.CID, "B"); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats(); got.Blobs != 0 || got.Blocks != 9 {
		t.Fatalf("after the last unpin, before GC: %+v", got)
	}
	// Unpinned but stored: it can be pinned again.
	if err := s.Pin(ctx, b.CID, "D"); err != nil {
		t.Fatal(err)
	}
	if got := s.Usage("D"); got != 2<<20 {
		t.Fatalf("Usage(D) = %d", got)
	}
	if err := s.Unpin(ctx, b.CID, "D"); err != nil {
		t.Fatal(err)
	}
	rep, err = s.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Removed != 9 || rep.Freed < 2<<20 {
		t.Fatalf("GC after the last unpin: %+v", rep)
	}
	if got := s.Stats(); got != (Stats{}) {
		t.Fatalf("Stats = %+v, want zero", got)
	}
	_, _, err = s.Open(ctx, b.CID)
	wantErr(t, err, ErrNotFound)
	if s.Usage("A")+s.Usage("B")+s.Usage("D") != 0 {
		t.Fatal("usage left after unpinning")
	}
}

// TestGCSharedBlocks: two DAGs share their first leaves; each keeps them
// while it is pinned.
func TestGCSharedBlocks(t *testing.T) {
	s := openStore(t, Config{})
	ctx := context.Background()
	shared := genBytes(10, 0, 5*ChunkSize)
	x := append(bytes.Clone(shared), genBytes(11, 0, 3*ChunkSize)...)
	y := append(bytes.Clone(shared), genBytes(12, 0, 2*ChunkSize)...)
	bx := mustPut(t, s, x, "X")
	by := mustPut(t, s, y, "Y")
	// 5 shared leaves, 3 + 2 own leaves, 2 roots.
	if got := s.Stats().Blocks; got != 12 {
		t.Fatalf("%d blocks stored, want 12", got)
	}
	if err := s.Unpin(ctx, bx.CID, "X"); err != nil {
		t.Fatal(err)
	}
	rep, err := s.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Removed != 4 || rep.Kept != 8 {
		t.Fatalf("GC = %+v, want X's root and 3 leaves removed, 8 kept", rep)
	}
	if got := readAll(t, s, by.CID); !bytes.Equal(got, y) {
		t.Fatal("Y changed")
	}
	// X again: only its own blocks are written.
	mustPut(t, s, x, "X")
	if got := s.Stats().Blocks; got != 12 {
		t.Fatalf("%d blocks after storing X again, want 12", got)
	}
	if err := s.Unpin(ctx, by.CID, "Y"); err != nil {
		t.Fatal(err)
	}
	if rep, err = s.GC(ctx); err != nil || rep.Removed != 3 {
		t.Fatalf("GC = %+v, %v; want Y's root and 2 leaves removed", rep, err)
	}
	if got := readAll(t, s, bx.CID); !bytes.Equal(got, x) {
		t.Fatal("X changed")
	}
}

func TestSourceErrorPinsNothing(t *testing.T) {
	s := openStore(t, Config{})
	ctx := context.Background()
	boom := errors.New("not an OpenPGP message")
	for _, n := range []int64{0, 500, 3 << 20, 4 * ChunkSize, 5*ChunkSize - 1} {
		_, err := s.Put(ctx, &failingReader{r: newGen(uint64(n), 8<<20), n: n, err: boom}, "A")
		if !errors.Is(err, boom) {
			t.Fatalf("after %d bytes: Put error %v, want the source's", n, err)
		}
	}
	if st := s.Stats(); st.Blobs != 0 || s.Usage("A") != 0 {
		t.Fatalf("failed uploads left %+v, usage %d", st, s.Usage("A"))
	}
	if s.Stats().Blocks == 0 {
		t.Fatal("expected the blocks of failed DAG uploads until GC")
	}
	checkCounters(t, s)
	if _, err := s.GC(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats(); got != (Stats{}) {
		t.Fatalf("after GC: %+v", got)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := s.Put(cctx, bytes.NewReader([]byte("x")), "A")
	wantErr(t, err, context.Canceled)
}

func TestTooLarge(t *testing.T) {
	s := openStore(t, Config{MaxBlobSize: 3 << 20})
	ctx := context.Background()
	// Size known: refused before reading.
	r := bytes.NewReader(make([]byte, 3<<20+1))
	_, err := s.Put(ctx, r, "A")
	wantErr(t, err, ErrTooLarge)
	if r.Len() != 3<<20+1 {
		t.Fatalf("Put read %d bytes of an upload it could refuse up front", 3<<20+1-r.Len())
	}
	// Size unknown: refused while streaming.
	_, err = s.Put(ctx, onlyReader{newGen(1, 4<<20)}, "A")
	wantErr(t, err, ErrTooLarge)
	if st := s.Stats(); st.Blobs != 0 {
		t.Fatalf("too large upload left %+v", st)
	}
	// Exactly the limit is fine.
	b, err := s.Put(ctx, onlyReader{newGen(2, 3<<20)}, "A")
	if err != nil || b.Size != 3<<20 {
		t.Fatalf("Put at the limit: %v %v", b, err)
	}
}

func TestQuotaPerOwner(t *testing.T) {
	s := openStore(t, Config{QuotaPerOwner: 10_000, RawLimit: 8192})
	ctx := context.Background()
	a := mustPut(t, s, genBytes(1, 0, 6000), "A")
	_, err := s.Put(ctx, bytes.NewReader(genBytes(2, 0, 6000)), "A")
	wantErr(t, err, ErrQuota)
	// What A pins already costs nothing more.
	mustPut(t, s, genBytes(1, 0, 6000), "A")
	wantErr(t, s.Pin(ctx, a.CID, "A"), nil)
	// Another owner has its own quota.
	mustPut(t, s, genBytes(2, 0, 6000), "B")
	wantErr(t, s.Pin(ctx, a.CID, "B"), ErrQuota)
	if s.Usage("A") != 6000 || s.Usage("B") != 6000 {
		t.Fatalf("usage A %d B %d", s.Usage("A"), s.Usage("B"))
	}
	// Known size over the quota: refused before reading.
	r := bytes.NewReader(make([]byte, 20_000))
	_, err = s.Put(ctx, r, "C")
	wantErr(t, err, ErrQuota)
	if r.Len() != 20_000 {
		t.Fatal("Put read an upload it could refuse up front")
	}
	// Unknown size: refused while streaming, nothing pinned.
	_, err = s.Put(ctx, onlyReader{newGen(3, 1<<20)}, "C")
	wantErr(t, err, ErrQuota)
	if s.Usage("C") != 0 {
		t.Fatalf("usage C %d", s.Usage("C"))
	}
	// Room again after an unpin.
	if err := s.Unpin(ctx, a.CID, "A"); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, genBytes(4, 0, 9000), "A")
}

// TestUnmetered: owners the config names are not held to the per-owner
// quota (small blobs, streamed DAGs and pins alike), others still are.
func TestUnmetered(t *testing.T) {
	s := openStore(t, Config{QuotaPerOwner: 10_000, RawLimit: 8192, Unmetered: func(o string) bool { return o == "replica" }})
	ctx := context.Background()
	a := mustPut(t, s, genBytes(1, 0, 6000), "replica")
	mustPut(t, s, genBytes(2, 0, 6000), "replica")
	mustPut(t, s, genBytes(3, 0, 100_000), "replica")
	if _, err := s.Put(ctx, onlyReader{newGen(4, 1<<20)}, "replica"); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, genBytes(5, 0, 6000), "A")
	wantErr(t, s.Pin(ctx, a.CID, "A"), ErrQuota)
	if s.Usage("replica") != 6000+6000+100_000+1<<20 {
		t.Fatalf("usage of the unmetered owner %d", s.Usage("replica"))
	}
}

func TestQuotaTotal(t *testing.T) {
	s := openStore(t, Config{QuotaTotal: 3<<20 + 100_000})
	ctx := context.Background()
	big := mustPut(t, s, genBytes(1, 0, 3<<20), "A")
	_, err := s.Put(ctx, bytes.NewReader(genBytes(2, 0, 200_000)), "B")
	wantErr(t, err, ErrQuota)
	_, err = s.Put(ctx, onlyReader{newGen(3, 2<<20)}, "B")
	wantErr(t, err, ErrQuota)
	mustPut(t, s, genBytes(4, 0, 50_000), "B")
	// Duplicates take no room.
	mustPut(t, s, genBytes(4, 0, 50_000), "C")
	if err := s.Unpin(ctx, big.CID, "A"); err != nil {
		t.Fatal(err)
	}
	// Unpinned blocks count until GC removes them.
	_, err = s.Put(ctx, bytes.NewReader(genBytes(2, 0, 200_000)), "B")
	wantErr(t, err, ErrQuota)
	if _, err := s.GC(ctx); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, genBytes(2, 0, 200_000), "B")
}

func TestConcurrentPuts(t *testing.T) {
	s := openStore(t, Config{})
	ctx := context.Background()
	const workers, each = 32, 40
	commitsBefore := counterValue(t, s.metrics.commits)
	type result struct {
		b   Blob
		sum [32]byte
	}
	results := make(chan result, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				// Every fourth blob is shared by all workers.
				seed := uint64(w*1000 + i)
				if i%4 == 0 {
					seed = uint64(i)
				}
				size := int64(100 + (i*37)%3000)
				if i == 7 {
					size = 1<<20 + 5000 // a DAG
				}
				data := genBytes(seed, 0, size)
				b, err := s.Put(ctx, bytes.NewReader(data), fmt.Sprintf("ip:10.0.0.%d", w%5))
				if err != nil {
					t.Error(err)
					return
				}
				results <- result{b, sha256.Sum256(data)}
			}
		})
	}
	wg.Wait()
	close(results)
	n := 0
	for r := range results {
		n++
		rd, _, err := s.Open(ctx, r.b.CID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rd)
		rd.Close()
		if err != nil || sha256.Sum256(got) != r.sum {
			t.Fatalf("%v read back wrong: %v", r.b.CID, err)
		}
	}
	commits := counterValue(t, s.metrics.commits) - commitsBefore
	t.Logf("%d puts in %.0f synced writes", n, commits)
	if commits >= float64(n) {
		t.Errorf("%d puts took %.0f synced writes: no group commit", n, commits)
	}
	checkCounters(t, s)
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	small := mustPut(t, s, []byte("small"), "key:AAAA")
	large := mustPut(t, s, genBytes(5, 0, 2<<20), "ip:2001:db8::1")
	if err := s.Datastore().Put(ctx, datastore.NewKey("/dir/alice"), []byte("cert")); err != nil {
		t.Fatal(err)
	}
	stats := s.Stats()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, bytes.NewReader([]byte("late")), "A"); err == nil {
		t.Fatal("Put after Close succeeded")
	}

	s2 := openStore(t, Config{Dir: dir})
	if got := s2.Stats(); got != stats {
		t.Fatalf("Stats after reopening = %+v, want %+v", got, stats)
	}
	if s2.Usage("key:AAAA") != 5 || s2.Usage("ip:2001:db8::1") != 2<<20 {
		t.Fatal("usage lost on reopening")
	}
	if got := readAll(t, s2, small.CID); string(got) != "small" {
		t.Fatal("small blob lost")
	}
	if got := readAll(t, s2, large.CID); !bytes.Equal(got, genBytes(5, 0, 2<<20)) {
		t.Fatal("large blob lost")
	}
	if v, err := s2.Datastore().Get(ctx, datastore.NewKey("/dir/alice")); err != nil || string(v) != "cert" {
		t.Fatalf("metadata after reopening: %q, %v", v, err)
	}
}

func TestDatastore(t *testing.T) {
	s := openStore(t, Config{})
	ctx := context.Background()
	mustPut(t, s, []byte("blob"), "A")
	d := s.Datastore()
	if _, ok := d.(datastore.TxnDatastore); ok {
		t.Error("Datastore offers transactions, which leveldb does not sync")
	}
	b, err := d.Batch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := b.Put(ctx, datastore.NewKey(fmt.Sprintf("/shares/%d", i)), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := d.Query(ctx, query.Query{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := res.Rest()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("Datastore lists %d entries, want its own 3: %v", len(all), all)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, []byte("still open"), "A")
}

func TestBlockstore(t *testing.T) {
	s := openStore(t, Config{})
	ctx := context.Background()
	bs := s.Blockstore()
	blk := blocks.NewBlock([]byte("from bitswap"))
	if err := bs.Put(ctx, blk); err != nil {
		t.Fatal(err)
	}
	got, err := bs.Get(ctx, blk.Cid())
	if err != nil || !bytes.Equal(got.RawData(), blk.RawData()) {
		t.Fatalf("Get = %v, %v", got, err)
	}
	if n, err := bs.GetSize(ctx, blk.Cid()); err != nil || n != len(blk.RawData()) {
		t.Fatalf("GetSize = %d, %v", n, err)
	}
	bad, _ := blocks.NewBlockWithCid([]byte("forged"), blk.Cid())
	if err := bs.Put(ctx, bad); err == nil {
		t.Fatal("Put accepted a block that does not match its CID")
	}
	if err := bs.DeleteBlock(ctx, blk.Cid()); err == nil {
		t.Fatal("DeleteBlock succeeded")
	}
	keys, err := bs.AllKeysChan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for range keys {
		n++
	}
	if n != 1 || s.Stats().Blocks != 1 {
		t.Fatalf("%d keys listed, Stats %+v", n, s.Stats())
	}
	// Not pinned: GC takes it.
	if rep, err := s.GC(ctx); err != nil || rep.Removed != 1 {
		t.Fatalf("GC = %+v, %v", rep, err)
	}
}

// gatedReader serves r up to gate bytes, then says so on reached and waits
// for release before serving the rest.
type gatedReader struct {
	r        io.Reader
	off      int64
	gate     int64
	reached  chan struct{}
	release  chan struct{}
	signaled bool
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.off == g.gate && !g.signaled {
		g.signaled = true
		close(g.reached)
		<-g.release
	}
	if g.off < g.gate && g.off+int64(len(p)) > g.gate {
		p = p[:g.gate-g.off]
	}
	n, err := g.r.Read(p)
	g.off += int64(n)
	return n, err
}

// TestGCDuringUpload: GC does not wait for an upload that is streaming in,
// and keeps both the blocks that upload has written and the stored (but
// unpinned) blocks it reuses.
func TestGCDuringUpload(t *testing.T) {
	s := openStore(t, Config{})
	ctx := context.Background()
	x := genBytes(1, 0, 6*ChunkSize)
	bx := mustPut(t, s, x, "A")
	if err := s.Unpin(ctx, bx.CID, "A"); err != nil {
		t.Fatal(err)
	}
	xy := append(bytes.Clone(x), genBytes(2, 0, 6*ChunkSize)...)
	g := &gatedReader{r: bytes.NewReader(xy), gate: 9 * ChunkSize, reached: make(chan struct{}), release: make(chan struct{})}
	type result struct {
		b   Blob
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := s.Put(ctx, onlyReader{g}, "B")
		done <- result{b, err}
	}()
	<-g.reached

	gcDone := make(chan error, 1)
	var rep GCReport
	go func() {
		var err error
		rep, err = s.GC(ctx)
		gcDone <- err
	}()
	select {
	case err := <-gcDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		close(g.release)
		t.Fatal("GC waited for an upload that was streaming in")
	}
	// Only X's old root goes: its leaves are the upload's first six.
	if rep.Removed != 1 {
		t.Errorf("GC during the upload: %+v, want only X's root removed", rep)
	}
	close(g.release)
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if got := readAll(t, s, res.b.CID); !bytes.Equal(got, xy) {
		t.Fatal("blob read back wrong")
	}
	if rep, err := s.GC(ctx); err != nil || rep.Removed != 0 {
		t.Fatalf("GC after the upload: %+v, %v", rep, err)
	}
	checkCounters(t, s)
}

// TestGCConcurrent runs GC in a loop while workers store, pin and unpin
// blobs that share content (the same raw blobs, DAGs with the same first
// leaves), and then checks that every blob still pinned reads back intact.
func TestGCConcurrent(t *testing.T) {
	s := openStore(t, Config{})
	ctx := context.Background()
	sizes := []int64{900, 5000, 5 * ChunkSize, 6*ChunkSize + 7, 7 * ChunkSize}
	stop := make(chan struct{})
	var gcs atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.GC(ctx); err != nil {
				t.Error(err)
				return
			}
			gcs.Add(1)
		}
	})
	const workers = 6
	pinned := make([]map[cid.Cid][32]byte, workers)
	for w := range workers {
		pinned[w] = map[cid.Cid][32]byte{}
		wg.Go(func() {
			owner := fmt.Sprintf("w%d", w)
			rng := uint64(w)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				rng = splitmix(rng)
				data := genBytes(rng%4, 0, sizes[(rng>>8)%uint64(len(sizes))])
				switch {
				case len(pinned[w]) > 0 && rng>>16%3 == 0:
					for c := range pinned[w] {
						if err := s.Unpin(ctx, c, owner); err != nil {
							t.Error(err)
							return
						}
						delete(pinned[w], c)
						break
					}
				case rng>>16%3 == 1:
					// Pin what may be stored, unpinned, or collected.
					c := rawCID(data)
					if len(data) > DefaultRawLimit {
						continue
					}
					switch err := s.Pin(ctx, c, owner); {
					case err == nil:
						pinned[w][c] = sha256.Sum256(data)
					case !errors.Is(err, ErrNotFound):
						t.Error(err)
						return
					}
				default:
					b, err := s.Put(ctx, bytes.NewReader(data), owner)
					if err != nil {
						t.Error(err)
						return
					}
					pinned[w][b.CID] = sha256.Sum256(data)
				}
			}
		})
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	t.Logf("%d GC runs", gcs.Load())
	check := func() {
		for w := range pinned {
			for c, sum := range pinned[w] {
				r, _, err := s.Open(ctx, c)
				if err != nil {
					t.Fatalf("pinned %s: %v", c, err)
				}
				got, err := io.ReadAll(r)
				r.Close()
				if err != nil || sha256.Sum256(got) != sum {
					t.Fatalf("pinned %s read back wrong: %v", c, err)
				}
			}
		}
	}
	check()
	if _, err := s.GC(ctx); err != nil {
		t.Fatal(err)
	}
	check()
	checkCounters(t, s)
}

// errAtEOF serves r and then, instead of io.EOF, err: what a reader that
// checks a signature over the whole upload does when it does not verify.
type errAtEOF struct {
	r   io.Reader
	err error
}

func (e errAtEOF) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		err = e.err
	}
	return n, err
}

// TestErrorInPlaceOfEOF: a source that fails at its very end (after its
// last byte, at a chunk boundary or not) pins nothing, and an owner that
// pins those bytes already keeps its pin and usage.
func TestErrorInPlaceOfEOF(t *testing.T) {
	s := openStore(t, Config{})
	ctx := context.Background()
	bad := errors.New("signature does not verify")
	for _, size := range []int64{0, 1000, DefaultRawLimit, DefaultRawLimit + 1, 4 * ChunkSize, 5*ChunkSize + 1} {
		data := genBytes(uint64(size), 0, size)
		_, err := s.Put(ctx, errAtEOF{bytes.NewReader(data), bad}, "key:A")
		if !errors.Is(err, bad) {
			t.Fatalf("%d bytes: Put = %v, want the source's error", size, err)
		}
		if s.Stats().Blobs != 0 || s.Usage("key:A") != 0 {
			t.Fatalf("%d bytes: a failed upload pinned something", size)
		}
	}
	// The same bytes, failing, from an owner that pins them already.
	data := genBytes(1, 0, 5*ChunkSize)
	b := mustPut(t, s, data, "key:A")
	_, err := s.Put(ctx, errAtEOF{bytes.NewReader(data), bad}, "key:A")
	wantErr(t, err, bad)
	if s.Usage("key:A") != b.Size {
		t.Fatal("a failed upload changed the owner's usage")
	}
	if _, err := s.GC(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s, b.CID); !bytes.Equal(got, data) {
		t.Fatal("pinned blob lost")
	}
}
