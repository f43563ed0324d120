package hub

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/veilsocial/veil/internal/redistest"
)

var bg = context.Background()

// The conformance tests below run against every Broker implementation: the
// same calls must give the same answers, whether the broker is in memory or
// in Redis. Delivery may be asynchronous (Redis), so the tests wait for what
// subscribers get instead of expecting it by the time Publish returns.

// brokerImpl opens brokers of one implementation.
type brokerImpl struct {
	name string
	// start prepares what brokers need (for Redis, a redis-server) and
	// returns a function that opens brokers on it, closed at the test's end.
	// Brokers opened by one start share their channels if the
	// implementation can (two relay processes on one Redis).
	start func(t *testing.T) func(brokerOpts) Broker
	// setNow sets a broker's clock.
	setNow func(Broker, func() time.Time)
}

type brokerOpts struct {
	historySize int
	historyTTL  time.Duration
}

var brokerImpls = []brokerImpl{
	{
		name: "memory",
		start: func(t *testing.T) func(brokerOpts) Broker {
			return func(o brokerOpts) Broker {
				b := NewMemoryBroker(MemoryConfig{HistorySize: o.historySize, HistoryTTL: o.historyTTL})
				t.Cleanup(func() { _ = b.Close() })
				return b
			}
		},
		setNow: func(b Broker, now func() time.Time) { b.(*MemoryBroker).now = now },
	},
	{
		name: "redis",
		start: func(t *testing.T) func(brokerOpts) Broker {
			srv := redistest.Start(t)
			return func(o brokerOpts) Broker {
				return newTestRedisBroker(t, RedisConfig{URL: srv.URL(), HistorySize: o.historySize, HistoryTTL: o.historyTTL})
			}
		},
		setNow: func(b Broker, now func() time.Time) { b.(*RedisBroker).now = now },
	},
}

// forEachBroker runs test once per implementation, as subtests.
func forEachBroker(t *testing.T, test func(t *testing.T, impl brokerImpl)) {
	for _, impl := range brokerImpls {
		t.Run(impl.name, func(t *testing.T) { test(t, impl) })
	}
}

// newTestRedisBroker opens a Redis broker logging to the test, with quick
// health checks and patient calls (unless cfg says otherwise), closed at the
// test's end.
func newTestRedisBroker(t testing.TB, cfg RedisConfig) *RedisBroker {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(tbWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if cfg.HealthInterval == 0 {
		cfg.HealthInterval = 100 * time.Millisecond
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second // a loaded machine is not an outage
	}
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	b, err := NewRedisBroker(ctx, cfg)
	if err != nil {
		t.Fatalf("NewRedisBroker: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// recorder is a subscriber that keeps what it gets.
type recorder struct {
	mu  sync.Mutex
	evs []Event
}

func (r *recorder) fn(ev Event) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
}

func (r *recorder) events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.evs...)
}

// wait returns the events once there are at least n.
func (r *recorder) wait(t testing.TB, n int) []Event {
	t.Helper()
	waitFor(t, 10*time.Second, strconv.Itoa(n)+" events", func() bool { return len(r.events()) >= n })
	return r.events()
}

func subscribe(t testing.TB, b Broker) (*recorder, func()) {
	t.Helper()
	r := &recorder{}
	unsub, err := b.Subscribe(bg, r.fn)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return r, unsub
}

func TestBrokerOffsets(t *testing.T) {
	forEachBroker(t, func(t *testing.T, impl brokerImpl) {
		b := impl.start(t)(brokerOpts{})
		rec, unsub := subscribe(t, b)
		witness, unsubW := subscribe(t, b)
		defer unsubW()

		_, start, err := b.History(bg, inboxA, 0, 0) // starts the channel
		if err != nil || start.Offset != 0 || start.Epoch == "" {
			t.Fatalf("History of a new channel: %+v %v", start, err)
		}
		if _, again, _ := b.History(bg, inboxA, 0, 0); again != start {
			t.Fatalf("History again: %+v, then %+v", start, again)
		}
		before := time.Now()
		for i := 1; i <= 3; i++ {
			pos, err := b.Publish(bg, inboxA, []byte(strconv.Itoa(i)))
			if err != nil || pos != (Position{start.Epoch, uint64(i)}) {
				t.Fatalf("Publish %d: %+v %v", i, pos, err)
			}
		}
		posB, _ := b.Publish(bg, inboxB, []byte(`"b"`))
		if posB.Offset != 1 || posB.Epoch == start.Epoch {
			t.Fatalf("other channel: %+v (epochs are per channel)", posB)
		}
		got := rec.wait(t, 4)
		if len(got) != 4 || got[0].Offset != 1 || got[2].Offset != 3 || got[3].Channel != inboxB || string(got[1].Data) != "2" ||
			got[0].Epoch != start.Epoch || got[0].Channel != inboxA || got[3].Epoch != posB.Epoch {
			t.Fatalf("subscriber saw %+v", got)
		}
		if d := got[0].Time.Sub(before); d < -time.Millisecond || d > 5*time.Second {
			t.Fatalf("event time %v, published at %v", got[0].Time, before)
		}

		unsub()
		unsub() // idempotent
		if _, err := b.Publish(bg, inboxA, []byte(`4`)); err != nil {
			t.Fatal(err)
		}
		witness.wait(t, 5) // the feed is past event 4
		if got := rec.events(); len(got) != 4 {
			t.Fatalf("unsubscribed, still got %+v", got[4:])
		}

		evs, pos, err := b.History(bg, inboxA, 1, 10)
		if err != nil || pos.Offset != 4 || len(evs) != 3 || evs[0].Offset != 2 || evs[2].Offset != 4 {
			t.Fatalf("History since 1: %+v %+v %v", evs, pos, err)
		}
		if evs[0].Channel != inboxA || evs[0].Epoch != start.Epoch || string(evs[0].Data) != "2" || !evs[0].Time.Equal(witness.events()[1].Time) {
			t.Fatalf("History event %+v, live %+v", evs[0], witness.events()[1])
		}
		evs, _, _ = b.History(bg, inboxA, 0, 2)
		if len(evs) != 2 || evs[0].Offset != 1 || evs[1].Offset != 2 {
			t.Fatalf("History with limit: %+v", evs)
		}
		if evs, _, err = b.History(bg, inboxA, 4, 10); err != nil || len(evs) != 0 {
			t.Fatalf("History at head: %+v %v", evs, err)
		}
		if _, pos, err = b.History(bg, inboxA, 5, 10); !errors.Is(err, ErrHistoryGone) || pos.Offset != 4 {
			t.Fatalf("History ahead: %+v %v", pos, err)
		}

		if _, err := b.Publish(bg, inboxA, []byte(`{"a":`)); !errors.Is(err, ErrInvalidData) {
			t.Fatalf("invalid JSON: %v", err)
		}
		data := []byte(`"mutable"`)
		b.Publish(bg, inboxA, data)
		data[1] = 'M'
		if evs, _, _ = b.History(bg, inboxA, 4, 1); string(evs[0].Data) != `"mutable"` {
			t.Fatalf("the broker kept the caller's buffer: %s", evs[0].Data)
		}
		if got := witness.wait(t, 6); string(got[5].Data) != `"mutable"` {
			t.Fatalf("the subscriber got the caller's buffer: %s", got[5].Data)
		}
		// Data that is any JSON value, with spaces and new lines, comes back as is.
		odd := `{ "a" : [1, 2.50, "x y\nz"] ,"b":null }`
		p, err := b.Publish(bg, ChannelDirectory, []byte(odd))
		if err != nil {
			t.Fatal(err)
		}
		if got := witness.wait(t, 7); string(got[6].Data) != odd || got[6].Channel != ChannelDirectory || got[6].Position() != p {
			t.Fatalf("live %+v", got[6])
		}
		if evs, _, _ = b.History(bg, ChannelDirectory, 0, 1); len(evs) != 1 || string(evs[0].Data) != odd {
			t.Fatalf("history %+v", evs)
		}
	})
}

func TestBrokerRetention(t *testing.T) {
	forEachBroker(t, func(t *testing.T, impl brokerImpl) {
		b := impl.start(t)(brokerOpts{historySize: 5, historyTTL: time.Hour})
		now := time.Now()
		impl.setNow(b, func() time.Time { return now })
		for i := 1; i <= 100; i++ {
			if _, err := b.Publish(bg, inboxA, []byte(strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := b.History(bg, inboxA, 94, 10); !errors.Is(err, ErrHistoryGone) {
			t.Fatalf("since 94 with 96..100 kept: %v", err)
		}
		evs, _, err := b.History(bg, inboxA, 95, 10)
		if err != nil || len(evs) != 5 || evs[0].Offset != 96 {
			t.Fatalf("since 95: %+v %v", evs, err)
		}

		now = now.Add(30 * time.Minute)
		b.Publish(bg, inboxA, []byte(`101`))
		now = now.Add(31 * time.Minute) // 96..100 are now over an hour old
		evs, pos, err := b.History(bg, inboxA, 100, 10)
		if err != nil || len(evs) != 1 || evs[0].Offset != 101 || pos.Offset != 101 {
			t.Fatalf("since 100 after expiry: %+v %v", evs, err)
		}
		if _, _, err := b.History(bg, inboxA, 99, 10); !errors.Is(err, ErrHistoryGone) {
			t.Fatalf("since 99 after expiry: %v", err)
		}
		if _, pos, err := b.History(bg, inboxA, 99, 0); err != nil || pos.Offset != 101 {
			t.Fatalf("position only, after expiry: %+v %v", pos, err)
		}
		now = now.Add(time.Hour)
		if _, pos, err = b.History(bg, inboxA, 101, 10); err != nil || pos.Offset != 101 {
			t.Fatalf("everything expired, client up to date: %+v %v", pos, err)
		}
		if _, _, err = b.History(bg, inboxA, 100, 10); !errors.Is(err, ErrHistoryGone) {
			t.Fatalf("everything expired, client behind: %v", err)
		}
		// The stream goes on under the same epoch.
		if p, err := b.Publish(bg, inboxA, []byte(`102`)); err != nil || p != (Position{pos.Epoch, 102}) {
			t.Fatalf("publish after expiry: %+v %v", p, err)
		}
		if evs, _, err = b.History(bg, inboxA, 101, 10); err != nil || len(evs) != 1 || evs[0].Offset != 102 {
			t.Fatalf("since 101: %+v %v", evs, err)
		}
	})
}

// Publishers on many channels at once: each subscriber sees every channel's
// events in offset order, each once.
func TestBrokerConcurrent(t *testing.T) {
	forEachBroker(t, func(t *testing.T, impl brokerImpl) {
		b := impl.start(t)(brokerOpts{})
		const chans, per = 8, 500
		var mu sync.Mutex
		last := map[string]uint64{}
		var bad error
		unsub, _ := b.Subscribe(bg, func(ev Event) {
			mu.Lock()
			defer mu.Unlock()
			if ev.Offset != last[ev.Channel]+1 && bad == nil {
				bad = errors.New(ev.Channel + ": offset " + strconv.FormatUint(ev.Offset, 10) + " out of order")
			}
			last[ev.Channel] = ev.Offset
		})
		defer unsub()
		var wg sync.WaitGroup
		for i := range chans * 2 { // two publishers per channel
			wg.Go(func() {
				for range per {
					if _, err := b.Publish(bg, InboxChannel(uint64(i%chans)), []byte(`{}`)); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		waitFor(t, 10*time.Second, "every event", func() bool {
			mu.Lock()
			defer mu.Unlock()
			for i := range chans {
				if last[InboxChannel(uint64(i))] < 2*per {
					return false
				}
			}
			return true
		})
		mu.Lock()
		defer mu.Unlock()
		if bad != nil {
			t.Fatal(bad)
		}
	})
}

func TestBrokerClose(t *testing.T) {
	forEachBroker(t, func(t *testing.T, impl brokerImpl) {
		open := impl.start(t)
		baseline := runtime.NumGoroutine()
		b := open(brokerOpts{})
		rec, _ := subscribe(t, b)
		b.Publish(bg, inboxA, []byte(`1`))
		rec.wait(t, 1)
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		_ = b.Close()
		if _, err := b.Publish(bg, inboxA, []byte(`1`)); !errors.Is(err, ErrClosed) {
			t.Errorf("Publish after Close: %v", err)
		}
		if _, _, err := b.History(bg, inboxA, 0, 10); !errors.Is(err, ErrClosed) {
			t.Errorf("History after Close: %v", err)
		}
		if _, err := b.Subscribe(bg, func(Event) {}); !errors.Is(err, ErrClosed) {
			t.Errorf("Subscribe after Close: %v", err)
		}
		waitGoroutines(t, baseline)

		ctx, cancel := context.WithCancel(bg)
		cancel()
		b2 := open(brokerOpts{})
		if _, err := b2.Publish(ctx, inboxA, []byte(`1`)); !errors.Is(err, context.Canceled) {
			t.Errorf("Publish with a done context: %v", err)
		}
		if _, _, err := b2.History(ctx, inboxA, 0, 1); !errors.Is(err, context.Canceled) {
			t.Errorf("History with a done context: %v", err)
		}
		if _, err := b2.Subscribe(ctx, func(Event) {}); !errors.Is(err, context.Canceled) {
			t.Errorf("Subscribe with a done context: %v", err)
		}
	})
}
