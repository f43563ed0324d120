package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/veilsocial/veil/relay/api"
)

// closeGrace is how long the writer waits for the client to answer a close
// frame before it drops the TCP connection.
const closeGrace = time.Second

// testHookSubscribed, if set, runs in a subscribe between registering the
// subscription and reading history: tests publish there to hit that window.
var testHookSubscribed func(channel string)

// item is one frame in a connection's outbound queue.
type item struct {
	pm   *websocket.PreparedMessage // a live event, framed once for every recipient
	data []byte                     // a reply or a recovered event
	time int64                      // publish time of a live event (UnixNano)
	hist bool                       // a recovered event: not counted against QueueSize
}

// subscription is one connection's interest in one channel.
type subscription struct {
	c       *client
	channel string

	// Guarded by c.mu.
	recovering bool       // the subscribe is reading history: live events wait in pending
	pending    []delivery // live events that arrived while recovering
	removed    bool
}

// client is one WebSocket connection. It runs exactly two goroutines: the
// reader (readLoop) handles the client's frames, the writer (writeLoop)
// drains the outbound queue and pings. Everything else only appends to the
// queue, without blocking.
type client struct {
	h      *Hub
	ws     *websocket.Conn
	bc     *batchConn // under ws
	remote string

	notify     chan struct{} // capacity 1: the queue has items
	done       chan struct{} // closed by closeLocked
	readerDone chan struct{}
	running    atomic.Int32 // goroutines still running

	mu      sync.Mutex
	drained sync.Cond // signalled when hist drops to 0, and on close
	queue   []item
	live    int // items in queue counted against QueueSize
	hist    int // recovered events queued or being written
	subs    map[string]*subscription
	closed  bool
	code    int // close frame to send (0: none)
	reason  string
	slow    bool

	errs int // error replies sent; reader only
}

func newClient(h *Hub, ws *websocket.Conn, bc *batchConn, remote string) *client {
	c := &client{
		h:          h,
		ws:         ws,
		bc:         bc,
		remote:     remote,
		notify:     make(chan struct{}, 1),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	c.drained.L = &c.mu
	c.running.Store(2)
	pongWait := h.cfg.PongWait
	ws.SetReadLimit(h.cfg.ReadLimit)
	_ = ws.SetReadDeadline(time.Now().Add(pongWait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(pongWait)) })
	return c
}

// deliver queues a live event of subscription s. It is called from the
// broker's callback and never blocks: a full queue cuts the connection off.
func (c *client) deliver(s *subscription, d delivery) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed || s.removed:
	case s.recovering:
		if len(s.pending) >= c.h.cfg.QueueSize {
			c.cutLocked()
			return
		}
		s.pending = append(s.pending, d)
	default:
		c.pushLocked(item{pm: d.pm, time: d.time})
	}
}

// pushLocked appends it to the queue, or cuts the connection off when the
// queue is full. It reports whether it was queued.
func (c *client) pushLocked(it item) bool {
	if c.live >= c.h.cfg.QueueSize {
		c.cutLocked()
		return false
	}
	c.queue = append(c.queue, it)
	c.live++
	select {
	case c.notify <- struct{}{}:
	default:
	}
	return true
}

// cutLocked drops a slow consumer at once: it is not reading, so there is no
// point in a close frame, and its queue is freed.
func (c *client) cutLocked() {
	if !c.closeLocked(0, "") {
		return
	}
	c.slow = true
	c.queue = nil
	c.h.m.slow.Inc()
	_ = c.ws.NetConn().Close()
}

// close asks the writer to end the connection, with a close frame if code
// is not 0 (after the frames already queued).
func (c *client) close(code int, reason string) {
	c.mu.Lock()
	c.closeLocked(code, reason)
	c.mu.Unlock()
}

func (c *client) closeLocked(code int, reason string) bool {
	if c.closed {
		return false
	}
	c.closed, c.code, c.reason = true, code, reason
	close(c.done)
	c.drained.Broadcast()
	return true
}

// exit is called by each goroutine as it ends; the last one removes the
// connection from the hub.
func (c *client) exit() {
	if c.running.Add(-1) == 0 {
		c.h.removeConn(c)
	}
}

// readLoop is the reader goroutine. It keeps a small frame, and the read
// deadline, limit and pong handler are set before it starts (newClient), so
// that the stack of an idle reader parked in the read is small enough for
// the runtime to shrink after a subscribe has grown it: 4 KiB per idle
// connection instead of 8. (No defers for the same reason: a panic here
// ends the process anyway.)
func (c *client) readLoop() {
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			c.readFailed(err)
			break
		}
		if !c.handle(typ, data) {
			break
		}
	}
	c.readerExit()
}

//go:noinline
func (c *client) readerExit() {
	c.dropSubs()
	close(c.readerDone)
	c.exit()
	c.h.wg.Done()
}

//go:noinline
func (c *client) readFailed(err error) {
	c.close(0, "")
	c.h.log.Debug("ws disconnected", "remote", c.remote, "err", err)
}

// handle answers one client frame. It reports whether to go on reading.
//
//go:noinline
func (c *client) handle(typ int, data []byte) bool {
	_ = c.ws.SetReadDeadline(time.Now().Add(c.h.cfg.PongWait))
	c.h.m.received.Inc()
	if typ != websocket.TextMessage {
		return c.fail(0, protoErr(CodeBadRequest, "binary frames are not supported"))
	}
	m, perr := ParseMessage(data)
	if perr != nil {
		return c.fail(m.ID, perr)
	}
	switch m.Op {
	case OpSubscribe:
		return c.subscribe(m)
	case OpUnsubscribe:
		return c.unsubscribe(m)
	default: // OpPing
		return c.reply(Reply{ID: m.ID, OK: true})
	}
}

func (c *client) reply(r Reply) bool {
	data, err := json.Marshal(r)
	if err != nil {
		panic(err) // a Reply always encodes
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.closed && c.pushLocked(item{data: data})
}

// fail sends an error reply; past MaxErrors it closes the connection.
func (c *client) fail(id uint64, e *api.Error) bool {
	c.h.m.errors.WithLabelValues(e.Code).Inc()
	c.errs++
	if !c.reply(Reply{ID: id, Error: e}) {
		return false
	}
	if c.errs >= c.h.cfg.MaxErrors {
		c.h.log.Info("ws closing connection after too many errors", "remote", c.remote, "code", e.Code)
		c.close(websocket.ClosePolicyViolation, "too many errors")
		return false
	}
	return true
}

// subscribe adds a subscription and, with since, replays what the client
// missed. Live events that arrive while history is read wait in the
// subscription and are de-duplicated against it by offset, so the client
// gets every event once, in order, without gaps.
func (c *client) subscribe(m Message) bool {
	h := c.h
	c.mu.Lock()
	for c.hist > 0 && !c.closed { // one replay in the queue at a time
		c.drained.Wait()
	}
	if c.closed {
		c.mu.Unlock()
		return false
	}
	if c.subs[m.Channel] != nil {
		c.mu.Unlock()
		return c.fail(m.ID, protoErr(CodeAlreadySubscribed, "already subscribed to "+m.Channel))
	}
	if len(c.subs) >= h.cfg.MaxSubscriptions {
		c.mu.Unlock()
		return c.fail(m.ID, protoErr(CodeTooMany, fmt.Sprintf("at most %d subscriptions per connection", h.cfg.MaxSubscriptions)))
	}
	s := &subscription{c: c, channel: m.Channel, recovering: true}
	if c.subs == nil {
		c.subs = make(map[string]*subscription)
	}
	c.subs[m.Channel] = s
	c.mu.Unlock()
	h.addSub(s) // from here on, live events of the channel wait in s.pending
	if testHookSubscribed != nil {
		testHookSubscribed(m.Channel)
	}

	var since uint64
	limit := 0 // only the position
	if m.Since != nil {
		since, limit = m.Since.Offset, h.cfg.RecoverLimit+1
	}
	ctx, cancel := context.WithTimeout(h.ctx, h.cfg.WriteWait)
	events, pos, err := h.broker.History(ctx, m.Channel, since, limit)
	cancel()
	if err != nil && !errors.Is(err, ErrHistoryGone) {
		h.log.Warn("ws history failed", "channel", m.Channel, "err", err)
		c.mu.Lock()
		delete(c.subs, m.Channel)
		s.removed, s.pending = true, nil
		c.mu.Unlock()
		h.removeSubs(s)
		return c.fail(m.ID, protoErr(CodeUnavailable, "history unavailable, try again"))
	}

	r := Reply{ID: m.ID, OK: true, Position: &pos, Recovered: new(false)}
	if m.Since != nil {
		if err == nil && pos.Epoch == m.Since.Epoch && len(events) <= h.cfg.RecoverLimit {
			*r.Recovered = true
			h.m.recoveries.WithLabelValues("recovered").Inc()
		} else {
			events, r.Reason = nil, CodeHistoryGone
			h.m.recoveries.WithLabelValues(CodeHistoryGone).Inc()
		}
	}
	replyData, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	replay := make([][]byte, len(events))
	for i := range events {
		if replay[i], err = json.Marshal(events[i]); err != nil {
			panic(err) // events hold valid JSON
		}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || !c.pushLocked(item{data: replyData}) {
		return false
	}
	for _, data := range replay {
		c.queue = append(c.queue, item{data: data, hist: true})
		c.hist++
	}
	for _, d := range s.pending {
		if d.epoch == pos.Epoch && d.offset <= pos.Offset {
			continue // replayed above, or before the position
		}
		if !c.pushLocked(item{pm: d.pm, time: d.time}) {
			return false
		}
	}
	s.pending, s.recovering = nil, false
	return true
}

func (c *client) unsubscribe(m Message) bool {
	c.mu.Lock()
	s := c.subs[m.Channel]
	if s == nil {
		c.mu.Unlock()
		return c.fail(m.ID, protoErr(CodeNotSubscribed, "not subscribed to "+m.Channel))
	}
	delete(c.subs, m.Channel)
	s.removed, s.pending = true, nil
	c.mu.Unlock()
	c.h.removeSubs(s)
	return c.reply(Reply{ID: m.ID, OK: true})
}

// dropSubs removes every subscription of the connection from the hub.
func (c *client) dropSubs() {
	c.mu.Lock()
	ss := make([]*subscription, 0, len(c.subs))
	for _, s := range c.subs {
		s.removed, s.pending = true, nil
		ss = append(ss, s)
	}
	c.subs = nil
	c.mu.Unlock()
	c.h.removeSubs(ss...)
}

func (c *client) writeLoop() {
	defer c.h.wg.Done()
	defer c.exit()
	defer c.ws.Close()
	ping := time.NewTicker(c.h.cfg.PingInterval)
	defer ping.Stop()
	var batch []item
	var ok bool
	for {
		select {
		case <-c.notify:
			if batch, ok = c.flush(batch); !ok {
				c.close(0, "")
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.h.cfg.WriteWait)); err != nil {
				c.close(0, "")
				return
			}
		case <-c.done:
			c.finish(batch)
			return
		}
	}
}

// finish ends a closed connection: a slow consumer is gone already; a
// graceful close writes what is queued, then the close frame, and gives the
// client a moment to answer it.
func (c *client) finish(batch []item) {
	c.mu.Lock()
	code, reason, slow := c.code, c.reason, c.slow
	c.mu.Unlock()
	if slow {
		c.h.log.Info("ws slow consumer cut off", "remote", c.remote)
		return
	}
	if code == 0 {
		return
	}
	if _, ok := c.flush(batch); !ok {
		return
	}
	err := c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(c.h.cfg.WriteWait))
	if err != nil {
		return
	}
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-c.readerDone:
	case <-t.C:
	}
}

// flush writes everything queued, in as few system calls as the batch
// allows. It reuses batch's storage and returns it.
func (c *client) flush(batch []item) ([]item, bool) {
	c.mu.Lock()
	batch, c.queue = c.queue, batch[:0]
	c.live = 0
	c.mu.Unlock()
	if len(batch) == 0 {
		return batch, true
	}
	var events, replies, hist int
	var err error
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.h.cfg.WriteWait))
	c.bc.begin()
	for i := range batch {
		it := &batch[i]
		if it.pm != nil {
			if events == 0 {
				c.h.m.lag.Observe(float64(time.Now().UnixNano()-it.time) / 1e9)
			}
			err = c.ws.WritePreparedMessage(it.pm)
		} else {
			err = c.ws.WriteMessage(websocket.TextMessage, it.data)
		}
		if err != nil {
			break
		}
		switch {
		case it.hist:
			events++
			hist++
		case it.pm != nil:
			events++
		default:
			replies++
		}
	}
	if err2 := c.bc.end(); err == nil {
		err = err2
	}
	c.h.m.sentEvents.Add(float64(events))
	c.h.m.sentReplies.Add(float64(replies))
	if hist > 0 {
		c.mu.Lock()
		if c.hist -= hist; c.hist == 0 {
			c.drained.Broadcast()
		}
		c.mu.Unlock()
	}
	clear(batch)
	if cap(batch) > 1024 {
		batch = nil // do not keep a burst's storage
	}
	return batch[:0], err == nil
}
