package ratelimit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/veilsocial/veil/internal/redistest"
)

func newClient(t *testing.T, srv *redistest.Server) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// The Redis limiter answers as the memory one: burst at once, then one
// every 1/rate, and a refused Take spends nothing.
func TestRedisBucket(t *testing.T) {
	srv := redistest.Start(t)
	l := NewRedis(newClient(t, srv), "test:", 10, 3)
	for i := range 3 {
		if w := take(t, l, "a"); w != 0 {
			t.Fatalf("burst event %d waits %v", i+1, w)
		}
	}
	w1 := take(t, l, "a")
	w2 := take(t, l, "a")
	if w1 <= 50*time.Millisecond || w1 > 100*time.Millisecond || w2 > w1 {
		t.Fatalf("after the burst: waits %v then %v, want about 100ms and less", w1, w2)
	}
	if w := take(t, l, "b"); w != 0 {
		t.Fatalf("another key is limited: %v", w)
	}
	time.Sleep(w2)
	if w := take(t, l, "a"); w != 0 {
		t.Fatalf("after waiting as told: %v", w)
	}
	if !l.Healthy() {
		t.Fatal("not healthy")
	}
	// One key in Redis per limited key, under the prefix, expiring.
	ttl, err := newClient(t, srv).PTTL(bg, "test:a").Result()
	if err != nil || ttl <= 0 || ttl > 400*time.Millisecond {
		t.Fatalf("key TTL %v %v", ttl, err)
	}

	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := l.Take(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Take with a done context: %v", err)
	}
	if !l.Healthy() {
		t.Fatal("a caller's cancelled context counted as Redis failing")
	}
}

// Two limiters on two clients (two relay processes) share each key's limit:
// together they allow burst + rate × elapsed, not twice that.
func TestRedisShared(t *testing.T) {
	srv := redistest.Start(t)
	const rate, burst = 100.0, 10
	a := NewRedis(newClient(t, srv), "shared:", rate, burst)
	b := NewRedis(newClient(t, srv), "shared:", rate, burst)
	other := NewRedis(newClient(t, srv), "other:", rate, burst)

	var allowed [2]atomic.Int64
	const d = time.Second
	start := time.Now()
	var wg sync.WaitGroup
	for i, l := range []*Redis{a, b} {
		for range 4 {
			wg.Go(func() {
				for time.Since(start) < d {
					w, err := l.Take(bg, "ip:192.0.2.1")
					if err != nil {
						t.Error(err)
						return
					}
					if w == 0 {
						allowed[i].Add(1)
					}
					time.Sleep(time.Millisecond)
				}
			})
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	got := allowed[0].Load() + allowed[1].Load()
	want := burst + rate*elapsed.Seconds()
	t.Logf("allowed %d (%d + %d) in %v, limit %.0f", got, allowed[0].Load(), allowed[1].Load(), elapsed, want)
	if math.Abs(float64(got)-want) > 0.1*want {
		t.Errorf("two processes together allowed %d events in %v, want %.0f ± 10%%", got, elapsed, want)
	}
	if allowed[0].Load() == 0 || allowed[1].Load() == 0 {
		t.Errorf("one process got nothing: %d, %d", allowed[0].Load(), allowed[1].Load())
	}
	if w := take(t, other, "ip:192.0.2.1"); w != 0 {
		t.Errorf("a limiter with another prefix shares the bucket: %v", w)
	}
}

// Redis down: Take still answers, at once, from the process's own limiter
// (fail open, still limited); when Redis is back the limiter returns to it
// by itself and the limit is shared again.
func TestRedisFallback(t *testing.T) {
	srv := redistest.Start(t)
	reg := prometheus.NewRegistry()
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	const retry = 100 * time.Millisecond
	a := NewRedis(newClient(t, srv), "fb:", 1, 2, WithRetryInterval(retry), WithRegisterer(reg), WithLogger(log))
	b := NewRedis(newClient(t, srv), "fb:", 1, 2, WithRetryInterval(retry), WithRegisterer(reg))
	take(t, a, "k")
	take(t, a, "k")
	if w := take(t, b, "k"); w == 0 {
		t.Fatal("the limit is not shared")
	}

	srv.Kill()
	start := time.Now()
	if w := take(t, a, "k"); w != 0 { // the fallback's bucket for k is fresh
		t.Fatalf("first Take on the fallback waits %v", w)
	}
	if took := time.Since(start); took > DefaultTimeout+200*time.Millisecond {
		t.Errorf("Take with Redis down took %v", took)
	}
	if a.Healthy() {
		t.Fatal("healthy with Redis down")
	}
	if w := take(t, a, "k"); w != 0 {
		t.Fatalf("second Take on the fallback waits %v", w)
	}
	if w := take(t, a, "k"); w == 0 {
		t.Fatal("the fallback does not limit")
	}
	start = time.Now()
	for range 100 { // between retries, no call to Redis
		take(t, a, "k")
	}
	if took := time.Since(start); took > 50*time.Millisecond {
		t.Errorf("100 Takes on the fallback took %v", took)
	}
	if v := value(a.up); v != 0 {
		t.Errorf("veil_ratelimit_redis_up %v", v)
	}
	if v := value(a.fellBack); v < 103 {
		t.Errorf("veil_ratelimit_fallback_total %v", v)
	}
	if !strings.Contains(logs.String(), "fall back") {
		t.Errorf("no warning logged: %s", logs.String())
	}

	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for !a.Healthy() {
		if time.Now().After(deadline) {
			t.Fatal("the limiter did not return to Redis")
		}
		take(t, a, "probe")
		time.Sleep(10 * time.Millisecond)
	}
	if v := value(a.up); v != 1 {
		t.Errorf("veil_ratelimit_redis_up %v after recovery", v)
	}
	if !strings.Contains(logs.String(), "shared through Redis again") {
		t.Errorf("recovery not logged: %s", logs.String())
	}
	take(t, a, "k2")
	take(t, a, "k2")
	deadline = time.Now().Add(10 * time.Second)
	for {
		w := take(t, b, "k2")
		if w > 0 && b.Healthy() {
			break // b is back on Redis and sees a's events
		}
		if time.Now().After(deadline) {
			t.Fatal("the limit is not shared again after recovery")
		}
		time.Sleep(retry / 2)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// value reads a gauge or counter (prometheus/testutil would need a module
// go.mod does not list).
func value(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetGauge().GetValue() + m.GetCounter().GetValue()
}
