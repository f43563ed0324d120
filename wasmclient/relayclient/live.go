package relayclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
)

// The relay's event protocol (relay/hub) in short: a client sends Subscribe
// frames ({"id":1,"op":"subscribe","channel":"inbox:…","since":{…}}), the
// relay answers each with a Reply carrying the same id, and delivers the
// events of subscribed channels as frames of their own
// ({"channel":…,"offset":…,"epoch":…,"time":…,"data":{…}}). Offsets count a
// channel's events from 1 within an epoch; the epoch changes when the
// relay lost the channel's history. A subscribe with since replays what
// came after it, or says (recovered false) that it cannot.

// Client operations.
const (
	OpSubscribe   = "subscribe"
	OpUnsubscribe = "unsubscribe"
	OpPing        = "ping"
)

// Event types, in Event.Type.
const (
	// TypePost: a blob whose key packets name the inbox's key arrived.
	TypePost = "post"
	// TypeShare: a share for a post arrived (on an inbox: one naming the key).
	TypeShare = "share"
	// TypeKey: a key was added to the directory or changed.
	TypeKey = "key"
	// TypeMissed is made by Watch, not sent by relays: the relay could not
	// replay every event of the channel since the last one seen (its
	// history was trimmed or lost). The caller should refetch what it
	// follows. Reason says why.
	TypeMissed = "missed"
)

// InboxChannel is the channel of posts and shares for a key ID: "inbox:"
// and 16 upper-case hex digits.
func InboxChannel(keyID uint64) string { return fmt.Sprintf("inbox:%016X", keyID) }

// SharesChannel is the channel of a post's shares.
func SharesChannel(c cid.Cid) string { return "shares:" + c.String() }

// DirectoryChannel carries directory updates.
const DirectoryChannel = "directory"

// Position is a place in a channel's stream: the offset of the last event
// seen, under an epoch.
type Position struct {
	Epoch  string `json:"epoch"`
	Offset uint64 `json:"offset"`
}

// Subscribe is a client frame: subscribe (with Since to resume after an
// event), unsubscribe or ping. ID is positive and echoed by the Reply.
type Subscribe struct {
	ID      uint64    `json:"id"`
	Op      string    `json:"op"`
	Channel string    `json:"channel,omitempty"`
	Since   *Position `json:"since,omitempty"`
}

// ReplyError is the error of a Reply, with a stable code.
type ReplyError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *ReplyError) Error() string { return fmt.Sprintf("relay: %s: %s", e.Code, e.Message) }

// Reply answers a Subscribe frame. Exactly one of OK and Error is set.
type Reply struct {
	ID uint64 `json:"id,omitempty"`
	OK bool   `json:"ok,omitempty"`
	// Position is where the stream stands (subscribe).
	Position *Position `json:"position,omitempty"`
	// Recovered tells, for a subscribe with since, whether every event after
	// it follows; Reason says why not.
	Recovered *bool       `json:"recovered,omitempty"`
	Reason    string      `json:"reason,omitempty"`
	Error     *ReplyError `json:"error,omitempty"`
}

// Event is one event of a channel. The first five fields are the frame as
// the relay sends it; Watch decodes Data into the fields after them.
type Event struct {
	Channel string          `json:"channel"`
	Offset  uint64          `json:"offset"`
	Epoch   string          `json:"epoch"`
	Time    time.Time       `json:"time"`
	Data    json.RawMessage `json:"data"`

	// Type is TypePost, TypeShare, TypeKey, or TypeMissed.
	Type string `json:"-"`
	// CID is the post of a post or share event.
	CID string `json:"-"`
	// Size is the blob size of a post event.
	Size int64 `json:"-"`
	// Index is the share's index of a share event.
	Index int `json:"-"`
	// Fingerprint is the key of a key event.
	Fingerprint string `json:"-"`
	// Reason says why events were missed (TypeMissed).
	Reason string `json:"-"`
}

// Position is where the event stands in its channel.
func (e Event) Position() Position { return Position{Epoch: e.Epoch, Offset: e.Offset} }

// decode fills the typed fields from Data.
func (e *Event) decode() {
	var d struct {
		Type        string `json:"type"`
		CID         string `json:"cid"`
		Size        int64  `json:"size"`
		Index       int    `json:"index"`
		Fingerprint string `json:"fingerprint"`
	}
	if json.Unmarshal(e.Data, &d) == nil {
		e.Type, e.CID, e.Size, e.Index, e.Fingerprint = d.Type, d.CID, d.Size, d.Index, d.Fingerprint
	}
}

// frame is any frame the relay sends: a reply or an event.
type frame struct {
	Reply
	Channel string          `json:"channel"`
	Offset  uint64          `json:"offset"`
	Epoch   string          `json:"epoch"`
	Time    time.Time       `json:"time"`
	Data    json.RawMessage `json:"data"`
}

// Conn is a WebSocket connection that carries JSON text frames, as
// gorilla/websocket's *Conn does. ReadJSON is called from one goroutine and
// WriteJSON from another; Close may be called at any time, also
// concurrently, and makes a blocked ReadJSON return.
type Conn interface {
	ReadJSON(v any) error
	WriteJSON(v any) error
	Close() error
}

// Dialer opens a WebSocket connection to url (ws:// or wss://).
type Dialer func(ctx context.Context, url string) (Conn, error)

// WebSocketURL is the URL of the relay's event endpoint: the base URL with
// ws:// or wss:// and /v1/ws.
func (c *Client) WebSocketURL() string {
	u := *c.base
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	u.Path += "/v1/ws"
	return u.String()
}

// Test hooks: how often Watch pings an idle connection, and its backoff.
var (
	watchPingInterval = 25 * time.Second
	watchMinBackoff   = 250 * time.Millisecond
	watchMaxBackoff   = 30 * time.Second
)

// PermanentError is a refusal that reconnecting cannot cure: a channel the
// relay does not accept, the subscription cap, a protocol error. Watch
// returns it.
type PermanentError struct {
	Channel string
	Err     *ReplyError
}

func (e *PermanentError) Error() string {
	if e.Channel == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s: %v", e.Channel, e.Err)
}

func (e *PermanentError) Unwrap() error { return e.Err }

// Watch subscribes to channels on the relay's event endpoint and calls fn
// with each event, in order per channel, until ctx ends (it returns
// ctx.Err()) or fn returns an error (it returns that error).
//
// since gives, per channel, the position of the last event already seen
// (from an earlier Watch); the relay replays what followed it. Watch
// reconnects when the connection fails, after a growing delay (250 ms to
// 30 s, jittered), and resumes every channel from the last event it
// delivered, so fn sees each event once. When the relay cannot replay what
// was missed (its history moved on, or it restarted and lost it), fn gets
// an Event of TypeMissed for that channel and then the live events.
//
// dial opens the connection (the browser and the command line each supply
// theirs). A refusal that reconnecting cannot cure, such as a channel the
// relay does not accept, ends Watch with a *PermanentError. An idle
// connection is pinged, and dropped if the relay stays silent.
func (c *Client) Watch(ctx context.Context, dial Dialer, channels []string, since map[string]Position, fn func(Event) error) error {
	if len(channels) == 0 {
		return errors.New("relayclient: watch: no channels")
	}
	var unique []string
	seen := make(map[string]bool, len(channels))
	for _, ch := range channels {
		if !seen[ch] {
			seen[ch] = true
			unique = append(unique, ch)
		}
	}
	w := &watch{
		url:      c.WebSocketURL(),
		dial:     dial,
		channels: unique,
		pos:      make(map[string]Position, len(channels)),
		fn:       fn,
		ping:     watchPingInterval,
	}
	for ch, p := range since {
		w.pos[ch] = p
	}
	minBackoff, maxBackoff := watchMinBackoff, watchMaxBackoff
	backoff := minBackoff
	for {
		delivered, err := w.session(ctx)
		var perm *PermanentError
		var cb callbackError
		switch {
		case errors.As(err, &cb):
			return cb.err
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &perm):
			return perm
		}
		if delivered {
			backoff = minBackoff
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		if ra := retryAfter(err); ra > wait {
			wait = ra
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// callbackError wraps an error of fn, which ends Watch.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

// retryAfter is the Retry-After of a refused dial, if any.
func retryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// watch is the state of one Watch across its connections.
type watch struct {
	url      string
	dial     Dialer
	channels []string
	pos      map[string]Position // last event delivered (or stream position at subscribe)
	fn       func(Event) error
	ping     time.Duration
}

// session runs one connection: subscribe to every channel, then deliver
// events until the connection fails. delivered reports whether it got as
// far as a successful subscription, which resets the backoff.
func (w *watch) session(ctx context.Context) (delivered bool, err error) {
	conn, err := w.dial(ctx, w.url)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Status >= 400 && e.Status < 500 && e.Status != 429 {
			return false, &PermanentError{Err: &ReplyError{Code: e.Code, Message: e.Message}}
		}
		return false, err
	}
	var (
		closeOnce sync.Once
		done      = make(chan struct{})
		writeMu   sync.Mutex
		lastRead  = make(chan struct{}, 1)
	)
	closeConn := func() { closeOnce.Do(func() { close(done); conn.Close() }) }
	var pinger sync.WaitGroup
	defer pinger.Wait()
	defer closeConn()
	write := func(m Subscribe) error {
		writeMu.Lock()
		defer writeMu.Unlock()
		return conn.WriteJSON(m)
	}
	// Close the connection when ctx ends, and ping it when it is quiet;
	// drop it when the relay stays silent for two intervals.
	pinger.Go(func() {
		t := time.NewTicker(w.ping)
		defer t.Stop()
		idle := 0
		for {
			select {
			case <-ctx.Done():
				closeConn()
				return
			case <-done:
				return
			case <-lastRead:
				idle = 0
			case <-t.C:
				idle++
				if idle > 2 {
					closeConn()
					return
				}
				if idle > 1 {
					if write(Subscribe{ID: pingID, Op: OpPing}) != nil {
						closeConn()
						return
					}
				}
			}
		}
	})

	ids := make(map[uint64]string, len(w.channels))
	for i, ch := range w.channels {
		m := Subscribe{ID: uint64(i + 1), Op: OpSubscribe, Channel: ch}
		if p, ok := w.pos[ch]; ok && p.Epoch != "" {
			p := p
			m.Since = &p
		}
		ids[m.ID] = ch
		if err := write(m); err != nil {
			return false, err
		}
	}
	for {
		var f frame
		if err := conn.ReadJSON(&f); err != nil {
			return delivered, err
		}
		select {
		case lastRead <- struct{}{}:
		default:
		}
		if f.Channel != "" && f.Data != nil {
			if err := w.event(f); err != nil {
				return delivered, err
			}
			continue
		}
		if f.ID == pingID {
			continue
		}
		ch, ok := ids[f.ID]
		if !ok {
			if f.Error != nil {
				// An error that answers no frame of ours: the relay
				// is closing the connection or refusing it.
				return delivered, f.Error
			}
			continue
		}
		if f.Error != nil {
			if f.Error.Code == "unavailable" {
				return delivered, f.Error
			}
			return delivered, &PermanentError{Channel: ch, Err: f.Error}
		}
		delivered = true
		if err := w.subscribed(ch, f.Reply); err != nil {
			return delivered, err
		}
	}
}

// pingID is the id of Watch's pings; subscriptions count from 1.
const pingID = 1 << 62

// subscribed handles the reply to a subscribe.
func (w *watch) subscribed(ch string, r Reply) error {
	p, had := w.pos[ch]
	if had && p.Epoch != "" && r.Recovered != nil && !*r.Recovered {
		reason := r.Reason
		if reason == "" {
			reason = "history_gone"
		}
		if err := w.fn(Event{Channel: ch, Type: TypeMissed, Reason: reason}); err != nil {
			return callbackError{err}
		}
		if r.Position != nil {
			w.pos[ch] = *r.Position
		}
		return nil
	}
	if r.Position != nil && (!had || p.Epoch == "") {
		// A fresh subscription: what happens from here on is what a
		// reconnect must resume from.
		w.pos[ch] = *r.Position
	}
	return nil
}

// event delivers an event unless it was delivered already.
func (w *watch) event(f frame) error {
	ev := Event{Channel: f.Channel, Offset: f.Offset, Epoch: f.Epoch, Time: f.Time, Data: f.Data}
	if p, ok := w.pos[ev.Channel]; ok && p.Epoch == ev.Epoch && ev.Offset <= p.Offset {
		return nil // replayed and live copies of one event
	}
	ev.decode()
	if ev.Type == TypeMissed {
		ev.Type = "" // only Watch says so
	}
	w.pos[ev.Channel] = ev.Position()
	if err := w.fn(ev); err != nil {
		return callbackError{err}
	}
	return nil
}
