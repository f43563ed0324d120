package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// openStore opens a store in a fresh temporary directory (or cfg.Dir) and
// closes it when the test ends, after checking its counters against a
// recount of the database.
func openStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if !s.isClosed() {
			checkCounters(t, s)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func (s *Store) isClosed() bool {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	return s.closed
}

// checkCounters recounts blocks, bytes, blobs, pins and usage from the
// database and compares them with what the store keeps.
func checkCounters(t testing.TB, s *Store) {
	t.Helper()
	var st Stats
	sizes := map[string]blobRecord{}
	pins := map[string]int64{}
	usage := map[string]int64{}
	it := s.db.NewIterator(&util.Range{}, nil)
	defer it.Release()
	type pin struct{ cid, owner string }
	var allPins []pin
	for it.Next() {
		k := string(it.Key())
		switch {
		case strings.HasPrefix(k, prefixBlocks):
			st.Blocks++
			st.Bytes += int64(len(it.Value()))
		case strings.HasPrefix(k, prefixBlobs):
			st.Blobs++
			rec, err := decodeBlobRecord(it.Value())
			if err != nil {
				t.Fatalf("blob record %s: %v", k, err)
			}
			sizes[strings.TrimPrefix(k, prefixBlobs)] = rec
		case strings.HasPrefix(k, prefixPins):
			rest := strings.TrimPrefix(k, prefixPins)
			c, o, _ := strings.Cut(rest, "/")
			owner, err := decodeOwner(o)
			if err != nil {
				t.Fatalf("pin key %s: %v", k, err)
			}
			allPins = append(allPins, pin{c, owner})
			pins[c]++
		}
	}
	for _, p := range allPins {
		rec, ok := sizes[p.cid]
		if !ok {
			t.Errorf("pin of %s by %q without a blob record", p.cid, p.owner)
		}
		usage[p.owner] += rec.size
	}
	for c, rec := range sizes {
		if rec.refs != pins[c] {
			t.Errorf("blob %s: record says %d pins, found %d", c, rec.refs, pins[c])
		}
	}
	if got := s.Stats(); got != st {
		t.Errorf("Stats() = %+v, recount gives %+v", got, st)
	}
	for o, n := range usage {
		if got := s.Usage(o); got != n {
			t.Errorf("usage of %q = %d, recount gives %d", o, got, n)
		}
	}
	oi := s.db.NewIterator(util.BytesPrefix([]byte(prefixOwners)), nil)
	defer oi.Release()
	for oi.Next() {
		o, err := decodeOwner(strings.TrimPrefix(string(oi.Key()), prefixOwners))
		if err != nil {
			t.Fatalf("owner key %q: %v", oi.Key(), err)
		}
		if _, ok := usage[o]; !ok {
			t.Errorf("usage recorded for %q, who pins nothing", o)
		}
	}
}

// gen is deterministic content that can be read from any offset without
// being held in memory: byte i of stream seed is a byte of
// splitmix64(seed, i/8).
type gen struct {
	seed      uint64
	off, size int64
}

func newGen(seed uint64, size int64) *gen { return &gen{seed: seed, size: size} }

func (g *gen) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), g.size-g.off))
	fillGen(p[:n], g.seed, g.off)
	g.off += int64(n)
	return n, nil
}

func fillGen(p []byte, seed uint64, off int64) {
	var w [8]byte
	for i := range p {
		pos := off + int64(i)
		if i == 0 || pos%8 == 0 {
			binary.LittleEndian.PutUint64(w[:], splitmix(seed^uint64(pos/8)*0x9e3779b97f4a7c15))
		}
		p[i] = w[pos%8]
	}
}

func genBytes(seed uint64, off, n int64) []byte {
	b := make([]byte, n)
	fillGen(b, seed, off)
	return b
}

func genSum(seed uint64, size int64) [32]byte {
	h := sha256.New()
	if _, err := io.Copy(h, newGen(seed, size)); err != nil {
		panic(err)
	}
	return [32]byte(h.Sum(nil))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// onlyReader hides a reader's Len, so that the store cannot know the size.
type onlyReader struct{ io.Reader }

// failingReader passes n bytes of r and then fails with err.
type failingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if int64(len(p)) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= int64(n)
	return n, err
}

func rawCID(b []byte) cid.Cid {
	h, _ := multihash.Sum(b, multihash.SHA2_256, -1)
	return cid.NewCidV1(cid.Raw, h)
}

func mustPut(t testing.TB, s *Store, data []byte, owner string) Blob {
	t.Helper()
	b, err := s.Put(context.Background(), bytes.NewReader(data), owner)
	if err != nil {
		t.Fatalf("Put(%d bytes, %q): %v", len(data), owner, err)
	}
	return b
}

func readAll(t testing.TB, s *Store, c cid.Cid) []byte {
	t.Helper()
	r, size, err := s.Open(context.Background(), c)
	if err != nil {
		t.Fatalf("Open(%s): %v", c, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %s: %v", c, err)
	}
	if int64(len(b)) != size {
		t.Fatalf("Open(%s) said %d bytes, read %d", c, size, len(b))
	}
	return b
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}
