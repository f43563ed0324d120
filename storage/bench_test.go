package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ipfs/go-cid"
)

// uploaders is how many goroutines per GOMAXPROCS upload at once in the
// parallel benchmarks: a relay has many clients, each waiting on its own
// upload.
const uploaders = 64

// BenchmarkPut1KiB measures acknowledged (synced) uploads of distinct 1 KiB
// blobs from many concurrent uploaders, in uploads/s.
func BenchmarkPut1KiB(b *testing.B) {
	s := openStore(b, Config{})
	ctx := context.Background()
	var seq atomic.Uint64
	commits := counterValue(b, s.metrics.commits)
	b.SetBytes(1024)
	b.SetParallelism(uploaders)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		data := genBytes(seq.Add(1)<<32, 0, 1024)
		owner := fmt.Sprintf("ip:203.0.113.%d", seq.Load()%256)
		r := bytes.NewReader(nil)
		for pb.Next() {
			binary.LittleEndian.PutUint64(data, seq.Add(1)) // distinct content
			r.Reset(data)
			if _, err := s.Put(ctx, r, owner); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "uploads/s")
	if n := counterValue(b, s.metrics.commits) - commits; n > 0 {
		b.ReportMetric(float64(b.N)/n, "uploads/fsync")
	}
}

// BenchmarkOpen1KiB measures reads of stored 1 KiB blobs (open, verify,
// read, close) from concurrent readers, in gets/s.
func BenchmarkOpen1KiB(b *testing.B) {
	const n = 10_000
	s := openStore(b, Config{})
	ctx := context.Background()
	cids := make([]cid.Cid, n)
	var wg sync.WaitGroup
	for w := range uploaders {
		wg.Go(func() {
			for i := w; i < n; i += uploaders {
				blob, err := s.Put(ctx, bytes.NewReader(genBytes(uint64(i), 0, 1024)), "A")
				if err != nil {
					b.Error(err)
					return
				}
				cids[i] = blob.CID
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	var next atomic.Uint64
	b.SetBytes(1024)
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 2048)
		for pb.Next() {
			c := cids[next.Add(7919)%n]
			r, size, err := s.Open(ctx, c)
			if err != nil {
				b.Error(err)
				return
			}
			m, err := io.ReadFull(r, buf[:size])
			r.Close()
			if err != nil || m != 1024 {
				b.Errorf("read %d bytes: %v", m, err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
}

// BenchmarkPut4MiB measures acknowledged uploads of 4 MiB blobs (UnixFS
// DAGs of 16 leaves), one uploader, in MB/s.
func BenchmarkPut4MiB(b *testing.B) {
	const size = 4 << 20
	s := openStore(b, Config{})
	ctx := context.Background()
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Put(ctx, newGen(uint64(i), size), "A"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen4MiB measures reading a 4 MiB DAG back, verifying every
// block, in MB/s.
func BenchmarkOpen4MiB(b *testing.B) {
	const size = 4 << 20
	s := openStore(b, Config{})
	ctx := context.Background()
	blob, err := s.Put(ctx, newGen(1, size), "A")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		r, _, err := s.Open(ctx, blob.CID)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != size {
			b.Fatalf("read %d bytes: %v", n, err)
		}
		r.Close()
	}
}
