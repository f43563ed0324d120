package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/go-cid"
	"github.com/ipfs/go-datastore"
	dsleveldb "github.com/ipfs/go-ds-leveldb"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// tamper closes s, changes the stored bytes of block c with the leveldb
// datastore underneath, and returns the store reopened on the same
// directory with a fresh metrics registry.
func tamper(t *testing.T, s *Store, c cid.Cid, change func([]byte) []byte) (*Store, *prometheus.Registry) {
	t.Helper()
	dir := s.cfg.Dir
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := dsleveldb.NewDatastore(filepath.Join(dir, "blocks"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := datastore.NewKey(blockKey(c.Hash()))
	v, err := d.Get(ctx, key)
	if err != nil {
		t.Fatalf("block %s not at %s: %v", c, key, err)
	}
	if err := d.Put(ctx, key, change(bytes.Clone(v))); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// Not openStore: the recount of a tampered store may rightly differ.
	reg := prometheus.NewRegistry()
	s2, err := Open(Config{Dir: dir, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2, reg
}

func flipByte(b []byte) []byte { b[len(b)/2] ^= 1; return b }

func TestCorruptRawBlock(t *testing.T) {
	s := openStore(t, Config{})
	ctx := context.Background()
	data := genBytes(1, 0, 1024)
	b := mustPut(t, s, data, "A")

	for _, tc := range []struct {
		name   string
		change func([]byte) []byte
	}{
		{"flipped", flipByte},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }},
		{"empty", func([]byte) []byte { return nil }},
	} {
		var reg *prometheus.Registry
		s, reg = tamper(t, s, b.CID, tc.change)
		r, _, err := s.Open(ctx, b.CID)
		if r != nil || !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: Open of a corrupt block = %v, %v; want ErrCorrupt and no reader", tc.name, r, err)
		}
		blk, err := s.Blockstore().Get(ctx, b.CID)
		if blk != nil || !errors.Is(err, ErrCorrupt) || !errors.Is(err, blockstore.ErrHashMismatch) {
			t.Fatalf("%s: Blockstore().Get of a corrupt block = %v, %v", tc.name, blk, err)
		}
		if got := gathered(t, reg, "veil_storage_corrupt_blocks_total"); got != 2 {
			t.Fatalf("%s: corrupt_blocks_total = %v, want 2", tc.name, got)
		}
		// Has still says yes: the block is there, only wrong.
		if ok, _ := s.Has(ctx, b.CID); !ok {
			t.Fatalf("%s: Has = false", tc.name)
		}
	}
	// A fresh Put of the same bytes does not repair it (the block is
	// "stored"), but reading still never serves the bad bytes.
	mustPut(t, s, data, "B")
	_, _, err := s.Open(ctx, b.CID)
	wantErr(t, err, ErrCorrupt)
}

func TestCorruptDAGLeaf(t *testing.T) {
	const size = 6*ChunkSize + 100
	s := openStore(t, Config{})
	ctx := context.Background()
	data := genBytes(9, 0, size)
	b := mustPut(t, s, data, "A")

	// Find the fourth leaf.
	root, err := s.nodes.Get(ctx, b.CID)
	if err != nil {
		t.Fatal(err)
	}
	leaf := root.Links()[3].Cid
	s, reg := tamper(t, s, leaf, flipByte)

	r, n, err := s.Open(ctx, b.CID)
	if err != nil || n != size {
		t.Fatalf("Open = %d, %v; the root is sound", n, err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	wantErr(t, err, ErrCorrupt)
	if !strings.Contains(err.Error(), leaf.String()) {
		t.Errorf("error %q does not name the corrupt block %s", err, leaf)
	}
	if len(got) != 3*ChunkSize || !bytes.Equal(got, data[:3*ChunkSize]) {
		t.Fatalf("read %d bytes before the error, want exactly the 3 sound leaves before it", len(got))
	}

	// Reading from inside the corrupt leaf fails the same way; reading
	// past it works.
	r, _, err = s.Open(ctx, b.CID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Seek(3*ChunkSize+10, io.SeekStart); !errors.Is(err, ErrCorrupt) {
		buf := make([]byte, 10)
		_, err = io.ReadFull(r, buf)
		wantErr(t, err, ErrCorrupt)
	}
	if _, err := r.Seek(5*ChunkSize, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(rest, data[5*ChunkSize:]) {
		t.Fatalf("reading past the corrupt leaf: %d bytes, %v", len(rest), err)
	}
	if got := gathered(t, reg, "veil_storage_corrupt_blocks_total"); got < 2 {
		t.Fatalf("corrupt_blocks_total = %v", got)
	}
	// GC walks no leaves: a corrupt leaf does not stop it.
	if _, err := s.GC(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCorruptDAGRoot: GC cannot tell what a corrupt inner node reaches, so
// it stops before removing anything.
func TestCorruptDAGRoot(t *testing.T) {
	s := openStore(t, Config{})
	ctx := context.Background()
	b := mustPut(t, s, genBytes(1, 0, 5*ChunkSize), "A")
	garbage := mustPut(t, s, []byte("garbage"), "A")
	if err := s.Unpin(ctx, garbage.CID, "A"); err != nil {
		t.Fatal(err)
	}
	s, _ = tamper(t, s, b.CID, flipByte)
	_, _, err := s.Open(ctx, b.CID)
	wantErr(t, err, ErrCorrupt)
	_, err = s.GC(ctx)
	wantErr(t, err, ErrCorrupt)
	if ok, _ := s.Has(ctx, garbage.CID); !ok {
		t.Fatal("GC removed blocks although it failed")
	}
	wantErr(t, s.Pin(ctx, b.CID, "B"), nil) // pinned already: the record answers
}

// gathered returns the value of the counter or gauge name in reg.
func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var sum float64
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
		return sum
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func counterValue(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	dir := t.TempDir()
	s := openStore(t, Config{Dir: dir, Registerer: reg})
	mustPut(t, s, []byte("x"), "A")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "veil_storage_") {
			t.Errorf("metric %s is not veil_storage_…", mf.GetName())
		}
		names[mf.GetName()] = true
	}
	for _, n := range []string{"veil_storage_puts_total", "veil_storage_stored_bytes", "veil_storage_blobs",
		"veil_storage_commit_batch_requests", "veil_storage_corrupt_blocks_total"} {
		if !names[n] {
			t.Errorf("no metric %s", n)
		}
	}
	if got := gathered(t, reg, "veil_storage_blobs"); got != 1 {
		t.Errorf("veil_storage_blobs = %v", got)
	}
	// A second store cannot register the same names; after Close it can.
	if _, err := Open(Config{Dir: t.TempDir(), Registerer: reg}); err == nil {
		t.Fatal("two stores registered the same metrics")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	openStore(t, Config{Dir: dir, Registerer: reg})
}
