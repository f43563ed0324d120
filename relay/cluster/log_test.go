package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/redis/go-redis/v9"

	"github.com/veilsocial/veil/internal/redistest"
)

// sink is an Apply function that remembers what it was given.
type sink struct {
	mu   sync.Mutex
	seen map[string]int // data → times applied
}

func (s *sink) apply(_ context.Context, e Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]int{}
	}
	s.seen[e.Kind+":"+string(e.Data)]++
	return nil
}

func (s *sink) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[key]
}

func (s *sink) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

type member struct {
	log   *Log
	store datastore.Batching
	sink  *sink
}

func open(t *testing.T, srv *redistest.Server, store datastore.Batching, mod func(*Config)) *member {
	t.Helper()
	opts, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	opts.DialerRetries = 1
	client := redis.NewClient(opts)
	t.Cleanup(func() { client.Close() })
	if store == nil {
		store = dssync.MutexWrap(datastore.NewMapDatastore())
	}
	m := &member{store: store, sink: &sink{}}
	cfg := Config{Client: client, Store: store, Apply: m.sink.apply, Timeout: 500 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	if mod != nil {
		mod(&cfg)
	}
	m.log, err = Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.log.Close() })
	return m
}

func waitFor(t *testing.T, what string, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAppendAppliesElsewhere(t *testing.T) {
	srv := redistest.Start(t)
	a, b := open(t, srv, nil, nil), open(t, srv, nil, nil)
	ctx := context.Background()
	for i := range 50 {
		if err := a.log.Append(ctx, Entry{Kind: "blob", Meta: []byte(`{}`), Data: fmt.Appendf(nil, "a%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.log.Append(ctx, Entry{Kind: "key", Data: []byte("b0")}); err != nil {
		t.Fatal(err)
	}
	// CatchUp returns once everything appended so far is applied.
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := b.log.CatchUp(cctx); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if n := b.sink.count(fmt.Sprintf("blob:a%d", i)); n != 1 {
			t.Fatalf("entry a%d applied %d times on b", i, n)
		}
	}
	if err := a.log.CatchUp(cctx); err != nil {
		t.Fatal(err)
	}
	if a.sink.count("key:b0") != 1 || a.sink.count("blob:a0") != 0 {
		t.Fatalf("a applied %v: want b's entry only, not its own", a.sink.seen)
	}
	if err := a.log.Status(); err != nil {
		t.Fatalf("status: %v", err)
	}
}

// TestOutboxAcrossOutage: with Redis killed, appends still succeed (into
// the outbox), Status says so, and once Redis is back — even after the
// appending process restarted — the entries reach the other process.
func TestOutboxAcrossOutage(t *testing.T) {
	srv := redistest.Start(t)
	storeA := dssync.MutexWrap(datastore.NewMapDatastore())
	a, b := open(t, srv, storeA, nil), open(t, srv, nil, nil)
	ctx := context.Background()
	if err := a.log.Append(ctx, Entry{Kind: "blob", Data: []byte("before")}); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	for i := range 20 {
		if err := a.log.Append(ctx, Entry{Kind: "blob", Data: fmt.Appendf(nil, "during%d", i)}); err != nil {
			t.Fatalf("append %d while Redis is away: %v", i, err)
		}
	}
	if a.log.Status() == nil {
		t.Fatal("status is fine while Redis is away and writes wait")
	}
	// The writing process restarts before Redis returns: the outbox is on
	// its datastore.
	a.log.Close()
	a2 := open(t, srv, storeA, nil)
	if err := a2.log.Append(ctx, Entry{Kind: "blob", Data: []byte("after-restart")}); err != nil {
		t.Fatal(err)
	}
	srv.Restart()
	waitFor(t, "outbox flushed and applied on b", 10*time.Second, func() bool {
		return b.sink.total() == 22 && a2.log.Status() == nil
	})
	for i := range 20 {
		if n := b.sink.count(fmt.Sprintf("blob:during%d", i)); n != 1 {
			t.Fatalf("during%d applied %d times", i, n)
		}
	}
}

// TestGap: a process whose position was trimmed away says so.
func TestGap(t *testing.T) {
	srv := redistest.Start(t)
	a := open(t, srv, nil, func(c *Config) { c.MaxLen = 10 })
	ctx := context.Background()
	for i := range 1000 {
		if err := a.log.Append(ctx, Entry{Kind: "blob", Data: fmt.Appendf(nil, "%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	late := open(t, srv, nil, nil)
	// The gap is reported when it is found, before the kept entries are
	// applied: wait for both.
	waitFor(t, "gap reported and the kept entries applied", 5*time.Second, func() bool { return late.log.Status() != nil && late.sink.total() > 0 })
	if n := late.sink.total(); n >= 1000 {
		t.Fatalf("late process applied %d entries; want what the stream kept", n)
	}
}

func TestStreamID(t *testing.T) {
	for _, c := range []struct {
		a, b string
		less bool
	}{{"0-0", "0-1", true}, {"5-9", "6-0", true}, {"6-0", "5-9", false}, {"7-1", "7-1", false}, {"0", "1-0", true}} {
		a, err1 := parseStreamID(c.a)
		b, err2 := parseStreamID(c.b)
		if err1 != nil || err2 != nil || a.less(b) != c.less {
			t.Errorf("%s < %s: got %v (%v %v)", c.a, c.b, a.less(b), err1, err2)
		}
	}
	for _, bad := range []string{"", "x-1", "1-x", "-"} {
		if _, err := parseStreamID(bad); err == nil {
			t.Errorf("parseStreamID(%q) accepted", bad)
		}
	}
}
