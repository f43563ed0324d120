package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestSubscribePublishDeliver(t *testing.T) {
	e := newEnv(t, Config{}, MemoryConfig{})
	a, b := e.dial(t), e.dial(t)

	ra := a.subscribe(inboxA, nil)
	if *ra.Recovered || ra.Position.Offset != 0 || ra.Position.Epoch == "" {
		t.Fatalf("subscribe reply %+v position %+v", ra, ra.Position)
	}
	b.subscribe(inboxB, nil)
	if s := e.hub.Stats(); s.Connections != 2 || s.Subscriptions != 2 || s.Channels != 2 {
		t.Fatalf("stats %+v", s)
	}

	before := time.Now()
	pos := e.publish(t, inboxA, `{"post":"bafy","n":1}`)
	if pos.Epoch != ra.Position.Epoch || pos.Offset != 1 {
		t.Fatalf("publish position %+v, subscribe said %+v", pos, ra.Position)
	}
	ev := a.event()
	if ev.Channel != inboxA || ev.Offset != 1 || ev.Epoch != pos.Epoch {
		t.Fatalf("event %+v", ev)
	}
	if string(ev.Data) != `{"post":"bafy","n":1}` {
		t.Fatalf("event data %s", ev.Data)
	}
	if ev.Time.Before(before.Add(-time.Second)) || ev.Time.After(time.Now().Add(time.Second)) {
		t.Fatalf("event time %v", ev.Time)
	}
	b.quiet() // not subscribed to inboxA

	e.publish(t, inboxB, `"b1"`)
	if ev := b.event(); ev.Channel != inboxB || string(ev.Data) != `"b1"` || ev.Offset != 1 {
		t.Fatalf("b event %+v", ev)
	}
	a.quiet()

	if r := a.request(Message{Op: OpUnsubscribe, Channel: inboxA}); !r.OK {
		t.Fatalf("unsubscribe: %+v", r)
	}
	e.publish(t, inboxA, `2`)
	a.quiet()
	if s := e.hub.Stats(); s.Subscriptions != 1 || s.Channels != 1 {
		t.Fatalf("stats after unsubscribe %+v", s)
	}
	// counted once written, which may be just after the client has it
	waitFor(t, 5*time.Second, "events sent metric", func() bool {
		return e.metric(t, "veil_ws_messages_sent_total", "kind", "event") == 2
	})
	if got := e.metric(t, "veil_ws_connections"); got != 2 {
		t.Errorf("connections metric %v", got)
	}

	if _, err := e.hub.Publish(context.Background(), "inbox:nope", []byte(`1`)); !errors.Is(err, ErrBadChannel) {
		t.Errorf("publish on a bad channel: %v", err)
	}
	if _, err := e.hub.Publish(context.Background(), inboxA, []byte(`{`)); !errors.Is(err, ErrInvalidData) {
		t.Errorf("publish of bad JSON: %v", err)
	}
}

// Every subscriber of a channel gets each event once, in order.
func TestManySubscribers(t *testing.T) {
	e := newEnv(t, Config{}, MemoryConfig{})
	const n, events = 20, 50
	cs := make([]*tclient, n)
	for i := range cs {
		cs[i] = e.dial(t)
		cs[i].subscribe(ChannelDirectory, nil)
	}
	for i := 1; i <= events; i++ {
		e.publish(t, ChannelDirectory, strconv.Itoa(i))
	}
	for _, c := range cs {
		for i := 1; i <= events; i++ {
			if ev := c.event(); ev.Offset != uint64(i) || string(ev.Data) != strconv.Itoa(i) {
				t.Fatalf("event %d: %+v", i, ev)
			}
		}
	}
}

// resumeCheck reads events of channel from c until offset want and checks
// that they follow after without a gap or a duplicate.
func resumeCheck(t *testing.T, c *tclient, epoch string, after, want uint64) {
	t.Helper()
	next := after + 1
	for next <= want {
		ev := c.event()
		if ev.Epoch != epoch || ev.Offset != next {
			t.Fatalf("got offset %d epoch %s, want %d epoch %s", ev.Offset, ev.Epoch, next, epoch)
		}
		if string(ev.Data) != strconv.FormatUint(ev.Offset, 10) {
			t.Fatalf("offset %d carries %s", ev.Offset, ev.Data)
		}
		next++
	}
}

func TestResume(t *testing.T) {
	e := newEnv(t, Config{}, MemoryConfig{})
	c := e.dial(t)
	r := c.subscribe(inboxA, nil)
	epoch := r.Position.Epoch
	for i := 1; i <= 5; i++ {
		e.publish(t, inboxA, strconv.Itoa(i))
	}
	resumeCheck(t, c, epoch, 0, 3) // the client saw 1..3 when its connection died
	_ = c.ws.Close()
	for i := 6; i <= 10; i++ {
		e.publish(t, inboxA, strconv.Itoa(i))
	}

	c = e.dial(t)
	r = c.subscribe(inboxA, &Position{Epoch: epoch, Offset: 3})
	if !*r.Recovered || r.Reason != "" || *r.Position != (Position{Epoch: epoch, Offset: 10}) {
		t.Fatalf("resume reply %+v position %+v", r, r.Position)
	}
	resumeCheck(t, c, epoch, 3, 10)
	e.publish(t, inboxA, "11")
	resumeCheck(t, c, epoch, 10, 11)
	c.quiet()

	// Nothing missed: recovered, no events.
	d := e.dial(t)
	r = d.subscribe(inboxA, &Position{Epoch: epoch, Offset: 11})
	if !*r.Recovered || r.Position.Offset != 11 {
		t.Fatalf("resume at head: %+v", r)
	}
	d.quiet()
	if got := e.metric(t, "veil_ws_recoveries_total", "result", "recovered"); got != 2 {
		t.Errorf("recoveries metric %v", got)
	}
}

// Events published between the subscription and the history read arrive
// once: the live copies are buffered and de-duplicated by offset.
func TestResumeWindow(t *testing.T) {
	e := newEnv(t, Config{}, MemoryConfig{})
	for i := 1; i <= 4; i++ {
		e.publish(t, inboxA, strconv.Itoa(i))
	}
	_, pos, _ := e.broker.History(context.Background(), inboxA, 0, 0)
	testHookSubscribed = func(channel string) {
		for i := 5; i <= 7; i++ {
			e.publish(t, channel, strconv.Itoa(i)) // in history and live
		}
	}
	defer func() { testHookSubscribed = nil }()
	c := e.dial(t)
	r := c.subscribe(inboxA, &Position{Epoch: pos.Epoch, Offset: 2})
	testHookSubscribed = nil
	if !*r.Recovered || r.Position.Offset != 7 {
		t.Fatalf("reply %+v %+v", r, r.Position)
	}
	resumeCheck(t, c, pos.Epoch, 2, 7)
	c.quiet()
	e.publish(t, inboxA, "8")
	resumeCheck(t, c, pos.Epoch, 7, 8)

	// Without since, the window's events are before the position: not sent.
	testHookSubscribed = func(channel string) { e.publish(t, channel, "9") }
	d := e.dial(t)
	r = d.subscribe(inboxA, nil)
	testHookSubscribed = nil
	if r.Position.Offset != 9 {
		t.Fatalf("position %+v", r.Position)
	}
	d.quiet()
}

// Resume while a publisher runs flat out: the client gets every event
// exactly once, in order, across many reconnects.
func TestResumeUnderLoad(t *testing.T) {
	e := newEnv(t, Config{QueueSize: 4096, RecoverLimit: 10_000}, MemoryConfig{HistorySize: 10_000})
	var stop atomic.Bool
	var published atomic.Uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := uint64(1); !stop.Load(); i++ {
			if _, err := e.hub.Publish(context.Background(), inboxA, []byte(strconv.FormatUint(i, 10))); err != nil {
				t.Error(err)
				return
			}
			published.Store(i)
			time.Sleep(100 * time.Microsecond) // about 5,000 a second

		}
	}()
	defer func() { stop.Store(true); wg.Wait() }()

	c := e.dial(t)
	r := c.subscribe(inboxA, nil)
	epoch, last := r.Position.Epoch, r.Position.Offset
	for round := 0; round < 20; round++ {
		target := last + 1 + uint64(round%5)*7
		resumeCheck(t, c, epoch, last, target)
		last = target
		_ = c.ws.Close()
		time.Sleep(time.Duration(round%3) * time.Millisecond)
		c = e.dial(t)
		r = c.subscribe(inboxA, &Position{Epoch: epoch, Offset: last})
		if !*r.Recovered {
			t.Fatalf("round %d: since %d: not recovered: %+v at %+v", round, last, r, r.Position)
		}
	}
	stop.Store(true)
	wg.Wait()
	resumeCheck(t, c, epoch, last, published.Load())
	c.quiet()
	if s := e.metric(t, "veil_ws_slow_consumers_total"); s != 0 {
		t.Errorf("%v slow consumers", s)
	}
}

func TestHistoryGone(t *testing.T) {
	e := newEnv(t, Config{RecoverLimit: 5}, MemoryConfig{HistorySize: 8})
	cases := []struct {
		name      string
		since     Position // "" stands for the channel's epoch
		recovered bool
	}{
		{"trimmed", Position{"", 2}, false},  // history keeps 5..12
		{"too many", Position{"", 5}, false}, // 7 missed > RecoverLimit
		{"other epoch", Position{"restarted", 11}, false},
		{"ahead", Position{"", 13}, false},
		{"in reach", Position{"", 7}, true},
		{"at head", Position{"", 12}, true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ch := InboxChannel(uint64(i))
			var epoch string
			for j := 1; j <= 12; j++ {
				epoch = e.publish(t, ch, strconv.Itoa(j)).Epoch
			}
			if tc.since.Epoch == "" {
				tc.since.Epoch = epoch
			}
			c := e.dial(t)
			r := c.subscribe(ch, &tc.since)
			if *r.Recovered != tc.recovered || *r.Position != (Position{epoch, 12}) {
				t.Fatalf("reply %+v position %+v", r, r.Position)
			}
			if tc.recovered {
				resumeCheck(t, c, epoch, tc.since.Offset, 12)
			} else if r.Reason != CodeHistoryGone {
				t.Fatalf("reason %q", r.Reason)
			}
			c.quiet() // no replay when not recovered
			e.publish(t, ch, "13")
			resumeCheck(t, c, epoch, 12, 13) // the subscription is live
		})
	}
	if got := e.metric(t, "veil_ws_recoveries_total", "result", CodeHistoryGone); got != 4 {
		t.Errorf("history_gone metric %v", got)
	}
	if got := e.metric(t, "veil_ws_recoveries_total", "result", "recovered"); got != 2 {
		t.Errorf("recovered metric %v", got)
	}
}

// A client that never reads is cut off once its queue is full; a fast one
// gets every event; the publisher never waits for either.
func TestSlowConsumer(t *testing.T) {
	// A publisher that waited for the slow client would wait for ever (it
	// never reads) or at least WriteWait; a busy machine stalls a goroutine
	// for a fraction of a second at times.
	e := newEnv(t, Config{QueueSize: 16, WriteWait: 30 * time.Second}, MemoryConfig{HistorySize: 10})
	slow := e.dial(t)
	slow.subscribe(ChannelDirectory, nil)
	fast := e.dial(t)
	fast.subscribe(ChannelDirectory, nil)

	got := make(chan uint64, 16)
	go func() {
		defer close(got)
		for {
			f, err := fast.tryRead(10 * time.Second)
			if err != nil {
				return
			}
			got <- f.Offset
		}
	}()

	payload := `{"pad":"` + strings.Repeat("x", 32<<10) + `"}`
	var worst time.Duration
	var n, cutAt uint64
	for n = 1; n <= 5000; n++ {
		start := time.Now()
		e.publish(t, ChannelDirectory, payload)
		worst = max(worst, time.Since(start))
		select { // the fast client keeps up with the publisher
		case off, ok := <-got:
			if !ok || off != n {
				t.Fatalf("fast client: event %d, want %d", off, n)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("fast client stalled at %d", n)
		}
		if cutAt == 0 && e.metric(t, "veil_ws_slow_consumers_total") == 1 {
			cutAt = n
		}
		if cutAt != 0 && n >= cutAt+20 {
			break
		}
	}
	if cutAt == 0 {
		t.Fatalf("slow consumer not cut off after %d events", n-1)
	}
	t.Logf("slow consumer cut off at event %d; slowest publish %v", cutAt, worst)
	if worst > 5*time.Second {
		t.Errorf("a publish took %v: the publisher waited", worst)
	}
	waitFor(t, 5*time.Second, "slow connection gone", func() bool { return e.hub.Stats().Connections == 1 })

	// The slow client finds what the kernel had buffered, then the end.
	var read int
	for {
		if _, err := slow.tryRead(5 * time.Second); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure {
				t.Errorf("slow client got close %v, want an abrupt end", ce)
			}
			break
		}
		read++
	}
	if uint64(read) >= n {
		t.Errorf("slow client read %d of %d events", read, n)
	}
	e.publish(t, ChannelDirectory, `"after"`)
	if off := <-got; off != n+1 {
		t.Errorf("fast client after the cut: event %d, want %d", off, n+1)
	}
}

func TestConnectionCap(t *testing.T) {
	e := newEnv(t, Config{MaxConnections: 2}, MemoryConfig{})
	a := e.dial(t)
	e.dial(t)
	waitFor(t, 5*time.Second, "two connections", func() bool { return e.hub.Stats().Connections == 2 })
	_, err := e.tryDial(t, nil)
	var de *dialError
	if !errors.As(err, &de) || de.status != http.StatusServiceUnavailable || de.body.Error == nil ||
		de.body.Error.Code != CodeTooMany || de.header.Get("Retry-After") == "" {
		t.Fatalf("third connection: %v", err)
	}
	if got := e.metric(t, "veil_ws_connections_rejected_total", "reason", CodeTooMany); got != 1 {
		t.Errorf("rejected metric %v", got)
	}
	_ = a.ws.Close()
	waitFor(t, 5*time.Second, "a slot", func() bool { return e.hub.Stats().Connections == 1 })
	e.dial(t).quiet()
}

func TestSubscriptionCap(t *testing.T) {
	e := newEnv(t, Config{MaxSubscriptions: 2}, MemoryConfig{})
	c := e.dial(t)
	c.subscribe(inboxA, nil)
	c.subscribe(inboxB, nil)
	if r := c.request(Message{Op: OpSubscribe, Channel: ChannelDirectory}); r.Error == nil || r.Error.Code != CodeTooMany {
		t.Fatalf("third subscription: %+v", r)
	}
	if r := c.request(Message{Op: OpSubscribe, Channel: inboxA}); r.Error == nil || r.Error.Code != CodeAlreadySubscribed {
		t.Fatalf("second subscription to a channel: %+v", r)
	}
	if r := c.request(Message{Op: OpUnsubscribe, Channel: ChannelDirectory}); r.Error == nil || r.Error.Code != CodeNotSubscribed {
		t.Fatalf("unsubscribe of a channel not subscribed: %+v", r)
	}
	if r := c.request(Message{Op: OpUnsubscribe, Channel: inboxB}); !r.OK {
		t.Fatalf("unsubscribe: %+v", r)
	}
	c.subscribe(ChannelDirectory, nil)
}

func TestBadFrames(t *testing.T) {
	e := newEnv(t, Config{MaxErrors: 6}, MemoryConfig{})
	c := e.dial(t)
	bad := []struct {
		frame string
		id    uint64
		code  string
	}{
		{`not json`, 0, CodeBadRequest},
		{`{"id":7,"op":"fly"}`, 7, CodeBadRequest},
		{`{"id":8,"op":"subscribe","channel":"inbox:0123456789abcdef"}`, 8, CodeBadChannel},
		{`{"id":9,"op":"subscribe","channel":"directory","snice":{"offset":3}}`, 0, CodeBadRequest},
		{`{"op":"ping"}`, 0, CodeBadRequest},
	}
	for _, b := range bad {
		if err := c.ws.WriteMessage(websocket.TextMessage, []byte(b.frame)); err != nil {
			t.Fatal(err)
		}
		r := c.read()
		if r.Error == nil || r.Error.Code != b.code || r.ID != b.id || r.OK {
			t.Fatalf("%s: reply %+v %+v", b.frame, r, r.Error)
		}
	}
	c.quiet() // still served
	// The sixth error closes the connection with 1008 after its reply.
	if err := c.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if r := c.read(); r.Error == nil || r.Error.Code != CodeBadRequest {
		t.Fatalf("binary frame: %+v", r)
	}
	_, err := c.tryRead(5 * time.Second)
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("after too many errors: %v", err)
	}
	waitFor(t, 5*time.Second, "connection gone", func() bool { return e.hub.Stats().Connections == 0 })
	if got := e.metric(t, "veil_ws_errors_total"); got != 6 {
		t.Errorf("errors metric %v", got)
	}
}

func TestReadLimit(t *testing.T) {
	e := newEnv(t, Config{ReadLimit: 256}, MemoryConfig{})
	c := e.dial(t)
	padded := `{"id":1,"op":"ping"}` + strings.Repeat(" ", 200)
	_ = c.ws.WriteMessage(websocket.TextMessage, []byte(padded))
	if r := c.read(); !r.OK || r.ID != 1 {
		t.Fatalf("frame under the limit: %+v", r)
	}
	_ = c.ws.WriteMessage(websocket.TextMessage, []byte(padded+strings.Repeat(" ", 100)))
	if _, err := c.tryRead(5 * time.Second); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("frame over the limit: %v", err)
	}
	waitFor(t, 5*time.Second, "connection gone", func() bool { return e.hub.Stats().Connections == 0 })
}

func TestOrigin(t *testing.T) {
	e := newEnv(t, Config{AllowedOrigins: []string{"https://veil.example"}}, MemoryConfig{})
	_, err := e.tryDial(t, http.Header{"Origin": {"https://evil.example"}})
	var de *dialError
	if !errors.As(err, &de) || de.status != http.StatusForbidden || de.body.Error.Code != CodeForbidden {
		t.Fatalf("foreign origin: %v", err)
	}
	for _, o := range []string{"https://veil.example", "HTTPS://VEIL.EXAMPLE", ""} {
		hdr := http.Header{}
		if o != "" {
			hdr.Set("Origin", o)
		}
		if _, err := e.tryDial(t, hdr); err != nil {
			t.Errorf("origin %q: %v", o, err)
		}
	}

	any := newEnv(t, Config{}, MemoryConfig{})
	if _, err := any.tryDial(t, http.Header{"Origin": {"https://evil.example"}}); err != nil {
		t.Errorf("no allow list: %v", err)
	}
}

func TestNotWebSocket(t *testing.T) {
	e := newEnv(t, Config{}, MemoryConfig{})
	resp, err := http.Get(e.srv.URL + "/v1/ws")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b struct {
		Error struct{ Code string } `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil || resp.StatusCode != 400 || b.Error.Code != CodeBadRequest {
		t.Fatalf("status %d code %q: %v", resp.StatusCode, b.Error.Code, err)
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestPingPong(t *testing.T) {
	e := newEnv(t, Config{PingInterval: 200 * time.Millisecond, PongWait: time.Second}, MemoryConfig{})
	live := e.dial(t) // gorilla answers pings while it reads
	live.subscribe(inboxA, nil)
	e.dial(t) // never reads, so never answers
	if _, err := live.tryRead(3 * time.Second); !isTimeout(err) {
		t.Fatalf("live client: %v", err)
	}
	if s := e.hub.Stats(); s.Connections != 1 {
		t.Fatalf("after 3s: %d connections, want the reading one only", s.Connections)
	}
	c := e.dial(t)
	if r := c.request(Message{Op: OpPing}); !r.OK {
		t.Fatalf("ping op: %+v", r)
	}
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

func TestShutdown(t *testing.T) {
	baseline := runtime.NumGoroutine()
	e := startEnv(Config{}, MemoryConfig{})
	const n = 20
	errs := make(chan error, n)
	for i := range n {
		c, err := e.tryDial(t, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.subscribe(InboxChannel(uint64(i)), nil)
		go func() {
			for {
				if _, err := c.tryRead(10 * time.Second); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	e.publish(t, InboxChannel(3), `{}`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.hub.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for range n {
		if err := <-errs; !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Errorf("client saw %v, want going away", err)
		}
	}
	if s := e.hub.Stats(); s != (Stats{}) {
		t.Errorf("stats after shutdown %+v", s)
	}
	_, err := e.tryDial(t, nil)
	var de *dialError
	if !errors.As(err, &de) || de.status != http.StatusServiceUnavailable || de.body.Error.Code != CodeUnavailable {
		t.Errorf("dial after shutdown: %v", err)
	}
	if err := e.hub.Shutdown(ctx); err != nil { // again: nothing to do
		t.Errorf("second Shutdown: %v", err)
	}
	e.srv.Close()
	_ = e.broker.Close()
	waitGoroutines(t, baseline)
}

// A client that does not answer the close frame holds Shutdown only until
// its context ends.
func TestShutdownDeadline(t *testing.T) {
	baseline := runtime.NumGoroutine()
	e := startEnv(Config{}, MemoryConfig{})
	c, err := e.tryDial(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.quiet()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := e.hub.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	e.srv.Close()
	_ = e.broker.Close()
	_ = c.ws.Close()
	waitGoroutines(t, baseline)
}

// Connection goroutines end when clients leave, cleanly or not.
func TestDisconnectGoroutines(t *testing.T) {
	e := newEnv(t, Config{}, MemoryConfig{})
	baseline := runtime.NumGoroutine()
	const n = 40
	cs := make([]*tclient, n)
	for i := range cs {
		cs[i] = e.dial(t)
		cs[i].subscribe(InboxChannel(uint64(i)), nil)
		cs[i].subscribe(ChannelDirectory, nil)
	}
	if s := e.hub.Stats(); s.Connections != n || s.Subscriptions != 2*n {
		t.Fatalf("stats %+v", s)
	}
	if runtime.NumGoroutine() < 2*n {
		t.Fatalf("%d goroutines for %d connections over %d", runtime.NumGoroutine(), n, baseline)
	}
	for i, c := range cs {
		if i%2 == 0 {
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
		}
		_ = c.ws.Close()
	}
	waitFor(t, 5*time.Second, "connections gone", func() bool { return e.hub.Stats() == Stats{} })
	waitGoroutines(t, baseline)
	if got := e.metric(t, "veil_ws_subscriptions"); got != 0 {
		t.Errorf("subscriptions gauge %v", got)
	}
}

func ExampleHub() {
	b := NewMemoryBroker(MemoryConfig{})
	defer b.Close()
	h := New(Config{}, b)
	defer h.Shutdown(context.Background())
	mux := http.NewServeMux()
	mux.Handle("/v1/ws", h)
	pos, err := h.Publish(context.Background(), InboxChannel(0x0123456789ABCDEF), []byte(`{"post":"bafy…"}`))
	fmt.Println(pos.Offset, err)
	// Output: 1 <nil>
}
