package relayclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// memConn is one end of an in-memory connection carrying JSON frames.
type memConn struct {
	in, out   chan []byte
	done      chan struct{}
	closeOnce *sync.Once
}

func memPipe() (client, server *memConn) {
	a, b := make(chan []byte, 64), make(chan []byte, 64)
	done := make(chan struct{})
	once := &sync.Once{}
	return &memConn{in: a, out: b, done: done, closeOnce: once}, &memConn{in: b, out: a, done: done, closeOnce: once}
}

func (c *memConn) ReadJSON(v any) error {
	select {
	case b := <-c.in:
		return json.Unmarshal(b, v)
	case <-c.done:
		return io.EOF
	}
}

func (c *memConn) WriteJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	select {
	case <-c.done:
		return io.ErrClosedPipe
	default:
	}
	select {
	case c.out <- b:
		return nil
	case <-c.done:
		return io.ErrClosedPipe
	}
}

func (c *memConn) Close() error {
	c.closeOnce.Do(func() { close(c.done) })
	return nil
}

// fakeHub plays the relay side of the event protocol as relay/hub
// documents it: replies echo ids, events are frames of their own, a
// subscribe with since replays or says recovered false.
type fakeHub struct {
	mu      sync.Mutex
	epoch   string
	history map[string][]Event
	conns   map[*memConn]map[string]bool
	dials   int
	silent  bool // ignore every frame (a dead relay that keeps the socket)
	frames  []Subscribe
}

func newFakeHub() *fakeHub {
	return &fakeHub{epoch: "e1", history: map[string][]Event{}, conns: map[*memConn]map[string]bool{}}
}

func (h *fakeHub) dial(ctx context.Context, url string) (Conn, error) {
	if !strings.HasPrefix(url, "ws://") && !strings.HasPrefix(url, "wss://") || !strings.HasSuffix(url, "/v1/ws") {
		return nil, fmt.Errorf("dialed %q", url)
	}
	cl, srv := memPipe()
	h.mu.Lock()
	h.dials++
	h.conns[srv] = map[string]bool{}
	h.mu.Unlock()
	go h.serve(srv)
	return cl, nil
}

func (h *fakeHub) serve(c *memConn) {
	for {
		var m Subscribe
		if err := c.ReadJSON(&m); err != nil {
			h.mu.Lock()
			delete(h.conns, c)
			h.mu.Unlock()
			return
		}
		h.mu.Lock()
		h.frames = append(h.frames, m)
		if h.silent {
			h.mu.Unlock()
			continue
		}
		switch {
		case m.Op == OpPing:
			c.WriteJSON(Reply{ID: m.ID, OK: true})
		case m.Op != OpSubscribe || !strings.HasPrefix(m.Channel, "inbox:"):
			c.WriteJSON(Reply{ID: m.ID, Error: &ReplyError{Code: "bad_channel", Message: "not a channel"}})
		case h.conns[c][m.Channel]:
			c.WriteJSON(Reply{ID: m.ID, Error: &ReplyError{Code: "already_subscribed", Message: m.Channel}})
		default:
			evs := h.history[m.Channel]
			pos := Position{Epoch: h.epoch, Offset: uint64(len(evs))}
			r := Reply{ID: m.ID, OK: true, Position: &pos}
			var replay []Event
			if m.Since != nil {
				ok := m.Since.Epoch == h.epoch && m.Since.Offset <= uint64(len(evs))
				r.Recovered = &ok
				if ok {
					replay = evs[m.Since.Offset:]
				} else {
					r.Reason = "history_gone"
				}
			}
			h.conns[c][m.Channel] = true
			// Live events may overtake the reply, as with the real hub.
			for _, ev := range replay {
				c.WriteJSON(ev)
			}
			c.WriteJSON(r)
		}
		h.mu.Unlock()
	}
}

func (h *fakeHub) publish(ch, cid string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ev := Event{Channel: ch, Epoch: h.epoch, Offset: uint64(len(h.history[ch]) + 1), Time: time.Now().UTC(),
		Data: json.RawMessage(`{"type":"post","cid":"` + cid + `","size":42}`)}
	h.history[ch] = append(h.history[ch], ev)
	for c, subs := range h.conns {
		if subs[ch] {
			c.WriteJSON(ev)
		}
	}
}

// drop cuts every connection; restart also loses the history.
func (h *fakeHub) drop(restart bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		c.Close()
	}
	if restart {
		h.epoch += "'"
		h.history = map[string][]Event{}
	}
}

func (h *fakeHub) connected() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, subs := range h.conns {
		if len(subs) > 0 {
			n++
		}
	}
	return n
}

func fastWatch(t *testing.T) {
	oldPing, oldMin := watchPingInterval, watchMinBackoff
	watchPingInterval, watchMinBackoff = 20*time.Millisecond, time.Millisecond
	t.Cleanup(func() { watchPingInterval, watchMinBackoff = oldPing, oldMin })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func next(t *testing.T, events <-chan Event) Event {
	t.Helper()
	select {
	case ev := <-events:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return Event{}
}

func TestWatchResumes(t *testing.T) {
	fastWatch(t)
	h := newFakeHub()
	c, err := New("http://relay.example:8080")
	if err != nil {
		t.Fatal(err)
	}
	const inbox = "inbox:0123456789ABCDEF"
	events := make(chan Event, 16)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- c.Watch(ctx, h.dial, []string{inbox}, nil, func(ev Event) error {
			events <- ev
			return nil
		})
	}()
	waitFor(t, "subscription", func() bool { return h.connected() == 1 })
	h.publish(inbox, "bafk1")
	h.publish(inbox, "bafk2")
	for i, want := range []string{"bafk1", "bafk2"} {
		ev := next(t, events)
		if ev.Type != TypePost || ev.CID != want || ev.Size != 42 || ev.Offset != uint64(i+1) || ev.Channel != inbox {
			t.Fatalf("event %d: %+v", i, ev)
		}
	}
	// The connection drops; what is published meanwhile comes after the
	// reconnect, and nothing twice.
	h.drop(false)
	h.publish(inbox, "bafk3")
	ev := next(t, events)
	if ev.CID != "bafk3" || ev.Offset != 3 {
		t.Fatalf("after reconnect: %+v", ev)
	}
	h.mu.Lock()
	var resumed *Position
	for _, f := range h.frames {
		if f.Op == OpSubscribe && f.Since != nil {
			resumed = f.Since
		}
	}
	h.mu.Unlock()
	if resumed == nil || *resumed != (Position{Epoch: "e1", Offset: 2}) {
		t.Errorf("resumed from %+v, want e1/2", resumed)
	}
	// The relay restarts and forgets: the caller is told, then live
	// events go on.
	h.drop(true)
	ev = next(t, events)
	if ev.Type != TypeMissed || ev.Channel != inbox || ev.Reason != "history_gone" {
		t.Fatalf("after a restart: %+v", ev)
	}
	waitFor(t, "resubscription", func() bool { return h.connected() == 1 })
	h.publish(inbox, "bafk4")
	if ev := next(t, events); ev.CID != "bafk4" || ev.Epoch != "e1'" || ev.Offset != 1 {
		t.Fatalf("after the restart: %+v", ev)
	}
	select {
	case ev := <-events:
		t.Fatalf("extra event %+v", ev)
	default:
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch returned %v", err)
	}
}

func TestWatchSince(t *testing.T) {
	fastWatch(t)
	h := newFakeHub()
	const inbox = "inbox:00000000000000AA"
	for i := range 3 {
		h.publish(inbox, fmt.Sprint("bafk", i))
	}
	c, _ := New("http://relay.example")
	stop := errors.New("stop")
	var got []string
	err := c.Watch(t.Context(), h.dial, []string{inbox, inbox}, map[string]Position{inbox: {Epoch: "e1", Offset: 1}}, func(ev Event) error {
		got = append(got, ev.CID)
		if len(got) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Watch returned %v, want the callback's error", err)
	}
	if strings.Join(got, " ") != "bafk1 bafk2" {
		t.Errorf("replayed %v", got)
	}
}

func TestWatchPermanent(t *testing.T) {
	fastWatch(t)
	h := newFakeHub()
	c, _ := New("http://relay.example")
	err := c.Watch(t.Context(), h.dial, []string{"inbox:0000000000000001", "nonsense"}, nil, func(Event) error { return nil })
	var perm *PermanentError
	if !errors.As(err, &perm) || perm.Channel != "nonsense" || perm.Err.Code != "bad_channel" {
		t.Fatalf("Watch returned %v", err)
	}
	if h.dials != 1 {
		t.Errorf("dialed %d times for a permanent refusal", h.dials)
	}
	// A refused upgrade with a client error is permanent too.
	refuse := func(context.Context, string) (Conn, error) {
		return nil, &Error{Status: 403, Code: "forbidden", Message: "origin not allowed"}
	}
	if err := c.Watch(t.Context(), refuse, []string{"directory"}, nil, func(Event) error { return nil }); !errors.As(err, &perm) || perm.Err.Code != "forbidden" {
		t.Errorf("refused upgrade: %v", err)
	}
}

// TestWatchSilentRelay: a relay that keeps the socket open but stops
// answering is pinged, then dropped and dialed again.
func TestWatchSilentRelay(t *testing.T) {
	fastWatch(t)
	h := newFakeHub()
	h.silent = true
	c, _ := New("https://relay.example")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Watch(ctx, h.dial, []string{"directory"}, nil, func(Event) error { return nil }) }()
	waitFor(t, "a second dial", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.dials >= 2
	})
	h.mu.Lock()
	pinged := false
	for _, f := range h.frames {
		pinged = pinged || f.Op == OpPing
	}
	h.mu.Unlock()
	if !pinged {
		t.Error("the silent relay was never pinged")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch returned %v", err)
	}
	if u := c.WebSocketURL(); u != "wss://relay.example/v1/ws" {
		t.Errorf("WebSocketURL %s", u)
	}
}
