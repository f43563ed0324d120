package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/go-cid"
	"github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/namespace"
	dsleveldb "github.com/ipfs/go-ds-leveldb"
	"github.com/multiformats/go-multihash"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// Errors that callers test with errors.Is.
var (
	// ErrNotFound: no such blob (or pin), or a block of it is missing.
	ErrNotFound = errors.New("storage: not found")
	// ErrCorrupt: a stored block does not match its CID. Its bytes are
	// never returned.
	ErrCorrupt = errors.New("storage: stored block does not match its CID")
	// ErrTooLarge: the upload is larger than Config.MaxBlobSize.
	ErrTooLarge = errors.New("storage: blob too large")
	// ErrQuota: storing the blob would take its owner or the store over
	// a quota.
	ErrQuota = errors.New("storage: quota exceeded")
)

// Defaults for the zero values of Config.
const (
	DefaultRawLimit    = 1 << 20
	DefaultMaxBlobSize = 64 << 20
	// MaxRawLimit is the largest RawLimit: the largest block bitswap
	// carries (boxo's chunker.BlockSizeLimit).
	MaxRawLimit = 2 << 20
	// ChunkSize is the size of the leaves of a UnixFS DAG.
	ChunkSize = 256 << 10
)

// Config configures a Store. Only Dir is required.
type Config struct {
	Dir           string // data directory; the store is the leveldb in Dir/blocks
	RawLimit      int64  // blobs up to this size are one raw block (default 1 MiB, at most MaxRawLimit); larger ones a UnixFS DAG
	MaxBlobSize   int64  // larger uploads fail with ErrTooLarge (default 64 MiB)
	QuotaPerOwner int64  // bytes pinned per owner (0 = unlimited)
	// Unmetered, when set, names owners whose pins QuotaPerOwner does not
	// limit (the relay's own pins of what other relays or processes
	// stored); QuotaTotal still holds.
	Unmetered  func(owner string) bool
	QuotaTotal int64 // bytes of blocks stored in total, pinned or not yet collected (0 = unlimited)
	// Registerer registers the store's metrics (veil_storage_…); nil
	// for none. Close unregisters them.
	Registerer prometheus.Registerer
	Logger     *slog.Logger // nil for slog.Default()
}

// Blob names a stored blob.
type Blob struct {
	CID  cid.Cid
	Size int64 // bytes of content
}

// GCReport says what a GC run did.
type GCReport struct {
	Removed  int64 // blocks removed
	Freed    int64 // bytes of those blocks
	Kept     int64 // blocks kept
	Duration time.Duration
}

// Store is the relay's ciphertext store. It is safe for concurrent use.
type Store struct {
	cfg     Config
	log     *slog.Logger
	lds     *dsleveldb.Datastore
	db      *leveldb.DB
	bs      *verifyingBlockstore
	nodes   *nodeGetter
	metrics *metrics

	// Whether a block is stored is decided only in the commit loop, which
	// also applies GC's deletions, so the two never race. What the loop
	// cannot see is a block that an import or a Pin relies on before its
	// pin is committed: such blocks are held in inflight, and GC keeps
	// them. While GC runs, released blocks are recorded in gcKeep, as
	// they may belong to a pin that GC's mark did not see.
	liveMu   sync.Mutex
	inflight map[string]int
	gcKeep   map[string]struct{} // nil when no GC runs
	gcRun    sync.Mutex          // one GC at a time

	// mu guards stats; only the commit loop changes them.
	mu    sync.RWMutex
	stats Stats

	closeMu  sync.RWMutex
	closed   bool
	reqs     chan *request
	loopDone chan struct{}
}

// Open opens (or creates) the store in cfg.Dir.
func Open(cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, errors.New("storage: Config.Dir is empty")
	}
	if cfg.RawLimit <= 0 {
		cfg.RawLimit = DefaultRawLimit
	}
	if cfg.RawLimit > MaxRawLimit {
		return nil, fmt.Errorf("storage: RawLimit %d is over the largest block size %d", cfg.RawLimit, MaxRawLimit)
	}
	if cfg.MaxBlobSize <= 0 {
		cfg.MaxBlobSize = DefaultMaxBlobSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	lds, err := dsleveldb.NewDatastore(filepath.Join(cfg.Dir, "blocks"), &dsleveldb.Options{
		Filter: filter.NewBloomFilter(10),
		// Ciphertext does not compress.
		Compression: opt.NoCompression,
		// Write every batch through the journal, however large, so that
		// a synced write is durable the one way.
		DisableLargeBatchTransaction: true,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: failed to open leveldb: %w", err)
	}
	s := &Store{
		cfg:      cfg,
		log:      cfg.Logger,
		lds:      lds,
		db:       lds.DB,
		inflight: map[string]int{},
		reqs:     make(chan *request, 1024),
		loopDone: make(chan struct{}),
	}
	if err := s.load(); err != nil {
		lds.Close()
		return nil, err
	}
	s.metrics = newMetrics(s)
	if err := s.metrics.register(cfg.Registerer); err != nil {
		lds.Close()
		return nil, err
	}
	s.bs = &verifyingBlockstore{s: s, bs: blockstore.NewBlockstore(lds)}
	s.nodes = &nodeGetter{bs: s.bs}
	go s.commitLoop()
	return s, nil
}

// load reads the counters.
func (s *Store) load() error {
	v, err := s.db.Get([]byte(keyStats), nil)
	switch {
	case errors.Is(err, leveldb.ErrNotFound):
	case err != nil:
		return fmt.Errorf("storage: failed to read the counters: %w", err)
	default:
		if s.stats, err = decodeStats(v); err != nil {
			return fmt.Errorf("storage: failed to read the counters: %w", err)
		}
	}
	return nil
}

// Close waits for the writes under way, stops the writer and closes the
// database. Later calls fail.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	close(s.reqs)
	s.closeMu.Unlock()
	<-s.loopDone
	s.metrics.unregister(s.cfg.Registerer)
	return s.lds.Close()
}

// Put reads a blob from r and stores it, pinned once for owner. It returns
// only once the blob's blocks and the pin are durable on disk. If r fails
// (the caller may check the stream as it passes), nothing is pinned and
// r's error is returned; blocks already written stay until GC.
//
// The size limit and quotas are checked before anything is written when the
// size is known — always for a blob up to RawLimit, and up front when r
// reports its remaining length (a Len() int method, as bytes.Reader has) —
// and otherwise while the blob streams in. An owner's quota counts the blobs
// the owner pins; the total quota counts stored blocks. Storing bytes that
// are already stored only adds owner's pin.
func (s *Store) Put(ctx context.Context, r io.Reader, owner string) (Blob, error) {
	start := time.Now()
	b, err := s.put(ctx, r, owner)
	s.metrics.observePut(b, err, time.Since(start))
	return b, err
}

func (s *Store) put(ctx context.Context, r io.Reader, owner string) (Blob, error) {
	if err := ctx.Err(); err != nil {
		return Blob{}, err
	}
	if l, ok := r.(interface{ Len() int }); ok {
		n := int64(l.Len())
		if n > s.cfg.MaxBlobSize {
			return Blob{}, s.tooLarge()
		}
		// A small blob is checked exactly once its CID is known: it may
		// be one the owner pins already.
		if n > s.cfg.RawLimit {
			if err := s.checkRoom(owner, n); err != nil {
				return Blob{}, err
			}
		}
	}
	m := s.newMeter(ctx, r, owner)
	head, err := readUpTo(m, s.cfg.RawLimit+1)
	if err != nil {
		return Blob{}, err
	}
	if int64(len(head)) <= s.cfg.RawLimit {
		// One op writes the block and the pin, and checks the quotas
		// knowing whether the bytes are stored or pinned by owner already.
		h, _ := multihash.Sum(head, multihash.SHA2_256, -1)
		c := cid.NewCidV1(cid.Raw, h)
		blk := []blockData{{key: blockKey(h), data: head}}
		size := int64(len(head))
		if err := s.submit(s.pinOp(c, size, owner, blk, nil), len(head)); err != nil {
			return Blob{}, err
		}
		return Blob{CID: c, Size: size}, nil
	}
	// Too large to hold: check the quotas as the rest streams in.
	if err := m.startQuotas(); err != nil {
		return Blob{}, err
	}
	return s.putDAG(ctx, io.MultiReader(bytes.NewReader(head), m), m, owner)
}

// protect marks the blocks under keys as relied on by a pin to come; GC
// keeps them. Call it before the op that checks they are stored.
func (s *Store) protect(keys ...string) {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	for _, k := range keys {
		s.inflight[k]++
	}
}

// unprotect undoes protect once the pin is committed (or given up). A GC
// under way keeps the blocks all the same: its mark may predate the pin.
func (s *Store) unprotect(keys ...string) {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	for _, k := range keys {
		if s.inflight[k]--; s.inflight[k] <= 0 {
			delete(s.inflight, k)
		}
		if s.gcKeep != nil {
			s.gcKeep[k] = struct{}{}
		}
	}
}

// protected reports whether GC must keep the block under key whatever the
// pins say.
func (s *Store) protected(key string) bool {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	_, a := s.inflight[key]
	_, b := s.gcKeep[key]
	return a || b
}

// ownerQuota is how many bytes owner may pin (0: no limit).
func (s *Store) ownerQuota(owner string) int64 {
	if s.cfg.Unmetered != nil && s.cfg.Unmetered(owner) {
		return 0
	}
	return s.cfg.QuotaPerOwner
}

// checkRoom refuses a blob of n bytes that would not fit owner's quota or
// the store's, as the counters stand now.
func (s *Store) checkRoom(owner string, n int64) error {
	if q := s.ownerQuota(owner); q > 0 {
		if used := s.Usage(owner); used+n > q {
			return fmt.Errorf("%w: %d bytes more would take the owner over its quota of %d (it has %d)", ErrQuota, n, q, used)
		}
	}
	if q := s.cfg.QuotaTotal; q > 0 && s.Stats().Bytes+n > q {
		return fmt.Errorf("%w: %d bytes more would take the store over its quota of %d", ErrQuota, n, q)
	}
	return nil
}

func (s *Store) tooLarge() error {
	return fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, s.cfg.MaxBlobSize)
}

// errNotPinned makes Pin take its slow path.
var errNotPinned = errors.New("storage: not pinned")

// pinOp stores blks (those not stored yet) and pins c for owner, unless
// owner pins it already. If no one pins c yet: size < 0 refuses with
// errNotPinned; otherwise the blob is recorded with size after checking
// that every block under need is stored.
func (s *Store) pinOp(c cid.Cid, size int64, owner string, blks []blockData, need []string) func(*txn) error {
	return func(t *txn) error {
		if err := t.putBlocks(blks); err != nil {
			return err
		}
		pk := pinKey(c, owner)
		if ok, err := t.has(pk); err != nil || ok {
			return err
		}
		bk := blobKey(c)
		v, ok, err := t.get(bk)
		if err != nil {
			return err
		}
		var rec blobRecord
		if ok {
			if rec, err = decodeBlobRecord(v); err != nil {
				return fmt.Errorf("storage: blob record of %s: %w", c, err)
			}
		} else {
			if size < 0 {
				return errNotPinned
			}
			for _, k := range need {
				if ok, err := t.has(k); err != nil || !ok {
					if err == nil {
						err = fmt.Errorf("%w: a block of %s is missing", ErrNotFound, c)
					}
					return err
				}
			}
			rec.size = size
			t.stats.Blobs++
		}
		used, err := t.usageOf(owner)
		if err != nil {
			return err
		}
		if q := s.ownerQuota(owner); q > 0 && used+rec.size > q {
			return fmt.Errorf("%w: %d bytes more would take the owner over its quota of %d (it has %d)",
				ErrQuota, rec.size, q, used)
		}
		rec.refs++
		t.put(bk, rec.encode())
		t.put(pk, nil)
		t.usage[owner] += rec.size
		return nil
	}
}

// Pin pins the stored blob c for owner; pinning it again is a no-op. The
// blob must be stored in full (ErrNotFound otherwise); owner's quota
// applies as in Put.
func (s *Store) Pin(ctx context.Context, c cid.Cid, owner string) error {
	if !c.Defined() {
		return ErrNotFound
	}
	c = normalize(c)
	// Pinned by someone already: the record has the size.
	err := s.submit(s.pinOp(c, -1, owner, nil, nil), 0)
	if !errors.Is(err, errNotPinned) {
		return err
	}
	// Stored but pinned by no one: find its blocks and check, in the op,
	// that they are all there.
	keys, size, err := s.nodes.collect(ctx, c)
	if err != nil {
		return err
	}
	s.protect(keys...)
	defer s.unprotect(keys...)
	return s.submit(s.pinOp(c, size, owner, nil, keys), 0)
}

// Unpin removes owner's pin of c (ErrNotFound if owner does not pin it).
// When no pin is left the blob's blocks go at the next GC.
func (s *Store) Unpin(ctx context.Context, c cid.Cid, owner string) error {
	if !c.Defined() {
		return ErrNotFound
	}
	c = normalize(c)
	return s.submit(func(t *txn) error {
		pk := pinKey(c, owner)
		if ok, err := t.has(pk); err != nil || !ok {
			if err == nil {
				err = fmt.Errorf("%w: %s is not pinned by this owner", ErrNotFound, c)
			}
			return err
		}
		bk := blobKey(c)
		v, ok, err := t.get(bk)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("storage: pin of %s without a blob record", c)
		}
		rec, err := decodeBlobRecord(v)
		if err != nil {
			return fmt.Errorf("storage: blob record of %s: %w", c, err)
		}
		t.del(pk)
		t.usage[owner] -= rec.size
		if rec.refs--; rec.refs <= 0 {
			t.del(bk)
			t.stats.Blobs--
		} else {
			t.put(bk, rec.encode())
		}
		return nil
	}, 0)
}

// Open returns a reader of the blob c's content and its size. Every block
// is checked against its CID as it is read: a block that does not match
// makes Open or Read fail with ErrCorrupt, and none of its bytes are
// returned. For a DAG the reader holds a few leaves read ahead; it must be
// closed. Open serves what is stored, pinned or not yet collected.
func (s *Store) Open(ctx context.Context, c cid.Cid) (io.ReadSeekCloser, int64, error) {
	if !c.Defined() {
		return nil, 0, ErrNotFound
	}
	return s.nodes.open(ctx, normalize(c))
}

// Has reports whether the blob c's root block is stored.
func (s *Store) Has(ctx context.Context, c cid.Cid) (bool, error) {
	if !c.Defined() {
		return false, nil
	}
	return s.bs.Has(ctx, normalize(c))
}

// Usage returns the bytes owner pins.
func (s *Store) Usage(owner string) int64 {
	n, err := s.committedUsage(owner)
	if err != nil {
		s.log.Error("storage: failed to read usage", "owner", owner, "err", err)
	}
	return n
}

func (s *Store) committedUsage(owner string) (int64, error) {
	v, err := s.db.Get([]byte(ownerKey(owner)), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return decodeInt(v)
}

// Stats returns what the store holds.
func (s *Store) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.stats
}

// Blockstore returns the store's blocks as a boxo blockstore, for the IPFS
// gateway and bitswap. Get checks every block against its CID (ErrCorrupt,
// which also matches blockstore.ErrHashMismatch); Put checks blocks too
// and writes them durably through the group commit, unpinned (GC removes
// them unless a pin comes to reach them); DeleteBlock is refused, since
// only GC removes blocks.
func (s *Store) Blockstore() blockstore.Blockstore { return s.bs }

// Datastore returns the same leveldb under the /meta namespace, for the
// relay's other metadata. Every Put, Delete and batch Commit is a synced
// write. Closing it does nothing: Close the Store.
func (s *Store) Datastore() datastore.Batching {
	return metaDatastore{namespace.Wrap(s.lds, datastore.NewKey(prefixMeta))}
}

// metaDatastore offers only Batching (leveldb transactions are not synced)
// and does not close the shared leveldb.
type metaDatastore struct{ datastore.Batching }

func (metaDatastore) Close() error { return nil }

// readUpTo reads until EOF or until it has n bytes, in a buffer that grows
// by doubling up to n and no further.
func readUpTo(r io.Reader, n int64) ([]byte, error) {
	c := int64(512)
	if l, ok := r.(interface{ Len() int }); ok {
		c = int64(l.Len()) + 1
	}
	buf := make([]byte, 0, min(c, n))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), n))
			copy(grown, buf)
			buf = grown
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// meter passes an upload through, counting it, and fails it (for good:
// every later Read returns the same error) when it goes over the size limit
// or, once startQuotas is called, over the room left under the quotas; when
// the context ends; or when the source fails.
type meter struct {
	ctx       context.Context
	r         io.Reader
	n         int64
	max       int64
	quotas    bool
	ownerLeft int64 // -1: no quota
	totalLeft int64 // -1: no quota
	err       error
}

func (s *Store) newMeter(ctx context.Context, r io.Reader, owner string) *meter {
	m := &meter{ctx: ctx, r: r, max: s.cfg.MaxBlobSize, ownerLeft: -1, totalLeft: -1}
	if q := s.ownerQuota(owner); q > 0 {
		m.ownerLeft = max(q-s.Usage(owner), 0)
	}
	if q := s.cfg.QuotaTotal; q > 0 {
		m.totalLeft = max(q-s.Stats().Bytes, 0)
	}
	return m
}

// startQuotas makes the meter check the quotas from now on, counting what
// it has passed already.
func (m *meter) startQuotas() error {
	m.quotas = true
	m.check()
	return m.err
}

func (m *meter) check() {
	switch {
	case m.err != nil:
	case m.n > m.max:
		m.err = fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, m.max)
	case m.quotas && m.ownerLeft >= 0 && m.n > m.ownerLeft:
		m.err = fmt.Errorf("%w: the upload is over the %d bytes left in the owner's quota", ErrQuota, m.ownerLeft)
	case m.quotas && m.totalLeft >= 0 && m.n > m.totalLeft:
		m.err = fmt.Errorf("%w: the upload is over the %d bytes left in the store's quota", ErrQuota, m.totalLeft)
	}
}

func (m *meter) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	if err := m.ctx.Err(); err != nil {
		m.err = err
		return 0, err
	}
	n, err := m.r.Read(p)
	m.n += int64(n)
	m.check()
	if m.err == nil && err != nil && err != io.EOF {
		m.err = err
	}
	if m.err != nil {
		return 0, m.err
	}
	return n, err
}
