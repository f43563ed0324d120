package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"
)

var bg = context.Background()

func take(t *testing.T, l Limiter, key string) time.Duration {
	t.Helper()
	wait, err := l.Take(bg, key)
	if err != nil {
		t.Fatalf("Take(%q): %v", key, err)
	}
	return wait
}

func TestMemoryBucket(t *testing.T) {
	l := NewMemory(2, 3, 0) // 2/s, 3 at once
	now := time.Unix(1_000_000, 0)
	l.now = func() time.Time { return now }

	for i := range 3 {
		if w := take(t, l, "a"); w != 0 {
			t.Fatalf("burst event %d waits %v", i+1, w)
		}
	}
	if w := take(t, l, "a"); w != 500*time.Millisecond {
		t.Fatalf("after the burst: wait %v, want 500ms", w)
	}
	if w := take(t, l, "a"); w != 500*time.Millisecond {
		t.Fatalf("a refused Take spent a token: wait %v", w)
	}
	if w := take(t, l, "b"); w != 0 {
		t.Fatalf("another key is limited: %v", w)
	}

	now = now.Add(200 * time.Millisecond) // 0.4 token
	if w := take(t, l, "a"); w != 300*time.Millisecond {
		t.Fatalf("after 200ms: wait %v, want 300ms", w)
	}
	now = now.Add(300 * time.Millisecond) // 1 token
	if w := take(t, l, "a"); w != 0 {
		t.Fatalf("after 500ms: wait %v", w)
	}
	if w := take(t, l, "a"); w == 0 {
		t.Fatal("second event after 500ms allowed")
	}

	now = now.Add(time.Hour) // refills to burst, not beyond
	for i := range 3 {
		if w := take(t, l, "a"); w != 0 {
			t.Fatalf("after an hour, event %d waits %v", i+1, w)
		}
	}
	if w := take(t, l, "a"); w == 0 {
		t.Fatal("the bucket filled beyond burst")
	}
}

func TestMemoryMaxKeys(t *testing.T) {
	l := NewMemory(1, 2, 10)
	now := time.Unix(1_000_000, 0)
	l.now = func() time.Time { return now }
	for i := range 10 {
		take(t, l, strconv.Itoa(i))
	}
	take(t, l, "busy")
	take(t, l, "busy")
	if len(l.buckets) > 10 { // nothing had refilled: the sweep dropped them all
		t.Fatalf("%d buckets with maxKeys 10", len(l.buckets))
	}
	// All full again after 2s: the sweep drops them and keeps memory bounded.
	now = now.Add(2 * time.Second)
	for i := range 100 {
		take(t, l, "k"+strconv.Itoa(i))
		if len(l.buckets) > 10 {
			t.Fatalf("%d buckets with maxKeys 10", len(l.buckets))
		}
	}
	// A key still limited survives a sweep that frees room.
	l2 := NewMemory(1, 2, 3)
	l2.now = func() time.Time { return now }
	take(t, l2, "hot")
	take(t, l2, "hot")
	take(t, l2, "x")
	now = now.Add(1500 * time.Millisecond) // x is full again, hot has 1.5 tokens
	take(t, l2, "y")
	take(t, l2, "z") // sweep: drops x, keeps hot
	if _, ok := l2.buckets["hot"]; !ok {
		t.Fatalf("the sweep dropped a bucket in use: %v", l2.buckets)
	}
	if _, ok := l2.buckets["x"]; ok {
		t.Fatal("the sweep kept a full bucket")
	}
}

func TestMemoryDefaults(t *testing.T) {
	if l := NewMemory(1, 1, 0); l.max != DefaultMaxKeys {
		t.Fatalf("maxKeys %d", l.max)
	}
	var _ Limiter = NewMemory(1, 1, 0)
}
