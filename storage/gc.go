package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// gcSweepBatch is how many block deletions go into one write.
const gcSweepBatch = 1024

// GC removes every block that no pinned blob reaches: the blocks of
// unpinned blobs, of uploads that failed half way and any that came in
// through Blockstore and were never pinned. A block shared by several
// DAGs stays while any of them is pinned.
//
// GC blocks nothing: uploads, pins and reads go on while it runs, and a
// block that a pin comes to rely on meanwhile is kept (the deletions are
// applied by the same writer as pins, which checks each one again). One GC
// runs at a time; a second call waits for the first.
//
// GC reads (and so verifies) the inner nodes of every pinned DAG: if one is
// missing or corrupt it stops with that error before removing anything,
// since it could not tell which blocks that node reaches. Its memory grows
// with the number of blocks in pinned DAGs (one map entry per 256 KiB), not
// with the number of raw blobs.
func (s *Store) GC(ctx context.Context) (GCReport, error) {
	s.gcRun.Lock()
	defer s.gcRun.Unlock()
	start := time.Now()

	// From this op on, blocks that imports and pins release are kept: a
	// pin committed after it may be missing from the mark below, which
	// reads pins committed before it.
	err := s.submit(func(*txn) error {
		s.liveMu.Lock()
		s.gcKeep = map[string]struct{}{}
		s.liveMu.Unlock()
		return nil
	}, 0)
	defer func() {
		s.liveMu.Lock()
		s.gcKeep = nil
		s.liveMu.Unlock()
	}()
	if err != nil {
		return GCReport{}, fmt.Errorf("storage: gc: %w", err)
	}

	live, err := s.mark(ctx)
	if err != nil {
		return GCReport{}, err
	}
	rep, err := s.sweep(ctx, live)
	rep.Duration = time.Since(start)
	s.metrics.gcRuns.Inc()
	s.metrics.gcRemoved.Add(float64(rep.Removed))
	s.metrics.gcFreed.Add(float64(rep.Freed))
	s.metrics.gcSeconds.Observe(rep.Duration.Seconds())
	if err != nil {
		return rep, err
	}
	s.log.Info("storage: gc", "removed_blocks", rep.Removed, "freed_bytes", rep.Freed,
		"kept_blocks", rep.Kept, "duration", rep.Duration)
	return rep, nil
}

// mark returns the keys of the blocks of pinned DAGs. The blocks of pinned
// raw blobs are not listed: the sweep finds their blob records.
func (s *Store) mark(ctx context.Context) (map[string]struct{}, error) {
	live := map[string]struct{}{}
	it := s.db.NewIterator(util.BytesPrefix([]byte(prefixBlobs)), nil)
	defer it.Release()
	for it.Next() {
		c, err := cidFromBlobKey(it.Key())
		if err != nil {
			return nil, fmt.Errorf("storage: gc: bad blob key %q: %w", it.Key(), err)
		}
		if c.Type() != cid.DagProtobuf {
			continue
		}
		if err := s.nodes.walk(ctx, c, live); err != nil {
			return nil, fmt.Errorf("storage: gc: cannot walk pinned blob %s: %w", c, err)
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("storage: gc: failed to list blobs: %w", err)
	}
	return live, nil
}

// sweep removes the blocks not in live that no pin relies on.
func (s *Store) sweep(ctx context.Context, live map[string]struct{}) (GCReport, error) {
	var rep GCReport
	var candidates []string
	flush := func() error {
		keys := candidates
		candidates = nil
		var removed, kept int
		var freed int64
		err := s.submit(func(t *txn) (err error) {
			removed, kept, freed, err = t.deleteBlocks(keys)
			return err
		}, 0)
		if err != nil {
			return fmt.Errorf("storage: gc: %w", err)
		}
		rep.Removed += int64(removed)
		rep.Kept += int64(kept)
		rep.Freed += freed
		return nil
	}
	it := s.db.NewIterator(util.BytesPrefix([]byte(prefixBlocks)), nil)
	defer it.Release()
	for it.Next() {
		if _, ok := live[string(it.Key())]; ok {
			rep.Kept++
			continue
		}
		candidates = append(candidates, string(it.Key()))
		if len(candidates) == gcSweepBatch {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			if err := flush(); err != nil {
				return rep, err
			}
		}
	}
	if err := it.Error(); err != nil {
		return rep, fmt.Errorf("storage: gc: failed to list blocks: %w", err)
	}
	if len(candidates) > 0 {
		if err := flush(); err != nil {
			return rep, err
		}
	}
	return rep, nil
}
