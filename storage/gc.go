package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/syndtr/goleveldb/leveldb/util"
)

// gcSweepBatch is how many block deletions go into one write.
const gcSweepBatch = 1024

// GC removes every block that no pinned blob reaches: the blocks of
// unpinned blobs, of uploads that failed half way and any that came in
// through Blockstore and were never pinned. A block shared by several
// DAGs stays while any of them is pinned.
//
// Put, Pin and writes through Blockstore wait while GC runs; reads go on.
// GC reads (and so verifies) the inner nodes of every pinned DAG: if one is
// missing or corrupt it stops with that error before removing anything,
// since it could not tell which blocks that node reaches.
func (s *Store) GC(ctx context.Context) (GCReport, error) {
	start := time.Now()
	s.gcMu.Lock()
	defer s.gcMu.Unlock()

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

// mark returns the keys of the blocks that pinned blobs reach.
func (s *Store) mark(ctx context.Context) (map[string]struct{}, error) {
	live := map[string]struct{}{}
	it := s.db.NewIterator(util.BytesPrefix([]byte(prefixBlobs)), nil)
	defer it.Release()
	for it.Next() {
		c, err := cidFromBlobKey(it.Key())
		if err != nil {
			return nil, fmt.Errorf("storage: gc: bad blob key %q: %w", it.Key(), err)
		}
		if err := s.nodes.walk(ctx, c, live, false); err != nil {
			return nil, fmt.Errorf("storage: gc: cannot walk pinned blob %s: %w", c, err)
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("storage: gc: failed to list blobs: %w", err)
	}
	return live, nil
}

// sweep removes the blocks not in live.
func (s *Store) sweep(ctx context.Context, live map[string]struct{}) (GCReport, error) {
	var rep GCReport
	var dead []string
	flush := func() error {
		keys := dead
		dead = nil
		var removed int
		var freed int64
		err := s.submit(func(t *txn) (err error) {
			removed, freed, err = t.deleteBlocks(keys)
			return err
		}, 0)
		if err != nil {
			return fmt.Errorf("storage: gc: %w", err)
		}
		rep.Removed += int64(removed)
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
		dead = append(dead, string(it.Key()))
		if len(dead) == gcSweepBatch {
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
	if len(dead) > 0 {
		if err := flush(); err != nil {
			return rep, err
		}
	}
	return rep, nil
}
