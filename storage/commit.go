package storage

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ipfs/boxo/datastore/dshelp"
	"github.com/ipfs/go-cid"
	"github.com/ipfs/go-datastore"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// Group commit. Every write of the store is an op: a function that reads the
// current state through a txn and records its changes in it. One goroutine
// (commitLoop) takes whatever requests are waiting, runs their ops one after
// the other against one batch, writes the batch with a single synced leveldb
// write and then answers every request. An op that fails leaves no trace in
// the batch; the others still commit. While the batch is being synced, new
// requests queue up and form the next batch, so the number of fsyncs grows
// with time, not with the number of writers.

const (
	// maxBatchBytes bounds the block bytes gathered into one batch before
	// it is written; a single request may still bring up to RawLimit.
	maxBatchBytes = 1 << 20
	maxBatchOps   = 4096
)

var errClosed = errors.New("storage: store is closed")

type request struct {
	op    func(*txn) error
	bytes int // block bytes the op writes, for sizing batches
	done  chan error
}

// submit runs op in the next batch and waits until that batch is durable.
// It does not give up on a cancelled context: once handed over, an op is
// applied or refused, and the caller learns which.
func (s *Store) submit(op func(*txn) error, bytes int) error {
	req := &request{op: op, bytes: bytes, done: make(chan error, 1)}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return errClosed
	}
	s.reqs <- req
	s.closeMu.RUnlock()
	return <-req.done
}

func (s *Store) commitLoop() {
	defer close(s.loopDone)
	batch := make([]*request, 0, 64)
	for first := range s.reqs {
		batch = append(batch[:0], first)
		bytes := first.bytes
	gather:
		for bytes < maxBatchBytes && len(batch) < maxBatchOps {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break gather
				}
				batch = append(batch, r)
				bytes += r.bytes
			default:
				break gather
			}
		}
		s.commit(batch)
		clear(batch)
	}
}

// commit applies a batch of requests and answers them.
func (s *Store) commit(batch []*request) {
	start := time.Now()
	root := newTxn(s, nil)
	errs := make([]error, len(batch))
	for i, r := range batch {
		child := newTxn(s, root)
		if err := runOp(r.op, child); err != nil {
			errs[i] = err
			continue
		}
		child.mergeIntoParent()
	}
	if err := s.write(root); err != nil {
		s.log.Error("storage: batch write failed", "err", err, "requests", len(batch))
		err = fmt.Errorf("storage: failed to write: %w", err)
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	for i, r := range batch {
		r.done <- errs[i]
	}
	s.metrics.commits.Inc()
	s.metrics.commitSeconds.Observe(time.Since(start).Seconds())
	s.metrics.commitRequests.Observe(float64(len(batch)))
}

// runOp runs op, turning a panic into an error so that one bad request
// cannot take down the writer that every other request waits on.
func runOp(op func(*txn) error, t *txn) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("storage: internal error: %v", p)
		}
	}()
	return op(t)
}

// write writes what root holds with one synced leveldb write and then
// makes its counter changes visible.
func (s *Store) write(root *txn) error {
	if len(root.writes) == 0 && len(root.usage) == 0 && root.stats == (Stats{}) {
		return nil
	}
	b := new(leveldb.Batch)
	for k, w := range root.writes {
		if w.del {
			b.Delete([]byte(k))
		} else {
			b.Put([]byte(k), w.val)
		}
	}
	// Only this goroutine changes owners' usage and s.stats, so it may
	// read them without the lock.
	for owner, d := range root.usage {
		if d == 0 {
			continue
		}
		v, err := s.committedUsage(owner)
		if err != nil {
			return err
		}
		if v += d; v == 0 {
			b.Delete([]byte(ownerKey(owner)))
		} else {
			b.Put([]byte(ownerKey(owner)), encodeInt(v))
		}
	}
	st := s.stats
	if root.stats != (Stats{}) {
		st = Stats{
			Blobs:  st.Blobs + root.stats.Blobs,
			Blocks: st.Blocks + root.stats.Blocks,
			Bytes:  st.Bytes + root.stats.Bytes,
		}
		b.Put([]byte(keyStats), st.encode())
	}
	if b.Len() == 0 {
		return nil
	}
	if err := s.db.Write(b, &opt.WriteOptions{Sync: true}); err != nil {
		return err
	}
	s.mu.Lock()
	s.stats = st
	s.mu.Unlock()
	return nil
}

// txn is the state an op sees: the committed database with the changes of
// the ops before it in the batch (its parent) and its own on top.
type txn struct {
	s      *Store
	parent *txn
	writes map[string]pendingWrite
	usage  map[string]int64 // change of each owner's usage
	stats  Stats            // change of the counters
}

type pendingWrite struct {
	val []byte
	del bool
}

func newTxn(s *Store, parent *txn) *txn {
	return &txn{s: s, parent: parent, writes: map[string]pendingWrite{}, usage: map[string]int64{}}
}

func (t *txn) mergeIntoParent() {
	p := t.parent
	for k, w := range t.writes {
		p.writes[k] = w
	}
	for o, d := range t.usage {
		p.usage[o] += d
	}
	p.stats.Blobs += t.stats.Blobs
	p.stats.Blocks += t.stats.Blocks
	p.stats.Bytes += t.stats.Bytes
}

func (t *txn) get(key string) ([]byte, bool, error) {
	for x := t; x != nil; x = x.parent {
		if w, ok := x.writes[key]; ok {
			return w.val, !w.del, nil
		}
	}
	v, err := t.s.db.Get([]byte(key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (t *txn) has(key string) (bool, error) {
	for x := t; x != nil; x = x.parent {
		if w, ok := x.writes[key]; ok {
			return !w.del, nil
		}
	}
	return t.s.db.Has([]byte(key), nil)
}

func (t *txn) put(key string, val []byte) { t.writes[key] = pendingWrite{val: val} }

func (t *txn) del(key string) { t.writes[key] = pendingWrite{del: true} }

// usageOf is owner's usage as this txn sees it.
func (t *txn) usageOf(owner string) (int64, error) {
	v, err := t.s.committedUsage(owner)
	for x := t; x != nil; x = x.parent {
		v += x.usage[owner]
	}
	return v, err
}

// storedBytes is the store's byte count as this txn sees it.
func (t *txn) storedBytes() int64 {
	v := t.s.stats.Bytes
	for x := t; x != nil; x = x.parent {
		v += x.stats.Bytes
	}
	return v
}

// putBlocks stores the blocks that are not stored yet and refuses with
// ErrQuota if that takes the store over its total quota.
func (t *txn) putBlocks(blks []blockData) error {
	var added int64
	for _, b := range blks {
		ok, err := t.has(b.key)
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		t.put(b.key, b.data)
		t.stats.Blocks++
		t.stats.Bytes += int64(len(b.data))
		added += int64(len(b.data))
	}
	if q := t.s.cfg.QuotaTotal; q > 0 && added > 0 && t.storedBytes() > q {
		return fmt.Errorf("%w: the store holds its total quota of %d bytes", ErrQuota, q)
	}
	return nil
}

// deleteBlocks removes the blocks under keys that GC's mark found
// unreachable, unless a pin came to rely on them since: a raw blob of the
// same bytes, or an import or Pin (see Store.protect).
func (t *txn) deleteBlocks(keys []string) (removed, kept int, freed int64, err error) {
	for _, k := range keys {
		keep, err := t.keepBlock(k)
		if err != nil {
			return 0, 0, 0, err
		}
		if keep {
			kept++
			continue
		}
		v, ok, err := t.get(k)
		if err != nil {
			return 0, 0, 0, err
		}
		if !ok {
			continue
		}
		t.del(k)
		t.stats.Blocks--
		t.stats.Bytes -= int64(len(v))
		removed++
		freed += int64(len(v))
	}
	return removed, kept, freed, nil
}

func (t *txn) keepBlock(key string) (bool, error) {
	if t.s.protected(key) {
		return true, nil
	}
	h, err := dshelp.DsKeyToMultihash(datastore.NewKey(strings.TrimPrefix(key, "/blocks")))
	if err != nil {
		t.s.log.Warn("storage: gc: keeping a block whose key does not parse", "key", key, "err", err)
		return true, nil
	}
	return t.has(blobKey(cid.NewCidV1(cid.Raw, h)))
}

// blockData is a block on its way into the store.
type blockData struct {
	key  string
	data []byte
}
