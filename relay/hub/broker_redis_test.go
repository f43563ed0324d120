package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
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

// Redis brokers in one test stand for relay processes sharing one Redis.

func adminClient(t *testing.T, srv *redistest.Server) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// checkStream fails unless evs are the events of each channel from offset 1
// (or from the first offset in from) on, without gap or repeat.
func checkStream(t *testing.T, evs []Event, from map[string]uint64) map[string]uint64 {
	t.Helper()
	last := map[string]uint64{}
	for ch, f := range from {
		last[ch] = f - 1
	}
	for _, ev := range evs {
		if ev.Offset != last[ev.Channel]+1 {
			t.Fatalf("%s: offset %d after %d", ev.Channel, ev.Offset, last[ev.Channel])
		}
		last[ev.Channel] = ev.Offset
	}
	return last
}

// counter reads a counter or gauge of a broker's registry.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				if !hasLabel(m, labels[i], labels[i+1]) {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, lp := range m.GetLabel() {
		if lp.GetName() == name && lp.GetValue() == value {
			return true
		}
	}
	return false
}

// An event published through one process reaches the subscribers of
// another, in order; both see the same streams and history.
func TestRedisBrokerTwoProcesses(t *testing.T) {
	srv := redistest.Start(t)
	a := newTestRedisBroker(t, RedisConfig{URL: srv.URL()})
	b := newTestRedisBroker(t, RedisConfig{URL: srv.URL()})
	recA, _ := subscribe(t, a)
	recB, _ := subscribe(t, b)

	var published []Position
	for i := range 50 {
		ch := inboxA
		if i%3 == 0 {
			ch = inboxB
		}
		pub := a
		if i%5 == 0 {
			pub = b // both processes publish on the same streams
		}
		pos, err := pub.Publish(bg, ch, []byte(strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		published = append(published, pos)
	}
	for _, rec := range []*recorder{recA, recB} {
		got := rec.wait(t, 50)
		checkStream(t, got, nil)
		for i, ev := range got {
			if ev.Position() != published[i] || string(ev.Data) != strconv.Itoa(i) {
				t.Fatalf("event %d: %+v, published at %+v", i, ev, published[i])
			}
		}
	}
	evsA, posA, errA := a.History(bg, inboxA, 0, 100)
	evsB, posB, errB := b.History(bg, inboxA, 0, 100)
	if errA != nil || errB != nil || posA != posB || len(evsA) != 33 || len(evsB) != 33 || evsA[32].Position() != posA {
		t.Fatalf("history: %v %v %+v %+v %d %d", errA, errB, posA, posB, len(evsA), len(evsB))
	}
	for i := range evsA {
		if evsA[i].Position() != evsB[i].Position() || string(evsA[i].Data) != string(evsB[i].Data) || !evsA[i].Time.Equal(evsB[i].Time) {
			t.Fatalf("history %d differs: %+v %+v", i, evsA[i], evsB[i])
		}
	}
	if !a.Healthy() || !b.Healthy() {
		t.Fatal("not healthy")
	}
}

// Hubs on two processes: a client of one gets what is published through the
// other, and resumes on either.
func TestRedisHubAcrossProcesses(t *testing.T) {
	srv := redistest.Start(t)
	ea := startEnvOn(Config{}, newTestRedisBroker(t, RedisConfig{URL: srv.URL()}))
	t.Cleanup(func() { ea.stop(t) })
	eb := startEnvOn(Config{}, newTestRedisBroker(t, RedisConfig{URL: srv.URL()}))
	t.Cleanup(func() { eb.stop(t) })

	c := eb.dial(t)
	r := c.subscribe(inboxA, nil)
	pos := ea.publish(t, inboxA, `{"n":1}`)
	if ev := c.event(); ev.Offset != 1 || ev.Epoch != r.Position.Epoch || ev.Epoch != pos.Epoch || string(ev.Data) != `{"n":1}` {
		t.Fatalf("event on B published on A: %+v", ev)
	}
	_ = c.ws.Close()

	for i := 2; i <= 4; i++ {
		ea.publish(t, inboxA, fmt.Sprintf(`{"n":%d}`, i))
	}
	c2 := ea.dial(t) // resumes on the other process
	r2 := c2.subscribe(inboxA, &Position{Epoch: pos.Epoch, Offset: 1})
	if !*r2.Recovered || r2.Position.Offset != 4 {
		t.Fatalf("resume: %+v", r2)
	}
	for i := 2; i <= 4; i++ {
		if ev := c2.event(); ev.Offset != uint64(i) {
			t.Fatalf("replayed %+v, want offset %d", ev, i)
		}
	}
	eb.publish(t, inboxA, `{"n":5}`)
	if ev := c2.event(); ev.Offset != 5 {
		t.Fatalf("live after replay: %+v", ev)
	}
	c2.quiet()
}

// Clients subscribe on one process while another publishes without pause:
// each gets, after its subscribe reply, exactly the events after the
// position in the reply (with since: the missed ones, then live), none
// twice, none missing, although live events reach the subscribing process
// through pub/sub while it reads history.
func TestRedisHubSubscribeWhilePublishing(t *testing.T) {
	srv := redistest.Start(t)
	pub := newTestRedisBroker(t, RedisConfig{URL: srv.URL()})
	e := startEnvOn(Config{}, newTestRedisBroker(t, RedisConfig{URL: srv.URL()}))
	t.Cleanup(func() { e.stop(t) })

	stop := make(chan struct{})
	var published atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := pub.Publish(bg, inboxA, []byte(`{}`)); err != nil {
				t.Error(err)
				return
			}
			published.Add(1)
		}
	})
	defer func() {
		close(stop)
		wg.Wait()
	}()

	const clients, each = 30, 40
	for i := range clients {
		c := e.dial(t)
		var since *Position
		if i%2 == 1 {
			_, p, err := pub.History(bg, inboxA, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			p.Offset -= min(p.Offset, 5)
			since = &p
		}
		r := c.subscribe(inboxA, since)
		next := r.Position.Offset + 1
		if since != nil {
			if !*r.Recovered {
				t.Fatalf("client %d: not recovered from %+v: %+v", i, since, r)
			}
			next = since.Offset + 1
		}
		for range each {
			ev := c.event()
			if ev.Offset != next || ev.Epoch != r.Position.Epoch {
				t.Fatalf("client %d (since %v, reply at %+v): got offset %d, want %d", i, since, r.Position, ev.Offset, next)
			}
			next++
		}
		_ = c.ws.Close()
	}
	t.Logf("%d events published while %d clients subscribed", published.Load(), clients)
}

// Redis killed: Publish and History fail quickly and the brokers say they
// are unhealthy. Redis back (with its append-only file): the brokers
// recover by themselves, the feed goes on, and history and epochs survived.
func TestRedisBrokerOutage(t *testing.T) {
	srv := redistest.Start(t)
	cfg := RedisConfig{URL: srv.URL(), Timeout: time.Second}
	a := newTestRedisBroker(t, cfg)
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	b := newTestRedisBroker(t, cfg)
	rec, _ := subscribe(t, b)
	for i := range 3 {
		a.Publish(bg, inboxA, []byte(strconv.Itoa(i)))
	}
	rec.wait(t, 3)
	_, before, _ := b.History(bg, inboxA, 0, 0)
	if counter(t, reg, "veil_broker_redis_up") != 1 {
		t.Fatal("veil_broker_redis_up is not 1")
	}

	srv.Kill()
	start := time.Now()
	if _, err := a.Publish(bg, inboxA, []byte(`"lost"`)); err == nil {
		t.Fatal("Publish succeeded with Redis down")
	} else {
		t.Logf("Publish with Redis down: %v after %v", err, time.Since(start))
	}
	if took := time.Since(start); took > cfg.Timeout+time.Second {
		t.Errorf("Publish took %v to fail (Timeout %v)", took, cfg.Timeout)
	}
	start = time.Now()
	if _, _, err := b.History(bg, inboxA, 0, 10); err == nil || errors.Is(err, ErrHistoryGone) {
		t.Fatalf("History with Redis down: %v", err)
	}
	if took := time.Since(start); took > cfg.Timeout+time.Second {
		t.Errorf("History took %v to fail", took)
	}
	waitFor(t, 5*time.Second, "both brokers unhealthy", func() bool { return !a.Healthy() && !b.Healthy() })
	if v := counter(t, reg, "veil_broker_redis_up"); v != 0 {
		t.Errorf("veil_broker_redis_up %v with Redis down", v)
	}
	time.Sleep(300 * time.Millisecond) // a few reconnection attempts

	srv.Restart()
	start = time.Now()
	waitFor(t, 10*time.Second, "both brokers healthy", func() bool { return a.Healthy() && b.Healthy() })
	t.Logf("healthy %v after Redis came back", time.Since(start))
	if v := counter(t, reg, "veil_broker_redis_up"); v != 1 {
		t.Errorf("veil_broker_redis_up %v after recovery", v)
	}
	if counter(t, reg, "veil_broker_redis_feed_reconnects_total") < 1 {
		t.Error("no reconnection counted")
	}
	for i := 3; i < 6; i++ {
		pos, err := a.Publish(bg, inboxA, []byte(strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		if pos != (Position{before.Epoch, uint64(i + 1)}) {
			t.Fatalf("after the restart, published at %+v (before: %+v)", pos, before)
		}
	}
	got := rec.wait(t, 6)
	checkStream(t, got, nil)
	evs, pos, err := b.History(bg, inboxA, 0, 10)
	if err != nil || len(evs) != 6 || pos.Epoch != before.Epoch || string(evs[0].Data) != "0" {
		t.Fatalf("history after the restart: %+v %+v %v", evs, pos, err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(rec.events()); n != 6 {
		t.Fatalf("subscriber got %d events", n)
	}
}

// A Redis that lost everything (started without the old append-only file):
// channels come back under new epochs, so an old position is history_gone,
// and the feed carries on under its new epoch.
func TestRedisBrokerDataLost(t *testing.T) {
	srv := redistest.Start(t)
	a := newTestRedisBroker(t, RedisConfig{URL: srv.URL()})
	b := newTestRedisBroker(t, RedisConfig{URL: srv.URL()})
	e := startEnvOn(Config{}, b)
	t.Cleanup(func() { e.stop(t) })
	rec, _ := subscribe(t, b)
	var old Position
	for i := range 3 {
		old, _ = a.Publish(bg, inboxA, []byte(strconv.Itoa(i)))
	}
	rec.wait(t, 3)

	srv.Kill()
	redistest.Start(t, redistest.WithPort(srv.Port())) // a new, empty directory
	waitFor(t, 10*time.Second, "both brokers healthy", func() bool { return a.Healthy() && b.Healthy() })

	_, pos, err := b.History(bg, inboxA, old.Offset, 10)
	if !errors.Is(err, ErrHistoryGone) || pos.Epoch == old.Epoch || pos.Offset != 0 {
		t.Fatalf("old position on an empty Redis: %+v %v (old %+v)", pos, err, old)
	}
	c := e.dial(t)
	if r := c.subscribe(inboxA, &old); *r.Recovered || r.Reason != CodeHistoryGone || r.Position.Epoch != pos.Epoch {
		t.Fatalf("resume from an old epoch: %+v", r)
	}
	p, err := a.Publish(bg, inboxA, []byte(`"new"`))
	if err != nil || p != (Position{pos.Epoch, 1}) {
		t.Fatalf("publish on the new epoch: %+v %v", p, err)
	}
	if got := rec.wait(t, 4); got[3].Position() != p || string(got[3].Data) != `"new"` {
		t.Fatalf("live event of the new epoch: %+v", got[3])
	}
	if ev := c.event(); ev.Epoch != p.Epoch || ev.Offset != p.Offset {
		t.Fatalf("client got %+v", ev)
	}
}

// feedOutage cuts b's pub/sub connection (Redis stays up) and holds it
// down until the returned function is called.
func feedOutage(t *testing.T, admin *redis.Client, b *RedisBroker) (reconnect func()) {
	t.Helper()
	down := make(chan struct{}, 1)
	release := make(chan struct{})
	hook := func() {
		select {
		case down <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-b.ctx.Done():
		}
	}
	b.onFeedDown.Store(&hook)
	waitFor(t, 10*time.Second, "the feed connected", b.feedUp.Load)
	if err := admin.ClientKillByFilter(bg, "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-down:
	case <-time.After(10 * time.Second):
		t.Fatal("the feed did not notice its connection was cut")
	}
	if b.Healthy() {
		t.Error("healthy with the feed down")
	}
	var once sync.Once
	return func() { once.Do(func() { close(release) }) }
}

// The pub/sub connection drops while Redis stays up: what was published
// meanwhile comes from the feed log, in order, once.
func TestRedisBrokerFeedGap(t *testing.T) {
	srv := redistest.Start(t)
	admin := adminClient(t, srv)
	a := newTestRedisBroker(t, RedisConfig{URL: srv.URL()})
	reg := prometheus.NewRegistry()
	b := newTestRedisBroker(t, RedisConfig{URL: srv.URL(), Registerer: reg})
	rec, _ := subscribe(t, b)
	waitFor(t, 10*time.Second, "the feed connected", b.Healthy) // so that event 0 comes on pub/sub
	a.Publish(bg, inboxA, []byte(`0`))
	rec.wait(t, 1)

	reconnect := feedOutage(t, admin, b)
	defer reconnect()
	for i := range 20 {
		a.Publish(bg, inboxA, []byte(strconv.Itoa(i)))
		a.Publish(bg, inboxB, []byte(strconv.Itoa(i)))
	}
	reconnect()
	rec.wait(t, 41)
	waitFor(t, 10*time.Second, "the feed connected", b.Healthy)
	for i := range 5 { // and live again
		a.Publish(bg, ChannelDirectory, []byte(strconv.Itoa(i)))
	}
	got := rec.wait(t, 46)
	if last := checkStream(t, got, nil); last[inboxA] != 21 || last[inboxB] != 20 || last[ChannelDirectory] != 5 {
		t.Fatalf("last offsets %v", last)
	}
	if v := counter(t, reg, "veil_broker_redis_feed_recovered_total", "from", "log"); v != 40 {
		t.Errorf("recovered from the log: %v, want 40", v)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(rec.events()); n != 46 {
		t.Fatalf("got %d events, want 46", n)
	}
}

// The feed is behind by more than its log keeps: channels this process
// follows are repaired from their history; the others lose those events on
// this process's feed, which is counted.
func TestRedisBrokerFeedOverrun(t *testing.T) {
	srv := redistest.Start(t)
	admin := adminClient(t, srv)
	a := newTestRedisBroker(t, RedisConfig{URL: srv.URL(), FeedSize: 5})
	reg := prometheus.NewRegistry()
	b := newTestRedisBroker(t, RedisConfig{URL: srv.URL(), FeedSize: 5, Registerer: reg})
	rec, _ := subscribe(t, b)
	if _, _, err := b.History(bg, inboxA, 0, 0); err != nil { // a client follows inboxA here
		t.Fatal(err)
	}

	reconnect := feedOutage(t, admin, b)
	defer reconnect()
	for i := range 3 {
		a.Publish(bg, inboxB, []byte(strconv.Itoa(i))) // nobody here follows inboxB
	}
	for i := range 20 {
		a.Publish(bg, inboxA, []byte(strconv.Itoa(i)))
	}
	reconnect()
	got := rec.wait(t, 20)
	if last := checkStream(t, got, nil); last[inboxA] != 20 || last[inboxB] != 0 {
		t.Fatalf("last offsets %v", last)
	}
	if v := counter(t, reg, "veil_broker_redis_feed_overruns_total"); v != 1 {
		t.Errorf("overruns %v", v)
	}
	if v := counter(t, reg, "veil_broker_redis_feed_recovered_total", "from", "history"); v != 20 {
		t.Errorf("recovered from history %v, want 20", v)
	}
	// inboxB's next event comes with its offset: the gap shows.
	p, _ := a.Publish(bg, inboxB, []byte(`"after"`))
	if got := rec.wait(t, 21); got[20].Position() != p || p.Offset != 4 {
		t.Fatalf("inboxB after the overrun: %+v", got[20])
	}
}

// A hole inside the feed log (entries removed by hand): the per-channel
// check sees the offset jump and reads the missing events from the
// channel's history.
func TestRedisBrokerChannelGap(t *testing.T) {
	srv := redistest.Start(t)
	admin := adminClient(t, srv)
	a := newTestRedisBroker(t, RedisConfig{URL: srv.URL()})
	reg := prometheus.NewRegistry()
	b := newTestRedisBroker(t, RedisConfig{URL: srv.URL(), Registerer: reg})
	rec, _ := subscribe(t, b)
	waitFor(t, 10*time.Second, "the feed connected", b.Healthy)
	a.Publish(bg, inboxA, []byte(`0`))
	rec.wait(t, 1)
	seq0, err := admin.HGet(bg, "veil:feed", "s").Uint64()
	if err != nil {
		t.Fatal(err)
	}

	reconnect := feedOutage(t, admin, b)
	defer reconnect()
	for i := range 10 {
		a.Publish(bg, inboxA, []byte(strconv.Itoa(i)))
	}
	for s := seq0 + 4; s <= seq0+6; s++ {
		if err := admin.XDel(bg, "veil:log", "0-"+strconv.FormatUint(s, 10)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	reconnect()
	got := rec.wait(t, 11)
	checkStream(t, got, nil)
	if v := counter(t, reg, "veil_broker_redis_feed_recovered_total", "from", "history"); v != 3 {
		t.Errorf("recovered from history %v, want 3", v)
	}
	if v := counter(t, reg, "veil_broker_redis_feed_recovered_total", "from", "log"); v != 7 {
		t.Errorf("recovered from the log %v, want 7", v)
	}
}

// The feed sequence went back (Redis restarted from older data): the feed
// does not take the new events for ones it delivered.
func TestRedisBrokerFeedBackInTime(t *testing.T) {
	srv := redistest.Start(t)
	admin := adminClient(t, srv)
	a := newTestRedisBroker(t, RedisConfig{URL: srv.URL()})
	b := newTestRedisBroker(t, RedisConfig{URL: srv.URL()})
	rec, _ := subscribe(t, b)
	for i := range 10 {
		a.Publish(bg, inboxA, []byte(strconv.Itoa(i)))
	}
	rec.wait(t, 10)
	reconnect := feedOutage(t, admin, b)
	defer reconnect()
	if err := admin.HIncrBy(bg, "veil:feed", "s", -5).Err(); err != nil {
		t.Fatal(err)
	}
	reconnect()
	waitFor(t, 10*time.Second, "healthy", b.Healthy)
	p, _ := a.Publish(bg, inboxB, []byte(`"x"`))
	if got := rec.wait(t, 11); got[10].Position() != p {
		t.Fatalf("event after the feed went back: %+v", got[10])
	}
}

func TestNewRedisBrokerErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := NewRedisBroker(ctx, RedisConfig{}); err == nil {
		t.Error("no Client and no URL")
	}
	if _, err := NewRedisBroker(ctx, RedisConfig{URL: "http://example.org"}); err == nil {
		t.Error("not a redis URL")
	}
	srv := redistest.Start(t)
	srv.Kill()
	start := time.Now()
	if _, err := NewRedisBroker(ctx, RedisConfig{URL: srv.URL(), Timeout: 500 * time.Millisecond}); err == nil {
		t.Error("no Redis there")
	} else if !strings.Contains(err.Error(), "cannot use redis") || time.Since(start) > time.Second {
		t.Errorf("after %v: %v", time.Since(start), err)
	}

	// A client of the caller's stays open after Close.
	srv.Restart()
	c := adminClient(t, srv)
	b := newTestRedisBroker(t, RedisConfig{Client: c, Prefix: "other:"})
	if _, err := b.Publish(ctx, inboxA, []byte(`1`)); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if n, err := c.Exists(ctx, "other:meta:"+inboxA, "other:stream:"+inboxA, "other:feed", "other:log").Result(); err != nil || n != 4 {
		t.Fatalf("keys under the prefix: %d %v", n, err)
	}
}

func TestParseFeedMessage(t *testing.T) {
	m, err := parseFeedMessage("f00d 42 beef 7 1700000000123456 9 odd name{\"a\": 1}")
	if err != nil {
		t.Fatal(err)
	}
	want := Event{Channel: "odd name{", Offset: 7, Epoch: "beef", Time: time.UnixMicro(1700000000123456).UTC(), Data: []byte(`"a": 1}`)}
	if m.feed != "f00d" || m.seq != 42 || m.ev.Channel != want.Channel || m.ev.Offset != 7 || m.ev.Epoch != "beef" ||
		!m.ev.Time.Equal(want.Time) || string(m.ev.Data) != string(want.Data) {
		t.Fatalf("parsed %+v", m)
	}
	for _, bad := range []string{"", "f 1 e 2 3", "f x e 2 3 1 cd", "f 1 e 2 3 99 c{}", "f 1 e 2 3 -1 c{}"} {
		if _, err := parseFeedMessage(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParseFeedMessage(f *testing.F) {
	f.Add("f00d 42 beef 7 1700000000123456 22 inbox:0123456789ABCDEF{}")
	f.Add("e 1 e 1 0 0 1")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseFeedMessage(s)
		if err != nil {
			return
		}
		again := fmt.Sprintf("%s %d %s %d %d %d %s%s", m.feed, m.seq, m.ev.Epoch, m.ev.Offset, m.ev.Time.UnixMicro(),
			len(m.ev.Channel), m.ev.Channel, m.ev.Data)
		m2, err := parseFeedMessage(again)
		if err != nil || m2.feed != m.feed || m2.seq != m.seq || m2.ev.Channel != m.ev.Channel ||
			m2.ev.Position() != m.ev.Position() || string(m2.ev.Data) != string(m.ev.Data) {
			t.Fatalf("%q: parsed %+v, encoded %q, parsed %+v %v", s, m, again, m2, err)
		}
	})
}

// BenchmarkRedisBrokerPublish publishes through one process and waits until
// a subscriber of another has every event: publishes/s and the cost of the
// feed, on a local redis-server.
func BenchmarkRedisBrokerPublish(b *testing.B) {
	for _, fsync := range []string{"always", "everysec"} {
		b.Run("appendfsync="+fsync, func(b *testing.B) { benchRedisPublish(b, fsync) })
	}
}

func benchRedisPublish(b *testing.B, fsync string) {
	srv := redistest.Start(b, redistest.WithArgs("--appendfsync", fsync))
	quiet := slog.New(slog.NewTextHandler(tbWriter{b}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pub := newTestRedisBroker(b, RedisConfig{URL: srv.URL(), Logger: quiet})
	sub := newTestRedisBroker(b, RedisConfig{URL: srv.URL(), Logger: quiet})
	var got atomic.Int64
	unsub, _ := sub.Subscribe(bg, func(Event) { got.Add(1) })
	defer unsub()
	waitFor(b, 10*time.Second, "the feed connected", sub.Healthy)
	data := []byte(`{"post":"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi","key":"0123456789ABCDEF"}`)
	b.ReportAllocs()
	n := int64(0)
	for b.Loop() {
		if _, err := pub.Publish(bg, InboxChannel(uint64(n%64)), data); err != nil {
			b.Fatal(err)
		}
		n++
	}
	waitFor(b, 30*time.Second, "every event delivered", func() bool { return got.Load() >= n })
}
