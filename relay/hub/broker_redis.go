package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// RedisConfig configures a RedisBroker. Zero fields take the defaults.
type RedisConfig struct {
	// Client is the Redis the broker uses (a *redis.Client, or a failover
	// client for Sentinel). The broker does not close it. For Publish and
	// History to give up quickly when Redis is away, give it
	// ContextTimeoutEnabled (the broker bounds each call with a context).
	// Redis Cluster is not supported: one publish writes a site-wide key.
	Client redis.UniversalClient
	// URL ("redis://host:6379/0", "rediss://…") is used when Client is nil;
	// the broker then owns the client and closes it.
	URL string
	// Prefix starts every key of the broker and its pub/sub channel
	// (default "veil:"). The relays of one site use the same prefix.
	Prefix string
	// HistorySize is how many events each channel keeps (default 1000).
	HistorySize int
	// HistoryTTL is how long an event is kept (default 24h).
	HistoryTTL time.Duration
	// MetaTTL is how long a channel's epoch and offset outlive its last
	// publish (default 30 days, at least HistoryTTL). After that the channel
	// comes back under a new epoch, as a MemoryBroker's dropped channel does.
	MetaTTL time.Duration
	// FeedSize is how many events of the whole site the feed log keeps
	// (default 10,000): a process whose pub/sub connection drops catches up
	// from it when it reconnects. See RedisBroker.
	FeedSize int
	// Timeout bounds each call to Redis (default 2s): a Publish or History
	// with Redis away fails within it.
	Timeout time.Duration
	// HealthInterval is how often the broker checks Redis and its pub/sub
	// connection (default 1s).
	HealthInterval time.Duration
	// Registerer receives the broker's metrics (nil: not registered).
	Registerer prometheus.Registerer
	// Logger receives outages and recoveries (nil: discarded).
	Logger *slog.Logger
}

// Defaults of RedisConfig.
const (
	DefaultRedisPrefix    = "veil:"
	DefaultMetaTTL        = 30 * 24 * time.Hour
	DefaultFeedSize       = 10_000
	DefaultRedisTimeout   = 2 * time.Second
	DefaultHealthInterval = time.Second
)

const (
	// maxTracked bounds the channels whose last delivered position the
	// feed remembers to detect per-channel gaps (least recently used go).
	maxTracked = 100_000
	// logBatch is how many feed log entries one catch-up read fetches.
	logBatch = 512
	// Reconnection backoff of the pub/sub connection.
	minBackoff, maxBackoff = 50 * time.Millisecond, 2 * time.Second
)

func (c RedisConfig) withDefaults() RedisConfig {
	if c.Prefix == "" {
		c.Prefix = DefaultRedisPrefix
	}
	if c.HistorySize <= 0 {
		c.HistorySize = defaultHistorySize
	}
	if c.HistoryTTL <= 0 {
		c.HistoryTTL = defaultHistoryTTL
	}
	if c.MetaTTL <= 0 {
		c.MetaTTL = DefaultMetaTTL
	}
	c.MetaTTL = max(c.MetaTTL, c.HistoryTTL)
	if c.FeedSize <= 0 {
		c.FeedSize = DefaultFeedSize
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultRedisTimeout
	}
	if c.HealthInterval <= 0 {
		c.HealthInterval = DefaultHealthInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// RedisBroker is a Broker whose channels live in Redis, so that several
// relay processes sharing one Redis serve one site: an event published
// through any of them reaches the subscribers of all, and a client resumes
// on any of them.
//
// # Keys
//
// Under the prefix P, each channel C has a hash P+"meta:"+C holding its
// epoch and last offset, and a stream P+"stream:"+C holding its history,
// one entry per event with the ID "0-<offset>", trimmed to HistorySize
// entries and to HistoryTTL. The epoch is a random value set when the hash
// is created; if Redis loses the hash (a restart without persistence, a
// flush, expiry after MetaTTL) the next publish or history read creates it
// under a new epoch, so clients holding the old one are told history_gone.
// Redis persistence decides what survives a crash: with appendfsync always
// nothing acknowledged is lost; with a weaker setting a restart may take
// offsets back under the same epoch, and a client that had seen the lost
// events is then ahead of the channel, which is history_gone too.
//
// One Lua script publishes atomically: it bumps the channel's offset,
// appends to its stream, bumps the site-wide feed sequence in the hash
// P+"feed" (which has its own epoch), appends the encoded event to the feed
// log P+"log" (a stream of the last FeedSize events of every channel, ID
// "0-<sequence>") and PUBLISHes it on the pub/sub channel P+"events".
// Another script reads a channel's history and position.
//
// # The live feed and its gaps
//
// The first Subscribe starts one goroutine that holds a pub/sub connection
// subscribed to P+"events" and calls the subscribers' functions, in feed
// order (so in offset order per channel). Pub/sub drops what is published
// while a connection is down (a network cut, Redis restarting, Redis
// cutting a slow pub/sub client off), so the feed does not rely on it alone:
//
//   - Each message carries its feed sequence. After connecting (again), the
//     goroutine reads the feed log from the last sequence it delivered and
//     delivers what it missed, then goes on with pub/sub, skipping what it
//     has delivered already; a jump in the sequence while connected is
//     filled from the log the same way. Subscribers get every event, in
//     order, once, through any outage of the connection or of Redis, as
//     long as Redis keeps its data and the log reaches back.
//   - Per channel it checks offsets too: an event more than one past the
//     last one delivered on its channel comes after the missing ones, read
//     from the channel's history; one at or below it is not delivered again.
//   - When the log no longer reaches back (the connection was down for
//     more than FeedSize events of the whole site), the goroutine reads the
//     position of every channel it tracks (the last 100,000 it delivered
//     events of or was asked the history of) and delivers what each missed
//     from its history. Events of other channels in that stretch, and those
//     that history no longer has, are not delivered by this process: the
//     next event of such a channel is delivered with its own offset, and the
//     hub passes it on as it is, so a client sees the offsets jump (and gets
//     the missed events, or history_gone, when it subscribes again with
//     since). veil_broker_redis_feed_overruns_total counts these stretches,
//     veil_broker_redis_feed_lost_total the events of tracked channels lost,
//     and veil_broker_redis_feed_recovered_total{from} the events delivered
//     from the log or from history.
//   - If Redis lost its data, the feed comes back under a new feed epoch and
//     every event of it is new; if Redis went back in time (restarted from
//     an older file) the goroutine forgets what it tracked.
//
// The hub subscribes a client by registering it, then asking History for
// the channel's position, and drops the live events at or below that
// position. With the memory broker no event can cross that read; here a
// live event could still be on its way from Redis. So History, once the
// feed runs, also reads the feed's sequence and returns only when the feed
// has delivered every event up to it (or fails after Timeout, and the hub
// answers unavailable): each event then reaches a subscribing client
// exactly once, from history or live.
//
// # Outages
//
// With Redis away, Publish and History fail within Timeout, Healthy is
// false (veil_broker_redis_up 0), and the feed goroutine reconnects with
// backoff (up to 2s between attempts) until Redis answers, then catches up
// as above by itself. NewRedisBroker, though, fails if Redis does not
// answer, so that a wrong address is found at startup.
//
// Event times are the publishing process's clock, to the microsecond; the
// relays of one site should use the same RedisConfig.
type RedisBroker struct {
	cfg    RedisConfig
	client redis.UniversalClient
	owned  bool
	log    *slog.Logger
	now    func() time.Time // test hook

	metaPrefix, streamPrefix string
	feedKey, logKey, pubsub  string

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool
	once   sync.Once

	redisUp atomic.Bool // the last check or call reached Redis
	feedUp  atomic.Bool // the feed is subscribed and caught up
	started atomic.Bool // the feed goroutine runs
	startMu sync.Mutex

	subMu sync.RWMutex // held for reading while subscribers are called
	subs  []*redisSub

	psMu sync.Mutex
	ps   *redis.PubSub // the feed's connection, closed by Close

	// The feed's position: what it has delivered. Written by the feed
	// goroutine (and the first Subscribe) under feedMu; History waits on it.
	feedMu   sync.Mutex
	cur      feedPos
	feedWake chan struct{} // closed when cur advances, if someone waits

	trackMu sync.Mutex
	tracked tracker

	recovered  *prometheus.CounterVec
	overruns   prometheus.Counter
	lostEvents prometheus.Counter
	reconnects prometheus.Counter

	onFeedDown atomic.Pointer[func()] // test hook: runs when the feed connection has failed, before reconnecting
}

type redisSub struct{ fn func(Event) }

// feedPos is a place in the site-wide feed.
type feedPos struct {
	epoch string // "" while no event has been published since Redis started empty
	seq   uint64
	known bool // false until the first read of the feed
}

var _ Broker = (*RedisBroker)(nil)

// NewRedisBroker returns a broker on the Redis of cfg, once Redis answers
// (within ctx). Close it to stop its goroutines.
func NewRedisBroker(ctx context.Context, cfg RedisConfig) (*RedisBroker, error) {
	cfg = cfg.withDefaults()
	client, owned := cfg.Client, false
	if client == nil {
		if cfg.URL == "" {
			return nil, errors.New("hub: redis broker: neither Client nor URL given")
		}
		opt, err := redis.ParseURL(cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("hub: redis broker: %w", err)
		}
		opt.ContextTimeoutEnabled = true
		if opt.DialerRetries == 0 {
			// Fail fast on a Redis that is down (connection refused): the
			// client's command retries and the feed's backoff retry anyway.
			opt.DialerRetries = 1
		}
		client, owned = redis.NewClient(opt), true
	}
	b := &RedisBroker{
		cfg:          cfg,
		client:       client,
		owned:        owned,
		log:          cfg.Logger,
		now:          time.Now,
		metaPrefix:   cfg.Prefix + "meta:",
		streamPrefix: cfg.Prefix + "stream:",
		feedKey:      cfg.Prefix + "feed",
		logKey:       cfg.Prefix + "log",
		pubsub:       cfg.Prefix + "events",
		tracked:      newTracker(maxTracked),
	}
	pctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	err := client.Ping(pctx).Err()
	if err == nil {
		err = redis.NewScript("return 1").Run(pctx, client, nil).Err() // scripting is available
	}
	cancel()
	if err != nil {
		if owned {
			_ = client.Close()
		}
		return nil, fmt.Errorf("hub: redis broker: cannot use redis: %w", err)
	}
	b.redisUp.Store(true)
	b.initMetrics(cfg.Registerer)
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.wg.Add(1)
	go b.monitor()
	return b, nil
}

func (b *RedisBroker) initMetrics(reg prometheus.Registerer) {
	up := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "veil_broker_redis_up",
		Help: "1 while the Redis broker reaches Redis and its live feed is connected, else 0.",
	}, func() float64 {
		if b.Healthy() {
			return 1
		}
		return 0
	})
	b.recovered = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "veil_broker_redis_feed_recovered_total",
		Help: "Events the Redis broker's live feed missed on pub/sub and delivered all the same, by where it read them (log: the feed log, history: the channel's history).",
	}, []string{"from"})
	b.overruns = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "veil_broker_redis_feed_overruns_total",
		Help: "Times the Redis broker's live feed was behind by more than the feed log keeps (events of channels it did not track were lost to it).",
	})
	b.lostEvents = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "veil_broker_redis_feed_lost_total",
		Help: "Events of tracked channels the Redis broker's live feed missed and could not read back from history.",
	})
	b.reconnects = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "veil_broker_redis_feed_reconnects_total",
		Help: "Times the Redis broker's live feed lost its pub/sub connection.",
	})
	if reg != nil {
		register(reg, prometheus.Collector(up))
		b.recovered = register(reg, b.recovered)
		b.overruns = register(reg, b.overruns)
		b.lostEvents = register(reg, b.lostEvents)
		b.reconnects = register(reg, b.reconnects)
	}
}

// Healthy reports whether the broker reaches Redis and, once something
// subscribed, whether its live feed is connected and caught up. A relay
// reports itself degraded while it is false; the broker recovers by itself.
func (b *RedisBroker) Healthy() bool {
	if b.closed.Load() || !b.redisUp.Load() {
		return false
	}
	return !b.started.Load() || b.feedUp.Load()
}

// publishScript appends an event to a channel and to the feed, and
// publishes it. See RedisBroker for the keys.
//
// KEYS: 1 channel meta, 2 channel stream, 3 feed, 4 feed log.
// ARGV: 1 channel, 2 data, 3 epoch for a new channel, 4 epoch for a new
// feed, 5 now (µs), 6 cutoff (µs: older events expire), 7 history size,
// 8 history TTL (ms), 9 meta TTL (ms), 10 feed log size, 11 pub/sub channel.
// It returns the event's epoch and offset.
var publishScript = redis.NewScript(luaExpire + `
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
	epoch = ARGV[3]
	redis.call('DEL', KEYS[2])
	redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0)
end
local offset = redis.call('HINCRBY', KEYS[1], 'o', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[9])
local id = string.format('0-%d', offset)
local r = redis.pcall('XADD', KEYS[2], 'MAXLEN', ARGV[7], id, 'd', ARGV[2], 't', ARGV[5])
if type(r) == 'table' and r.err then
	-- a stream ahead of the offset cannot be kept under this epoch's offsets
	redis.call('DEL', KEYS[2])
	redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[7], id, 'd', ARGV[2], 't', ARGV[5])
end
expire(KEYS[2], tonumber(ARGV[6]))
redis.call('PEXPIRE', KEYS[2], ARGV[8])

local feed = redis.call('HGET', KEYS[3], 'e')
if not feed then
	feed = ARGV[4]
	redis.call('DEL', KEYS[4])
	redis.call('HSET', KEYS[3], 'e', feed, 's', 0)
end
local seq = redis.call('HINCRBY', KEYS[3], 's', 1)
local msg = string.format('%s %d %s %d %s %d ', feed, seq, epoch, offset, ARGV[5], string.len(ARGV[1])) .. ARGV[1] .. ARGV[2]
local sid = string.format('0-%d', seq)
r = redis.pcall('XADD', KEYS[4], 'MAXLEN', ARGV[10], sid, 'm', msg)
if type(r) == 'table' and r.err then
	redis.call('DEL', KEYS[4])
	redis.call('XADD', KEYS[4], 'MAXLEN', ARGV[10], sid, 'm', msg)
end
redis.call('PUBLISH', ARGV[11], msg)
return {epoch, offset}
`)

// historyScript reads a channel's position, the feed's position and, with
// a limit, the events after since. A channel without meta is started.
//
// KEYS: 1 channel meta, 2 channel stream, 3 feed.
// ARGV: 1 epoch for a new channel, 2 cutoff (µs), 3 since, 4 limit,
// 5 TTL of a new channel's meta (ms).
// It returns {epoch, offset, feed epoch, feed seq, gone (0/1), events};
// each event is {id, {field, value, …}}.
var historyScript = redis.NewScript(luaExpire + `
local meta = redis.call('HMGET', KEYS[1], 'e', 'o')
local epoch, offset = meta[1], tonumber(meta[2]) or 0
if not epoch then
	epoch, offset = ARGV[1], 0
	redis.call('DEL', KEYS[2])
	redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0)
	redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
local feed = redis.call('HMGET', KEYS[3], 'e', 's')
local fe, fs = feed[1] or '', tonumber(feed[2]) or 0
local limit = tonumber(ARGV[4])
if limit <= 0 then
	return {epoch, offset, fe, fs, 0}
end
local first = expire(KEYS[2], tonumber(ARGV[2])) or offset + 1
local since = tonumber(ARGV[3])
if since > offset or since + 1 < first then
	return {epoch, offset, fe, fs, 1}
end
local evs = redis.call('XRANGE', KEYS[2], string.format('0-%d', since + 1), '+', 'COUNT', limit)
return {epoch, offset, fe, fs, 0, evs}
`)

// luaExpire deletes the entries of a channel stream older than cutoff from
// its head and returns the offset of the oldest one kept (nil if none).
const luaExpire = `
local function expire(stream, cutoff)
	while true do
		local head = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
		if #head == 0 then
			return nil
		end
		local f, t = head[1][2], 0
		for i = 1, #f, 2 do
			if f[i] == 't' then
				t = tonumber(f[i + 1])
			end
		end
		if t >= cutoff then
			return tonumber(string.sub(head[1][1], 3))
		end
		redis.call('XDEL', stream, head[1][1])
	end
end
`

// Publish implements Broker. It fails within Timeout when Redis is away.
// An event is published at least once: if the connection breaks after Redis
// ran the script, the client's retry may publish it again under the next
// offset.
func (b *RedisBroker) Publish(ctx context.Context, channel string, data []byte) (Position, error) {
	if b.closed.Load() {
		return Position{}, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return Position{}, err
	}
	if !json.Valid(data) {
		return Position{}, ErrInvalidData
	}
	now := b.now().UnixMicro()
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	res, err := publishScript.Run(ctx, b.client,
		[]string{b.metaPrefix + channel, b.streamPrefix + channel, b.feedKey, b.logKey},
		channel, data, newEpoch(), newEpoch(), now, now-b.cfg.HistoryTTL.Microseconds(),
		b.cfg.HistorySize, b.cfg.HistoryTTL.Milliseconds(), b.cfg.MetaTTL.Milliseconds(),
		b.cfg.FeedSize, b.pubsub,
	).Slice()
	if err != nil {
		b.callFailed(err)
		return Position{}, fmt.Errorf("hub: redis broker: publish: %w", err)
	}
	b.redisUp.Store(true)
	if len(res) != 2 {
		return Position{}, fmt.Errorf("hub: redis broker: publish answered %v", res)
	}
	epoch, _ := res[0].(string)
	offset, _ := res[1].(int64)
	return Position{Epoch: epoch, Offset: uint64(offset)}, nil
}

// Subscribe implements Broker. The first call starts the live feed; fn is
// called from its goroutine. When Redis is away the subscription is made
// all the same and its events flow once Redis answers again. ctx bounds
// only the call.
func (b *RedisBroker) Subscribe(ctx context.Context, fn func(Event)) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.closed.Load() {
		return nil, ErrClosed
	}
	s := &redisSub{fn: fn}
	b.subMu.Lock()
	b.subs = append(b.subs[:len(b.subs):len(b.subs)], s)
	b.subMu.Unlock()
	b.startFeed(ctx)
	var once sync.Once
	return func() {
		once.Do(func() {
			b.subMu.Lock()
			subs := make([]*redisSub, 0, len(b.subs))
			for _, x := range b.subs {
				if x != s {
					subs = append(subs, x)
				}
			}
			b.subs = subs
			b.subMu.Unlock()
		})
	}, nil
}

// startFeed starts the feed goroutine once. It first reads where the feed
// stands, so that every event published after this call is delivered even
// if the pub/sub connection comes up later.
func (b *RedisBroker) startFeed(ctx context.Context) {
	b.startMu.Lock()
	defer b.startMu.Unlock()
	if b.started.Load() || b.closed.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	fp, err := b.readFeed(ctx)
	cancel()
	if err != nil {
		b.log.Warn("redis broker: cannot read the feed position; the feed starts when Redis answers", "err", err)
	} else {
		b.setCur(fp)
	}
	b.started.Store(true)
	b.wg.Add(1)
	go b.run()
}

// History implements Broker. Asking for an unknown channel starts it, so the
// position returned names the epoch its first events will carry. Once the
// live feed runs, History returns only when the feed has delivered every
// event up to the position returned (see RedisBroker).
func (b *RedisBroker) History(ctx context.Context, channel string, since uint64, limit int) ([]Event, Position, error) {
	if b.closed.Load() {
		return nil, Position{}, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, Position{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	h, err := b.readHistory(ctx, channel, since, limit)
	if err != nil {
		return nil, Position{}, err
	}
	if b.started.Load() {
		if err := b.waitFeed(ctx, h.feed); err != nil {
			return nil, Position{}, err
		}
		b.trackMu.Lock()
		b.tracked.merge(channel, h.pos, h.feed.seq)
		b.trackMu.Unlock()
	}
	if h.gone {
		return nil, h.pos, ErrHistoryGone
	}
	return h.events, h.pos, nil
}

type history struct {
	events []Event
	pos    Position
	feed   feedPos
	gone   bool
}

// readHistory runs historyScript.
func (b *RedisBroker) readHistory(ctx context.Context, channel string, since uint64, limit int) (history, error) {
	now := b.now().UnixMicro()
	res, err := historyScript.Run(ctx, b.client,
		[]string{b.metaPrefix + channel, b.streamPrefix + channel, b.feedKey},
		newEpoch(), now-b.cfg.HistoryTTL.Microseconds(), strconv.FormatUint(since, 10), limit,
		b.cfg.HistoryTTL.Milliseconds(),
	).Slice()
	if err != nil {
		b.callFailed(err)
		return history{}, fmt.Errorf("hub: redis broker: history: %w", err)
	}
	b.redisUp.Store(true)
	bad := func() (history, error) {
		return history{}, fmt.Errorf("hub: redis broker: history answered %v", res)
	}
	if len(res) < 5 {
		return bad()
	}
	var h history
	var ok [5]bool
	var offset, seq, gone int64
	h.pos.Epoch, ok[0] = res[0].(string)
	offset, ok[1] = res[1].(int64)
	h.feed.epoch, ok[2] = res[2].(string)
	seq, ok[3] = res[3].(int64)
	gone, ok[4] = res[4].(int64)
	if ok != [5]bool{true, true, true, true, true} {
		return bad()
	}
	h.pos.Offset, h.feed.seq, h.feed.known, h.gone = uint64(offset), uint64(seq), true, gone == 1
	if len(res) < 6 {
		return h, nil
	}
	entries, _ := res[5].([]any)
	h.events = make([]Event, 0, len(entries))
	for _, e := range entries {
		ev, err := parseEntry(channel, h.pos.Epoch, e)
		if err != nil {
			return history{}, fmt.Errorf("hub: redis broker: history of %s: %w", channel, err)
		}
		h.events = append(h.events, ev)
	}
	return h, nil
}

// parseEntry decodes a channel stream entry {"0-<offset>", {"d", data, "t", µs}}.
func parseEntry(channel, epoch string, e any) (Event, error) {
	pair, _ := e.([]any)
	if len(pair) != 2 {
		return Event{}, fmt.Errorf("bad entry %v", e)
	}
	id, _ := pair[0].(string)
	offset, err := idNumber(id)
	if err != nil {
		return Event{}, err
	}
	fields, _ := pair[1].([]any)
	ev := Event{Channel: channel, Epoch: epoch, Offset: offset}
	for i := 0; i+1 < len(fields); i += 2 {
		k, _ := fields[i].(string)
		v, _ := fields[i+1].(string)
		switch k {
		case "d":
			ev.Data = json.RawMessage(v)
		case "t":
			us, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return Event{}, fmt.Errorf("entry %s: bad time %q", id, v)
			}
			ev.Time = time.UnixMicro(us).UTC()
		}
	}
	if ev.Data == nil {
		return Event{}, fmt.Errorf("entry %s has no data", id)
	}
	return ev, nil
}

// idNumber parses a stream ID "0-<n>".
func idNumber(id string) (uint64, error) {
	n, ok := strings.CutPrefix(id, "0-")
	if !ok {
		return 0, fmt.Errorf("bad stream ID %q", id)
	}
	v, err := strconv.ParseUint(n, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad stream ID %q", id)
	}
	return v, nil
}

// Close stops the feed and the health checks, drops the subscribers and, if
// the broker made the client from a URL, closes it. History in Redis stays.
func (b *RedisBroker) Close() error {
	b.once.Do(func() {
		b.startMu.Lock() // no feed starts from here on
		b.closed.Store(true)
		b.startMu.Unlock()
		b.cancel()
		b.psMu.Lock()
		if b.ps != nil {
			_ = b.ps.Close()
		}
		b.psMu.Unlock()
		b.wg.Wait()
		b.subMu.Lock()
		b.subs = nil
		b.subMu.Unlock()
		if b.owned {
			_ = b.client.Close()
		}
	})
	return nil
}

// callFailed notes a failed call: one that did not reach Redis makes the
// broker unhealthy until the next successful call or check.
func (b *RedisBroker) callFailed(err error) {
	var rerr redis.Error
	if errors.As(err, &rerr) || errors.Is(err, context.Canceled) {
		return // Redis answered with an error, or the caller gave up
	}
	if b.redisUp.CompareAndSwap(true, false) {
		b.log.Warn("redis broker: redis is unreachable", "err", err)
	}
}

// monitor pings Redis every HealthInterval until Close.
func (b *RedisBroker) monitor() {
	defer b.wg.Done()
	t := time.NewTicker(b.cfg.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(b.ctx, b.cfg.Timeout)
		err := b.client.Ping(ctx).Err()
		cancel()
		switch {
		case b.ctx.Err() != nil:
			return
		case err != nil:
			b.callFailed(err)
		case b.redisUp.CompareAndSwap(false, true):
			b.log.Info("redis broker: redis answers again")
		}
	}
}

// run is the feed goroutine: it keeps a pub/sub connection, reconnecting
// with backoff, until Close.
func (b *RedisBroker) run() {
	defer b.wg.Done()
	backoff := minBackoff
	for b.ctx.Err() == nil {
		live, err := b.consume()
		wasUp := b.feedUp.Swap(false)
		if b.ctx.Err() != nil {
			return
		}
		if wasUp {
			b.reconnects.Inc()
			b.log.Warn("redis broker: live feed disconnected; reconnecting", "err", err)
		} else {
			b.log.Debug("redis broker: live feed cannot connect", "err", err)
		}
		if hook := b.onFeedDown.Load(); hook != nil {
			(*hook)()
		}
		if live {
			backoff = minBackoff
		}
		wait := backoff/2 + rand.N(backoff/2+1) // jitter, so relays do not reconnect in step
		select {
		case <-b.ctx.Done():
			return
		case <-time.After(wait):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// consume runs one pub/sub connection: subscribe, catch up from the log,
// then deliver what pub/sub brings until the connection fails. live reports
// whether it got that far.
func (b *RedisBroker) consume() (live bool, err error) {
	ps := b.client.Subscribe(b.ctx) // no channel yet: does not connect
	b.psMu.Lock()
	if b.ctx.Err() != nil {
		b.psMu.Unlock()
		_ = ps.Close()
		return false, b.ctx.Err()
	}
	b.ps = ps
	b.psMu.Unlock()
	defer func() {
		b.psMu.Lock()
		b.ps = nil
		b.psMu.Unlock()
		_ = ps.Close()
	}()

	ctx, cancel := context.WithTimeout(b.ctx, b.cfg.Timeout)
	err = ps.Subscribe(ctx, b.pubsub)
	cancel()
	if err != nil {
		return false, err
	}
	// The confirmation comes first: from then on pub/sub has every event,
	// so the catch-up below and pub/sub overlap rather than leave a hole.
	msg, err := ps.ReceiveTimeout(b.ctx, b.cfg.Timeout)
	if err != nil {
		return false, err
	}
	if _, ok := msg.(*redis.Subscription); !ok {
		return false, fmt.Errorf("pub/sub answered %T to subscribe", msg)
	}
	if err := b.catchUp(); err != nil {
		return false, err
	}
	if !b.feedUp.Swap(true) {
		b.log.Info("redis broker: live feed connected")
	}

	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(b.ctx, b.cfg.HealthInterval)
		if err != nil {
			if !isNetTimeout(err) || b.ctx.Err() != nil {
				return true, err
			}
			if pinged {
				return true, errors.New("no answer to ping on the pub/sub connection")
			}
			ctx, cancel := context.WithTimeout(b.ctx, b.cfg.Timeout)
			err = ps.Ping(ctx)
			cancel()
			if err != nil {
				return true, err
			}
			pinged = true
			continue
		}
		pinged = false
		if m, ok := msg.(*redis.Message); ok {
			if err := b.handle(m.Payload); err != nil {
				return true, err
			}
		}
	}
}

func isNetTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout() && !errors.Is(err, context.DeadlineExceeded)
}

// readFeed reads the feed's epoch and sequence.
func (b *RedisBroker) readFeed(ctx context.Context) (feedPos, error) {
	v, err := b.client.HMGet(ctx, b.feedKey, "e", "s").Result()
	if err != nil {
		return feedPos{}, err
	}
	fp := feedPos{known: true}
	fp.epoch, _ = v[0].(string)
	if s, _ := v[1].(string); s != "" {
		if fp.seq, err = strconv.ParseUint(s, 10, 64); err != nil {
			return feedPos{}, fmt.Errorf("feed sequence %q: %w", s, err)
		}
	}
	return fp, nil
}

// catchUp runs after (re)subscribing: it delivers from the feed log what
// was published since the last event delivered.
func (b *RedisBroker) catchUp() error {
	ctx, cancel := context.WithTimeout(b.ctx, b.cfg.Timeout)
	fp, err := b.readFeed(ctx)
	cancel()
	if err != nil {
		return err
	}
	cur := b.cur
	switch {
	case !cur.known:
		b.setCur(fp) // the first connection: start from here
		return nil
	case fp.epoch == "":
		// Nothing published since Redis lost its data: what comes is new.
		if cur.epoch != "" {
			b.newFeed("")
		}
		return nil
	case fp.epoch != cur.epoch:
		b.newFeed(fp.epoch)
	case fp.seq < cur.seq:
		b.log.Warn("redis broker: the feed went back in time (Redis restarted from older data); forgetting tracked channels",
			"was", cur.seq, "now", fp.seq)
		b.trackMu.Lock()
		b.tracked.clear()
		b.trackMu.Unlock()
		b.setCur(fp)
		return nil
	}
	return b.fillFromLog(fp.seq)
}

// newFeed starts over under a new feed epoch: every event of the new feed
// is to be delivered. Unless the feed is new (the first publish on an empty
// Redis), Redis lost its data.
func (b *RedisBroker) newFeed(epoch string) {
	if b.cur.epoch != "" {
		b.log.Warn("redis broker: the feed has a new epoch (Redis lost its data)", "was", b.cur.epoch, "now", epoch)
		b.trackMu.Lock()
		b.tracked.clear() // the channels have new epochs too
		b.trackMu.Unlock()
	}
	b.setCur(feedPos{epoch: epoch, known: true})
}

// handle delivers one pub/sub message, first filling a jump in the feed
// sequence from the log. An error means Redis failed: the connection is
// dropped and the catch-up after reconnecting takes it from there.
func (b *RedisBroker) handle(payload string) error {
	m, err := parseFeedMessage(payload)
	if err != nil {
		b.log.Error("redis broker: bad feed message", "err", err)
		return nil
	}
	if m.feed != b.cur.epoch {
		b.newFeed(m.feed)
	}
	if m.seq <= b.cur.seq {
		return nil // delivered already, from the log
	}
	if m.seq > b.cur.seq+1 {
		if err := b.fillFromLog(m.seq - 1); err != nil {
			return err
		}
	}
	return b.deliver(m)
}

// fillFromLog delivers the events of the feed log after the current
// sequence up to seq "to" (inclusive).
func (b *RedisBroker) fillFromLog(to uint64) error {
	for b.cur.seq < to {
		from := b.cur.seq + 1
		ctx, cancel := context.WithTimeout(b.ctx, b.cfg.Timeout)
		msgs, err := b.client.XRangeN(ctx, b.logKey, "0-"+strconv.FormatUint(from, 10),
			"0-"+strconv.FormatUint(to, 10), logBatch).Result()
		cancel()
		if err != nil {
			return err
		}
		next := to + 1 // the first sequence the log still has
		if len(msgs) > 0 {
			if next, err = idNumber(msgs[0].ID); err != nil {
				return err
			}
		}
		if next > from {
			if err := b.lost(from, next-1); err != nil {
				return err
			}
		}
		for _, x := range msgs {
			payload, _ := x.Values["m"].(string)
			m, err := parseFeedMessage(payload)
			if err != nil {
				b.log.Error("redis broker: bad feed log entry", "id", x.ID, "err", err)
				continue
			}
			if m.feed != b.cur.epoch || m.seq <= b.cur.seq {
				continue
			}
			if err := b.deliver(m); err != nil {
				return err
			}
			b.recovered.WithLabelValues("log").Inc()
		}
	}
	return nil
}

// lost handles feed sequences [from, to] that the log no longer has: every
// tracked channel gets what it missed from its history.
func (b *RedisBroker) lost(from, to uint64) error {
	b.overruns.Inc()
	b.trackMu.Lock()
	chans := b.tracked.snapshot()
	b.trackMu.Unlock()
	b.log.Warn("redis broker: the feed log no longer reaches back; repairing tracked channels from their history",
		"missed_from", from, "missed_to", to, "tracked", len(chans))
	var repaired uint64
	for len(chans) > 0 {
		batch := chans[:min(len(chans), logBatch)]
		chans = chans[len(batch):]
		ctx, cancel := context.WithTimeout(b.ctx, b.cfg.Timeout)
		pipe := b.client.Pipeline()
		cmds := make([]*redis.SliceCmd, len(batch))
		for i, t := range batch {
			cmds[i] = pipe.HMGet(ctx, b.metaPrefix+t.ch, "e", "o")
		}
		_, err := pipe.Exec(ctx)
		cancel()
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		for i, t := range batch {
			v := cmds[i].Val()
			if len(v) != 2 {
				continue
			}
			epoch, _ := v[0].(string)
			s, _ := v[1].(string)
			offset, _ := strconv.ParseUint(s, 10, 64)
			if epoch != t.pos.Epoch || offset <= t.pos.Offset {
				continue // nothing missed, or a new stream: its events start it
			}
			n, err := b.fillChannel(t.ch, t.pos, offset+1)
			if err != nil {
				return err
			}
			b.lostEvents.Add(float64(offset - t.pos.Offset - n))
			repaired += n
		}
	}
	b.setSeq(to)
	if repaired > 0 {
		b.log.Info("redis broker: repaired channels from their history", "events", repaired)
	}
	return nil
}

// deliver hands a feed event to the subscribers, after the events of its
// channel it would skip (read from the channel's history), and unless it was
// delivered already.
func (b *RedisBroker) deliver(m feedMsg) error {
	ev := m.ev
	b.trackMu.Lock()
	t, ok := b.tracked.get(ev.Channel)
	b.trackMu.Unlock()
	if ok && t.pos.Epoch == ev.Epoch {
		if ev.Offset <= t.pos.Offset {
			b.setSeq(m.seq)
			return nil
		}
		if ev.Offset > t.pos.Offset+1 {
			n, err := b.fillChannel(ev.Channel, t.pos, ev.Offset)
			if err != nil {
				return err
			}
			b.lostEvents.Add(float64(ev.Offset - 1 - t.pos.Offset - n))
		}
	}
	b.dispatch(ev, m.seq)
	b.setSeq(m.seq)
	return nil
}

// fillChannel delivers the events of channel after pos and before offset
// "before", from its history. It returns how many it delivered (fewer than
// asked when the history no longer has them).
func (b *RedisBroker) fillChannel(channel string, pos Position, before uint64) (uint64, error) {
	want := before - 1 - pos.Offset
	ctx, cancel := context.WithTimeout(b.ctx, b.cfg.Timeout)
	h, err := b.readHistory(ctx, channel, pos.Offset, int(min(want, math.MaxInt32)))
	cancel()
	if err != nil {
		return 0, err
	}
	var n uint64
	if !h.gone && h.pos.Epoch == pos.Epoch {
		for _, ev := range h.events {
			if ev.Offset >= before {
				break
			}
			b.dispatch(ev, b.cur.seq)
			n++
		}
	}
	b.recovered.WithLabelValues("history").Add(float64(n))
	if n < want {
		b.log.Warn("redis broker: events of a channel are lost to the live feed", "channel", channel,
			"after", pos.Offset, "before", before, "recovered", n)
	}
	return n, nil
}

// dispatch calls the subscribers and records the channel's position.
func (b *RedisBroker) dispatch(ev Event, seq uint64) {
	b.trackMu.Lock()
	b.tracked.put(ev.Channel, ev.Position(), seq)
	b.trackMu.Unlock()
	b.subMu.RLock()
	for _, s := range b.subs {
		s.fn(ev)
	}
	b.subMu.RUnlock()
}

func (b *RedisBroker) setCur(fp feedPos) {
	b.feedMu.Lock()
	b.cur = fp
	b.wakeLocked()
	b.feedMu.Unlock()
}

func (b *RedisBroker) setSeq(seq uint64) {
	b.feedMu.Lock()
	b.cur.seq = seq
	b.wakeLocked()
	b.feedMu.Unlock()
}

func (b *RedisBroker) wakeLocked() {
	if b.feedWake != nil {
		close(b.feedWake)
		b.feedWake = nil
	}
}

// waitFeed waits until the feed has delivered every event up to fp.
func (b *RedisBroker) waitFeed(ctx context.Context, fp feedPos) error {
	if fp.epoch == "" || fp.seq == 0 {
		return nil // nothing published: nothing on its way
	}
	for {
		b.feedMu.Lock()
		if b.cur.known && b.cur.epoch == fp.epoch && b.cur.seq >= fp.seq {
			b.feedMu.Unlock()
			return nil
		}
		if b.feedWake == nil {
			b.feedWake = make(chan struct{})
		}
		wake := b.feedWake
		b.feedMu.Unlock()
		select {
		case <-wake:
		case <-b.ctx.Done():
			return ErrClosed
		case <-ctx.Done():
			return fmt.Errorf("hub: redis broker: the live feed is behind: %w", ctx.Err())
		}
	}
}

// feedMsg is an event as the feed carries it.
type feedMsg struct {
	feed string
	seq  uint64
	ev   Event
}

// parseFeedMessage decodes what publishScript writes:
// "<feed epoch> <seq> <epoch> <offset> <µs> <channel length> <channel><data>".
func parseFeedMessage(s string) (feedMsg, error) {
	var f [6]string
	rest := s
	for i := range f {
		var ok bool
		if f[i], rest, ok = strings.Cut(rest, " "); !ok {
			return feedMsg{}, fmt.Errorf("feed message %.40q: too few fields", s)
		}
	}
	seq, err1 := strconv.ParseUint(f[1], 10, 64)
	offset, err2 := strconv.ParseUint(f[3], 10, 64)
	us, err3 := strconv.ParseInt(f[4], 10, 64)
	n, err4 := strconv.Atoi(f[5])
	if err := errors.Join(err1, err2, err3, err4); err != nil || n < 0 || n > len(rest) {
		return feedMsg{}, fmt.Errorf("feed message %.40q: bad header", s)
	}
	return feedMsg{feed: f[0], seq: seq, ev: Event{
		Channel: rest[:n],
		Offset:  offset,
		Epoch:   f[2],
		Time:    time.UnixMicro(us).UTC(),
		Data:    json.RawMessage(rest[n:]),
	}}, nil
}

// tracker remembers the last position delivered of the most recently used
// channels.
type tracker struct {
	max  int
	m    map[string]*tracked
	list tracked // sentinel; most recently used first
}

type tracked struct {
	ch         string
	pos        Position
	seq        uint64 // feed sequence the position was learnt at
	prev, next *tracked
}

func newTracker(max int) tracker {
	t := tracker{max: max, m: make(map[string]*tracked)}
	return t
}

func (t *tracker) init() {
	if t.list.next == nil {
		t.list.prev, t.list.next = &t.list, &t.list
	}
}

// get returns a copy of channel's entry.
func (t *tracker) get(ch string) (tracked, bool) {
	e := t.m[ch]
	if e == nil {
		return tracked{}, false
	}
	return tracked{ch: e.ch, pos: e.pos, seq: e.seq}, true
}

// put records that pos was delivered on ch.
func (t *tracker) put(ch string, pos Position, seq uint64) {
	t.init()
	e := t.m[ch]
	if e == nil {
		e = &tracked{ch: ch}
		t.m[ch] = e
		for len(t.m) > t.max {
			old := t.list.prev
			t.unlink(old)
			delete(t.m, old.ch)
		}
	} else {
		t.unlink(e)
	}
	e.pos, e.seq = pos, seq
	e.prev, e.next = &t.list, t.list.next
	t.list.next.prev = e
	t.list.next = e
}

// merge records a position read from history at feed sequence seq, unless
// the entry already holds a later one.
func (t *tracker) merge(ch string, pos Position, seq uint64) {
	if e := t.m[ch]; e != nil {
		if e.pos.Epoch == pos.Epoch {
			pos.Offset = max(pos.Offset, e.pos.Offset)
		} else if e.seq > seq {
			pos = e.pos
		}
		seq = max(seq, e.seq)
	}
	t.put(ch, pos, seq)
}

func (t *tracker) unlink(e *tracked) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (t *tracker) clear() {
	clear(t.m)
	t.list.prev, t.list.next = &t.list, &t.list
}

// snapshot copies the entries.
func (t *tracker) snapshot() []tracked {
	out := make([]tracked, 0, len(t.m))
	for _, e := range t.m {
		out = append(out, tracked{ch: e.ch, pos: e.pos, seq: e.seq})
	}
	return out
}
