package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/veilsocial/veil/relay/api"
)

// ErrBadChannel is returned by Hub.Publish for a name ValidChannel refuses.
var ErrBadChannel = errors.New("hub: invalid channel name")

// Config configures a Hub. Zero fields take the defaults.
type Config struct {
	// ReadLimit is the largest client frame, in bytes (default 4096). A
	// larger one closes the connection with 1009 (message too big).
	ReadLimit int64
	// QueueSize bounds a connection's outbound queue, in frames (default
	// 256). When a live event or a reply finds it full, the connection is
	// cut off as a slow consumer.
	QueueSize int
	// PingInterval is how often the server pings (default 30s); PongWait how
	// long it waits for any frame or pong before dropping the connection
	// (default 60s; one not over PingInterval becomes 2×PingInterval); WriteWait bounds
	// each write and each broker call of a subscribe (default 10s).
	PingInterval, PongWait, WriteWait time.Duration
	// MaxConnections caps open connections (default 10,000). Past it the
	// upgrade is refused with 503 and code too_many.
	MaxConnections int
	// MaxSubscriptions caps the channels one connection subscribes to
	// (default 64). Past it subscribe answers too_many.
	MaxSubscriptions int
	// AllowedOrigins lists the Origin header values ("https://example.org")
	// a browser may connect from; empty (or "*") allows any. Requests
	// without an Origin header (not from a browser) are always allowed.
	AllowedOrigins []string
	// Registerer receives the hub's metrics (nil: not registered).
	Registerer prometheus.Registerer
	// Logger receives connection events (nil: discarded).
	Logger *slog.Logger

	// RecoverLimit is the most events one subscribe replays (default 1000).
	// A client that missed more is told recovered=false.
	RecoverLimit int
	// MaxErrors is how many error replies a connection gets before it is
	// closed with 1008 (policy violation) (default 10).
	MaxErrors int
}

// Defaults of Config.
const (
	DefaultReadLimit        = 4096
	DefaultQueueSize        = 256
	DefaultPingInterval     = 30 * time.Second
	DefaultPongWait         = 60 * time.Second
	DefaultWriteWait        = 10 * time.Second
	DefaultMaxConnections   = 10_000
	DefaultMaxSubscriptions = 64
	DefaultRecoverLimit     = 1000
	DefaultMaxErrors        = 10
)

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.ReadLimit <= 0 {
		c.ReadLimit = DefaultReadLimit
	}
	def(&c.QueueSize, DefaultQueueSize)
	def(&c.MaxConnections, DefaultMaxConnections)
	def(&c.MaxSubscriptions, DefaultMaxSubscriptions)
	def(&c.RecoverLimit, DefaultRecoverLimit)
	def(&c.MaxErrors, DefaultMaxErrors)
	defDur(&c.PingInterval, DefaultPingInterval)
	defDur(&c.PongWait, DefaultPongWait)
	defDur(&c.WriteWait, DefaultWriteWait)
	if c.PongWait <= c.PingInterval {
		c.PongWait = 2 * c.PingInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Stats is a snapshot of a hub.
type Stats struct {
	Connections   int // open connections
	Subscriptions int // subscriptions over all connections
	Channels      int // channels with at least one subscriber
}

// Hub serves the WebSocket endpoint: it upgrades connections, keeps their
// subscriptions and delivers the broker's events to them. It is safe for
// concurrent use.
type Hub struct {
	cfg      Config
	broker   Broker
	log      *slog.Logger
	m        *metrics
	upgrader websocket.Upgrader
	origins  map[string]bool // nil: any

	ctx         context.Context // bounds broker calls; cancelled by Shutdown
	cancel      context.CancelFunc
	unsubscribe func()
	brokerErr   error

	mu       sync.RWMutex
	channels map[string]map[*subscription]struct{}
	conns    map[*client]struct{}
	nconn    int // connections open or being upgraded
	closing  bool

	nsubs atomic.Int64
	wg    sync.WaitGroup // connection goroutines
}

// New returns a hub delivering the events of b. The hub subscribes to b at
// once; if that fails the error is logged and ServeHTTP answers 503. The hub
// does not own b: Shutdown leaves it open.
func New(cfg Config, b Broker) *Hub {
	cfg = cfg.withDefaults()
	h := &Hub{
		cfg:      cfg,
		broker:   b,
		log:      cfg.Logger,
		m:        newMetrics(cfg.Registerer),
		channels: make(map[string]map[*subscription]struct{}),
		conns:    make(map[*client]struct{}),
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	for _, o := range cfg.AllowedOrigins {
		if o == "*" {
			h.origins = nil
			break
		}
		if h.origins == nil {
			h.origins = make(map[string]bool)
		}
		h.origins[strings.ToLower(strings.TrimSuffix(o, "/"))] = true
	}
	h.upgrader = websocket.Upgrader{
		// Small buffers: an idle connection holds only the read buffer;
		// the write buffer is borrowed from the pool for each reply, and
		// live events are written as shared prepared frames.
		ReadBufferSize:  1024,
		WriteBufferSize: 1024,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*http.Request) bool { return true }, // checked in ServeHTTP
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			code := CodeBadRequest
			switch {
			case status == http.StatusMethodNotAllowed:
				code = api.CodeMethod
			case status >= 500:
				code = api.CodeInternal
			}
			h.reject(w, status, code, reason.Error())
		},
	}
	ctx, cancel := context.WithTimeout(h.ctx, cfg.WriteWait)
	defer cancel()
	unsub, err := b.Subscribe(ctx, h.dispatch)
	if err != nil {
		h.brokerErr = err
		h.log.Error("ws hub cannot subscribe to the broker", "err", err)
	}
	h.unsubscribe = unsub
	return h
}

// ServeHTTP is the /v1/ws endpoint: it upgrades the request to a WebSocket
// connection speaking the protocol of the package documentation. Refusals
// before the upgrade are JSON error documents (see relay/api).
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		h.reject(w, http.StatusBadRequest, CodeBadRequest, "this endpoint speaks WebSocket only")
		return
	}
	if !h.originAllowed(r.Header.Get("Origin")) {
		h.reject(w, http.StatusForbidden, CodeForbidden, "origin not allowed")
		return
	}
	if h.brokerErr != nil {
		h.reject(w, http.StatusServiceUnavailable, CodeUnavailable, "event broker unavailable")
		return
	}
	h.mu.Lock()
	switch {
	case h.closing:
		h.mu.Unlock()
		h.reject(w, http.StatusServiceUnavailable, CodeUnavailable, "relay shutting down")
		return
	case h.nconn >= h.cfg.MaxConnections:
		h.mu.Unlock()
		w.Header().Set("Retry-After", "5")
		h.reject(w, http.StatusServiceUnavailable, CodeTooMany, "too many connections")
		return
	}
	h.nconn++
	h.mu.Unlock()

	hj := &hijacker{ResponseWriter: w}
	ws, err := h.upgrader.Upgrade(hj, r, nil)
	if err != nil { // the upgrader has answered
		h.mu.Lock()
		h.nconn--
		h.mu.Unlock()
		return
	}
	c := newClient(h, ws, hj.conn, r.RemoteAddr)
	h.mu.Lock()
	if h.closing {
		h.nconn--
		h.mu.Unlock()
		_ = ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "relay shutting down"),
			time.Now().Add(time.Second))
		_ = ws.Close()
		return
	}
	h.conns[c] = struct{}{}
	h.wg.Add(2)
	h.mu.Unlock()
	h.m.connections.Inc()
	h.log.Debug("ws connected", "remote", c.remote)
	go c.writeLoop()
	go c.readLoop()
}

// reject answers a request that is not upgraded with the JSON error document.
func (h *Hub) reject(w http.ResponseWriter, status int, code, msg string) {
	h.m.rejected.WithLabelValues(code).Inc()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(api.Body{Error: &api.Error{Status: status, Code: code, Message: msg}})
}

func (h *Hub) originAllowed(origin string) bool {
	return origin == "" || h.origins == nil || h.origins[strings.ToLower(origin)]
}

// Publish publishes data (a JSON value) on channel through the broker.
func (h *Hub) Publish(ctx context.Context, channel string, data []byte) (Position, error) {
	if !ValidChannel(channel) {
		return Position{}, fmt.Errorf("%w: %q", ErrBadChannel, channel)
	}
	return h.broker.Publish(ctx, channel, data)
}

// Stats reports the hub's connections and subscriptions.
func (h *Hub) Stats() Stats {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return Stats{Connections: len(h.conns), Subscriptions: int(h.nsubs.Load()), Channels: len(h.channels)}
}

// Shutdown refuses new connections, closes every connection with a close
// frame "going away" and waits until all their goroutines have returned. If
// ctx ends first it drops the remaining connections at once, waits for
// their goroutines all the same (they end promptly) and returns ctx's error.
// It does not close the broker.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	first := !h.closing
	h.closing = true
	conns := make([]*client, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	if first {
		if h.unsubscribe != nil {
			h.unsubscribe()
		}
		h.cancel()
	}
	for _, c := range conns {
		c.close(websocket.CloseGoingAway, "relay shutting down")
	}
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, c := range conns {
			_ = c.ws.NetConn().Close()
		}
		<-done
		return ctx.Err()
	}
}

// delivery is a live event on its way to the subscribers of its channel:
// encoded once, framed once, shared by every connection.
type delivery struct {
	pm     *websocket.PreparedMessage
	epoch  string
	offset uint64
	time   int64 // publish time, UnixNano
}

// dispatch is the broker's callback. It never blocks: each connection gets
// the event through a non-blocking enqueue (or is cut off).
func (h *Hub) dispatch(ev Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	subs := h.channels[ev.Channel]
	if len(subs) == 0 {
		return
	}
	data, err := json.Marshal(ev)
	if err != nil {
		h.log.Error("ws cannot encode event", "channel", ev.Channel, "offset", ev.Offset, "err", err)
		return
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, data)
	if err != nil {
		h.log.Error("ws cannot frame event", "channel", ev.Channel, "err", err)
		return
	}
	d := delivery{pm: pm, epoch: ev.Epoch, offset: ev.Offset, time: ev.Time.UnixNano()}
	for s := range subs {
		s.c.deliver(s, d)
	}
}

func (h *Hub) addSub(s *subscription) {
	h.mu.Lock()
	subs := h.channels[s.channel]
	if subs == nil {
		subs = make(map[*subscription]struct{})
		h.channels[s.channel] = subs
	}
	subs[s] = struct{}{}
	h.mu.Unlock()
	h.nsubs.Add(1)
	h.m.subscriptions.Inc()
}

func (h *Hub) removeSubs(ss ...*subscription) {
	if len(ss) == 0 {
		return
	}
	h.mu.Lock()
	for _, s := range ss {
		subs := h.channels[s.channel]
		delete(subs, s)
		if len(subs) == 0 {
			delete(h.channels, s.channel)
		}
	}
	h.mu.Unlock()
	h.nsubs.Add(-int64(len(ss)))
	h.m.subscriptions.Sub(float64(len(ss)))
}

func (h *Hub) removeConn(c *client) {
	h.mu.Lock()
	delete(h.conns, c)
	h.nconn--
	h.mu.Unlock()
	h.m.connections.Dec()
}
