package hub

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryConfig configures a MemoryBroker. Zero fields take the defaults.
type MemoryConfig struct {
	// HistorySize is how many events each channel keeps (default 1000).
	HistorySize int
	// HistoryTTL is how long an event is kept (default 24h).
	HistoryTTL time.Duration
	// MaxChannels bounds the channels tracked at once (default 100,000).
	// Past it the least recently used channel is dropped with its history:
	// it comes back under a new epoch.
	MaxChannels int
}

const (
	defaultHistorySize = 1000
	defaultHistoryTTL  = 24 * time.Hour
	defaultMaxChannels = 100_000
)

func (c MemoryConfig) withDefaults() MemoryConfig {
	if c.HistorySize <= 0 {
		c.HistorySize = defaultHistorySize
	}
	if c.HistoryTTL <= 0 {
		c.HistoryTTL = defaultHistoryTTL
	}
	if c.MaxChannels <= 0 {
		c.MaxChannels = defaultMaxChannels
	}
	return c
}

// MemoryBroker is the in-process Broker of a single relay: events live in
// memory, so history does not survive a restart (every channel then starts
// under a new epoch). It calls subscribers synchronously from Publish, in
// order per channel; publishes on different channels run in parallel.
//
// Memory is bounded by MaxChannels × HistorySize events; a background
// goroutine drops events older than HistoryTTL until Close.
type MemoryBroker struct {
	cfg MemoryConfig
	now func() time.Time // test hook

	mu       sync.Mutex
	channels map[string]*memChannel
	lru      memChannel // sentinel of the list of channels, most recently used first

	subMu sync.RWMutex // held for reading while subscribers are called
	subs  []*memSub

	closed    atomic.Bool
	stop      chan struct{}
	sweeper   sync.WaitGroup
	closeOnce sync.Once
}

type memSub struct{ fn func(Event) }

// memChannel is one channel's stream. Its mutex orders publishing and
// history reads of the channel.
type memChannel struct {
	name       string
	prev, next *memChannel // LRU list, guarded by MemoryBroker.mu
	dead       atomic.Bool // dropped from the broker

	mu     sync.Mutex
	epoch  string
	offset uint64
	events []Event // events[head:] are kept, oldest first
	head   int
}

// NewMemoryBroker returns a memory broker. Close it to stop its sweeper.
func NewMemoryBroker(cfg MemoryConfig) *MemoryBroker {
	b := &MemoryBroker{
		cfg:      cfg.withDefaults(),
		now:      time.Now,
		channels: make(map[string]*memChannel),
		stop:     make(chan struct{}),
	}
	b.lru.prev, b.lru.next = &b.lru, &b.lru
	b.sweeper.Add(1)
	go b.sweep()
	return b
}

// Publish implements Broker.
func (b *MemoryBroker) Publish(ctx context.Context, channel string, data []byte) (Position, error) {
	if err := ctx.Err(); err != nil {
		return Position{}, err
	}
	if !json.Valid(data) {
		return Position{}, ErrInvalidData
	}
	data = bytes.Clone(data)
	now := b.now()
	mc, err := b.acquire(channel)
	if err != nil {
		return Position{}, err
	}
	defer mc.mu.Unlock()
	mc.offset++
	ev := Event{Channel: channel, Offset: mc.offset, Epoch: mc.epoch, Time: now, Data: data}
	mc.push(ev, b.cfg.HistorySize)
	mc.expire(now.Add(-b.cfg.HistoryTTL))

	b.subMu.RLock()
	for _, s := range b.subs {
		s.fn(ev)
	}
	b.subMu.RUnlock()
	return ev.Position(), nil
}

// Subscribe implements Broker. ctx bounds only the call: the subscription
// lasts until unsubscribe or Close.
func (b *MemoryBroker) Subscribe(ctx context.Context, fn func(Event)) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.closed.Load() {
		return nil, ErrClosed
	}
	s := &memSub{fn: fn}
	b.subMu.Lock()
	b.subs = append(slices.Clip(b.subs), s)
	b.subMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.subMu.Lock()
			b.subs = slices.DeleteFunc(slices.Clone(b.subs), func(x *memSub) bool { return x == s })
			b.subMu.Unlock()
		})
	}, nil
}

// History implements Broker. Asking for an unknown channel starts it, so the
// position returned names the epoch its first events will carry.
func (b *MemoryBroker) History(ctx context.Context, channel string, since uint64, limit int) ([]Event, Position, error) {
	if err := ctx.Err(); err != nil {
		return nil, Position{}, err
	}
	now := b.now()
	mc, err := b.acquire(channel)
	if err != nil {
		return nil, Position{}, err
	}
	defer mc.mu.Unlock()
	mc.expire(now.Add(-b.cfg.HistoryTTL))
	pos := Position{Epoch: mc.epoch, Offset: mc.offset}
	if limit <= 0 {
		return nil, pos, nil
	}
	first := mc.first()
	if since > mc.offset || since+1 < first {
		return nil, pos, ErrHistoryGone
	}
	kept := mc.events[mc.head:]
	kept = kept[since+1-first:]
	n := min(limit, len(kept))
	return slices.Clone(kept[:n]), pos, nil
}

// Close stops the sweeper and drops subscribers and history.
func (b *MemoryBroker) Close() error {
	b.closeOnce.Do(func() {
		b.closed.Store(true)
		close(b.stop)
		b.sweeper.Wait()
		b.mu.Lock()
		b.channels = nil
		b.lru.prev, b.lru.next = &b.lru, &b.lru
		b.mu.Unlock()
		b.subMu.Lock()
		b.subs = nil
		b.subMu.Unlock()
	})
	return nil
}

// acquire returns the channel named, created if needed, with its mutex held.
func (b *MemoryBroker) acquire(name string) (*memChannel, error) {
	for {
		b.mu.Lock()
		if b.closed.Load() {
			b.mu.Unlock()
			return nil, ErrClosed
		}
		mc := b.channels[name]
		if mc == nil {
			mc = &memChannel{name: name, epoch: newEpoch()}
			b.channels[name] = mc
			b.pushFront(mc)
			for len(b.channels) > b.cfg.MaxChannels {
				old := b.lru.prev
				b.unlink(old)
				delete(b.channels, old.name)
				old.dead.Store(true)
			}
		} else if b.lru.next != mc {
			b.unlink(mc)
			b.pushFront(mc)
		}
		b.mu.Unlock()
		mc.mu.Lock()
		if !mc.dead.Load() {
			return mc, nil
		}
		mc.mu.Unlock() // dropped in between: take the new one
	}
}

func (b *MemoryBroker) pushFront(mc *memChannel) {
	mc.prev, mc.next = &b.lru, b.lru.next
	b.lru.next.prev = mc
	b.lru.next = mc
}

func (b *MemoryBroker) unlink(mc *memChannel) {
	mc.prev.next, mc.next.prev = mc.next, mc.prev
	mc.prev, mc.next = nil, nil
}

// sweep drops expired events now and then, so idle channels do not hold them.
func (b *MemoryBroker) sweep() {
	defer b.sweeper.Done()
	every := min(max(b.cfg.HistoryTTL/4, time.Second), time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	var all []*memChannel
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		b.mu.Lock()
		all = all[:0]
		for _, mc := range b.channels {
			all = append(all, mc)
		}
		b.mu.Unlock()
		cutoff := b.now().Add(-b.cfg.HistoryTTL)
		for _, mc := range all {
			mc.mu.Lock()
			mc.expire(cutoff)
			mc.mu.Unlock()
		}
		clear(all)
	}
}

// first is the offset of the oldest event kept (offset+1 when none is).
func (mc *memChannel) first() uint64 {
	if mc.head < len(mc.events) {
		return mc.events[mc.head].Offset
	}
	return mc.offset + 1
}

func (mc *memChannel) push(ev Event, size int) {
	mc.events = append(mc.events, ev)
	if len(mc.events)-mc.head > size {
		mc.drop(1)
	}
}

// expire drops the events published before cutoff.
func (mc *memChannel) expire(cutoff time.Time) {
	n := 0
	for _, ev := range mc.events[mc.head:] {
		if !ev.Time.Before(cutoff) {
			break
		}
		n++
	}
	if n > 0 {
		mc.drop(n)
	}
}

// drop forgets the n oldest events, compacting the slice once half of it is
// dead so memory stays proportional to what is kept.
func (mc *memChannel) drop(n int) {
	clear(mc.events[mc.head : mc.head+n])
	mc.head += n
	if mc.head == len(mc.events) {
		mc.events, mc.head = nil, 0
		return
	}
	if mc.head >= 32 && mc.head*2 >= len(mc.events) {
		kept := copy(mc.events, mc.events[mc.head:])
		clear(mc.events[kept:])
		mc.events, mc.head = mc.events[:kept], 0
	}
}

func newEpoch() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
