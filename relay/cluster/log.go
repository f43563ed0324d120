package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-datastore"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// Defaults of Config.
const (
	DefaultStream  = "veil:cluster:log"
	DefaultMaxLen  = 100_000
	DefaultTimeout = 2 * time.Second
)

// applyParallel is how many entries of one read are applied at once: blobs
// are stored with a synced commit each, and the store groups concurrent
// commits, so applying one at a time would trail a busy writer.
const applyParallel = 64

// readCount is how many entries one read of the stream takes at most.
const readCount = 512

// Entry is one write in the cluster log.
type Entry struct {
	Kind string // what the write is; the relay's Apply switches on it
	Meta []byte // a small document (JSON) describing it
	Data []byte // its payload: blob bytes, an armored key, key packets

	Origin string // the process that appended it (set by the log)
	ID     string // its stream ID (set when read from the stream)
}

// Config configures a Log.
type Config struct {
	Client *redis.Client
	// Stream is the Redis key of the log (DefaultStream if empty).
	Stream string
	// Store is the process's own durable datastore: the log keeps its
	// outbox and its applied position there, under /cluster.
	Store datastore.Batching
	// MaxLen is about how many entries the stream keeps (DefaultMaxLen if
	// zero).
	MaxLen int64
	// Apply makes another process's entry local. It must be idempotent
	// and safe for concurrent use. Errors are logged and counted; the log
	// moves on (the entry stays on the process that wrote it).
	Apply func(context.Context, Entry) error
	// Timeout bounds each Redis call (DefaultTimeout if zero).
	Timeout    time.Duration
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Log is this process's end of the cluster log.
type Log struct {
	cfg    Config
	origin string
	log    *slog.Logger
	m      *metrics

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	redisUp atomic.Bool
	gap     atomic.Bool

	outMu   sync.Mutex
	outSeq  uint64
	pending int // outbox entries not yet in the stream
	kick    chan struct{}

	posMu    sync.Mutex
	applied  streamID      // last stream ID applied or skipped
	read     uint64        // how many entries of the stream were read up to applied
	advanced chan struct{} // closed and replaced when applied moves
}

// Keys in Config.Store.
var (
	outboxPrefix = datastore.NewKey("/cluster/outbox")
	positionKey  = datastore.NewKey("/cluster/position")
)

// Open starts the log: it reads the outbox and the applied position from
// the store, then flushes and applies in the background until Close. Redis
// need not be reachable.
func Open(cfg Config) (*Log, error) {
	if cfg.Client == nil || cfg.Store == nil || cfg.Apply == nil {
		return nil, errors.New("cluster: Client, Store and Apply are required")
	}
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.MaxLen <= 0 {
		cfg.MaxLen = DefaultMaxLen
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var id [8]byte
	rand.Read(id[:])
	l := &Log{
		cfg:      cfg,
		origin:   hex.EncodeToString(id[:]),
		log:      cfg.Logger,
		kick:     make(chan struct{}, 1),
		advanced: make(chan struct{}),
	}
	l.m = newMetrics(cfg.Registerer, l)
	l.redisUp.Store(true)
	ctx := context.Background()
	pos, err := cfg.Store.Get(ctx, positionKey)
	switch {
	case errors.Is(err, datastore.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("cluster: read position: %w", err)
	default:
		var id string
		if _, err := fmt.Sscanf(string(pos), "%s %d", &id, &l.read); err != nil {
			return nil, fmt.Errorf("cluster: stored position %q: %w", pos, err)
		}
		if l.applied, err = parseStreamID(id); err != nil {
			return nil, fmt.Errorf("cluster: stored position: %w", err)
		}
	}
	if err := l.loadOutbox(ctx); err != nil {
		return nil, err
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.wg.Add(2)
	go l.applyLoop()
	go l.flushLoop()
	return l, nil
}

// Origin is this process's name in the log (random per Open).
func (l *Log) Origin() string { return l.origin }

// Close stops the background work. Entries still in the outbox stay there
// for the next Open.
func (l *Log) Close() error {
	l.cancel()
	l.wg.Wait()
	return nil
}

// Append adds an entry to the log. When it returns nil the entry is
// durable: in the stream, or in the local outbox while Redis is away.
func (l *Log) Append(ctx context.Context, e Entry) error {
	if l.redisUp.Load() {
		err := l.xadd(ctx, e)
		if err == nil {
			l.m.appends.WithLabelValues("redis").Inc()
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		l.down(err)
	}
	if err := l.toOutbox(ctx, e); err != nil {
		return fmt.Errorf("cluster: neither Redis nor the outbox took the write: %w", err)
	}
	l.m.appends.WithLabelValues("outbox").Inc()
	return nil
}

// xadd appends e to the stream.
func (l *Log) xadd(ctx context.Context, e Entry) error {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	return l.cfg.Client.XAdd(ctx, l.addArgs(e)).Err()
}

func (l *Log) addArgs(e Entry) *redis.XAddArgs {
	return &redis.XAddArgs{
		Stream: l.cfg.Stream,
		MaxLen: l.cfg.MaxLen,
		Approx: true,
		Values: []any{"o", l.origin, "k", e.Kind, "m", e.Meta, "d", e.Data},
	}
}

// down notes that Redis failed a call; the flush loop finds out when it is
// back.
func (l *Log) down(err error) {
	if l.redisUp.CompareAndSwap(true, false) {
		l.log.Warn("cluster: redis unreachable; writes go to the local outbox", "err", err)
	}
}

// CatchUp waits until every entry that was in the stream when it was
// called has been applied here. It fails when Redis cannot be asked or ctx
// ends first; callers then answer from what they have.
func (l *Log) CatchUp(ctx context.Context) error {
	if !l.redisUp.Load() {
		return errors.New("cluster: redis unreachable")
	}
	rctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	last, err := l.cfg.Client.XRevRangeN(rctx, l.cfg.Stream, "+", "-", 1).Result()
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			l.down(err)
		}
		return err
	}
	if len(last) == 0 {
		return nil
	}
	target, err := parseStreamID(last[0].ID)
	if err != nil {
		return err
	}
	for {
		l.posMu.Lock()
		done, wait := !l.applied.less(target), l.advanced
		l.posMu.Unlock()
		if done {
			return nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Status says what is wrong, if anything: Redis away, writes waiting in
// the outbox, or entries this process can no longer replay.
func (l *Log) Status() error {
	var errs []error
	if !l.redisUp.Load() {
		errs = append(errs, errors.New("redis unreachable: writes are kept locally and reach the other processes when it returns"))
	}
	l.outMu.Lock()
	pending := l.pending
	l.outMu.Unlock()
	if pending > 0 {
		errs = append(errs, fmt.Errorf("%d writes wait in the local outbox for Redis", pending))
	}
	if l.gap.Load() {
		errs = append(errs, errors.New("the cluster log was trimmed past this process's position: some writes of other processes are missing here; seed this process from a sibling"))
	}
	return errors.Join(errs...)
}

// setApplied records that everything up to id has been applied, n more
// entries than before.
func (l *Log) setApplied(ctx context.Context, id streamID, n int) {
	l.posMu.Lock()
	read := l.read + uint64(n)
	l.posMu.Unlock()
	if err := l.cfg.Store.Put(ctx, positionKey, fmt.Appendf(nil, "%s %d", id, read)); err != nil && ctx.Err() == nil {
		l.log.Error("cluster: saving the applied position failed", "err", err)
	}
	l.posMu.Lock()
	l.applied, l.read = id, read
	close(l.advanced)
	l.advanced = make(chan struct{})
	l.posMu.Unlock()
}

// applyLoop reads the stream from the applied position and applies the
// other processes' entries, until Close.
func (l *Log) applyLoop() {
	defer l.wg.Done()
	backoff := 50 * time.Millisecond
	checked := false // whether the gap check ran since Redis last failed
	for l.ctx.Err() == nil {
		if !checked {
			if err := l.checkGap(); err != nil {
				if !l.sleep(backoff) {
					return
				}
				backoff = min(2*backoff, 2*time.Second)
				continue
			}
			checked = true
		}
		l.posMu.Lock()
		from := l.applied
		l.posMu.Unlock()
		res, err := l.cfg.Client.XRead(l.ctx, &redis.XReadArgs{
			Streams: []string{l.cfg.Stream, from.String()},
			Count:   readCount,
			Block:   time.Second,
		}).Result()
		switch {
		case errors.Is(err, redis.Nil):
			continue
		case err != nil:
			if l.ctx.Err() != nil {
				return
			}
			l.down(err)
			checked = false
			if !l.sleep(backoff) {
				return
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		for _, s := range res {
			if !l.applyBatch(s.Messages) {
				return
			}
		}
	}
}

// applyBatch applies messages concurrently and then moves the position to
// the last of them. It returns false when the log is closing (the position
// is then left where it was, so the batch is applied again next time).
func (l *Log) applyBatch(msgs []redis.XMessage) bool {
	if len(msgs) == 0 {
		return true
	}
	sem := make(chan struct{}, applyParallel)
	var wg sync.WaitGroup
	for _, msg := range msgs {
		e, err := decodeMessage(msg)
		if err != nil {
			l.log.Error("cluster: malformed log entry skipped", "id", msg.ID, "err", err)
			l.m.applyErrors.Inc()
			continue
		}
		if e.Origin == l.origin {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := l.cfg.Apply(l.ctx, e); err != nil {
				if l.ctx.Err() != nil {
					return
				}
				l.log.Error("cluster: applying an entry failed", "id", e.ID, "kind", e.Kind, "origin", e.Origin, "err", err)
				l.m.applyErrors.Inc()
				return
			}
			l.m.applied.WithLabelValues(e.Kind).Inc()
		}()
	}
	wg.Wait()
	if l.ctx.Err() != nil {
		return false
	}
	last, err := parseStreamID(msgs[len(msgs)-1].ID)
	if err != nil {
		l.log.Error("cluster: bad stream ID", "id", msgs[len(msgs)-1].ID)
		return false
	}
	l.setApplied(l.ctx, last, len(msgs))
	return true
}

// checkGap asks Redis whether entries this process has not read yet were
// trimmed away. The stream has had entries-added entries, of which it keeps
// length (the log never deletes entries, it only trims the oldest); this
// process has read the first `read` of them. If more were trimmed than it
// has read, some are gone for it.
func (l *Log) checkGap() error {
	ctx, cancel := context.WithTimeout(l.ctx, l.cfg.Timeout)
	defer cancel()
	info, err := l.cfg.Client.XInfoStream(ctx, l.cfg.Stream).Result()
	if err != nil {
		if isNoSuchKey(err) {
			return nil
		}
		return err
	}
	trimmed := info.EntriesAdded - info.Length
	l.posMu.Lock()
	read := l.read
	if uint64(info.EntriesAdded) < read {
		// The stream is younger than this process's position: Redis
		// lost it and started again. Count from here.
		l.log.Warn("cluster: the log in Redis is new; entries it lost stay with the processes that wrote them", "read", read, "entries_added", info.EntriesAdded)
		l.read, read = 0, 0
	}
	l.posMu.Unlock()
	if trimmed > 0 && uint64(trimmed) > read && !l.gap.Load() {
		l.gap.Store(true)
		l.log.Error("cluster: the log was trimmed past this process's position; writes made elsewhere meanwhile are missing here",
			"read", read, "trimmed", trimmed)
	}
	return nil
}

func isNoSuchKey(err error) bool {
	return err != nil && err.Error() == "ERR no such key"
}

// sleep waits d or until Close; it reports false on Close.
func (l *Log) sleep(d time.Duration) bool {
	select {
	case <-l.ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// decodeMessage reads an entry from a stream message.
func decodeMessage(msg redis.XMessage) (Entry, error) {
	e := Entry{ID: msg.ID}
	for field, dst := range map[string]*string{"o": &e.Origin, "k": &e.Kind} {
		v, ok := msg.Values[field].(string)
		if !ok {
			return Entry{}, fmt.Errorf("field %q missing", field)
		}
		*dst = v
	}
	m, _ := msg.Values["m"].(string)
	d, _ := msg.Values["d"].(string)
	e.Meta, e.Data = []byte(m), []byte(d)
	return e, nil
}
