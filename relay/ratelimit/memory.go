package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limiter decides whether the request of key may go ahead.
type Limiter interface {
	// Take spends one event for key and returns 0, or spends nothing and
	// returns how long until one is available. err is non-nil only when no
	// decision could be made (ctx ended first).
	Take(ctx context.Context, key string) (wait time.Duration, err error)
}

// DefaultMaxKeys is the buckets a Memory limiter keeps when NewMemory is
// given maxKeys <= 0.
const DefaultMaxKeys = 100_000

// Memory is a set of token buckets, one per key, held in the process. It
// forgets idle keys. It is safe for concurrent use.
type Memory struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	buckets map[string]*bucket
	max     int
	now     func() time.Time // test hook
}

type bucket struct {
	tokens float64
	last   time.Time
}

var _ Limiter = (*Memory)(nil)

// NewMemory allows rate events per second per key, burst at once, keeping at
// most maxKeys buckets (idle full buckets are dropped first; <= 0 means
// DefaultMaxKeys).
func NewMemory(rate float64, burst int, maxKeys int) *Memory {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Memory{rate: rate, burst: float64(burst), buckets: map[string]*bucket{}, max: maxKeys, now: time.Now}
}

// Take implements Limiter. It never fails.
func (l *Memory) Take(_ context.Context, key string) (time.Duration, error) {
	return l.take(key), nil
}

func (l *Memory) take(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// sweep drops buckets that have refilled (they behave like new ones); if
// that frees nothing, it drops them all rather than grow without bound.
func (l *Memory) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.max {
		clear(l.buckets)
	}
}
