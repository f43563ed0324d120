package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// Defaults of the Redis limiter's options.
const (
	DefaultPrefix        = "veil:ratelimit:"
	DefaultTimeout       = 500 * time.Millisecond
	DefaultRetryInterval = time.Second
)

// gcra is the generic cell rate algorithm: the key holds the theoretical
// arrival time (TAT) of the next event, in microseconds of Redis's clock.
// An event is allowed when it comes no earlier than TAT minus the burst
// tolerance; it then pushes TAT one emission interval (1/rate) further. This
// is the token bucket of Memory: burst events at once, then one every
// 1/rate. Redis's clock (TIME) is the one clock of every process. The key
// expires once the bucket would be full again.
//
// KEYS[1] the limited key; ARGV[1] the emission interval in µs; ARGV[2] the
// burst tolerance (burst × interval) in µs. It returns 0 (allowed) or the
// wait in µs (nothing spent).
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new = tat + interval
local wait = new - tolerance - now
if wait > 0 then return math.ceil(wait) end
redis.call('SET', KEYS[1], string.format('%.17g', new), 'PX', math.ceil((new - now) / 1000) + 1)
return 0
`)

// Option configures a Redis limiter.
type Option func(*options)

type options struct {
	log     *slog.Logger
	reg     prometheus.Registerer
	timeout time.Duration
	retry   time.Duration
	maxKeys int
}

// WithLogger receives the limiter's reports: falling back when Redis fails,
// and sharing the limit again (default: discarded).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithRegisterer registers the limiter's metrics (default: not registered).
// Limiters with different prefixes may share a registry.
func WithRegisterer(r prometheus.Registerer) Option { return func(o *options) { o.reg = r } }

// WithTimeout bounds each call to Redis (default DefaultTimeout); a call that
// takes longer counts as Redis failing.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithRetryInterval is how long the limiter keeps to its fallback after
// Redis failed before it asks Redis again (default DefaultRetryInterval).
func WithRetryInterval(d time.Duration) Option { return func(o *options) { o.retry = d } }

// WithMaxKeys bounds the fallback's buckets (default DefaultMaxKeys).
func WithMaxKeys(n int) Option { return func(o *options) { o.maxKeys = n } }

// Redis is a Limiter whose buckets live in Redis, so that every process
// using the same Redis and prefix shares each key's limit. While Redis
// fails, each process decides alone with its own Memory limiter of the same
// rate and burst (fail open, but still limited per process), asking Redis
// again every retry interval. It is safe for concurrent use.
type Redis struct {
	client    redis.UniversalClient
	prefix    string
	interval  float64 // µs between events
	tolerance float64 // µs: burst × interval
	timeout   time.Duration
	retry     time.Duration
	log       *slog.Logger
	fallback  *Memory

	down    atomic.Bool
	retryAt atomic.Int64 // UnixNano after which a Take asks Redis again
	probing atomic.Bool  // one Take asks Redis while down

	up       prometheus.Gauge
	fellBack prometheus.Counter
}

var _ Limiter = (*Redis)(nil)

// NewRedis allows rate (> 0) events per second per key, burst at once,
// counted in Redis under keys prefix+key (prefix "" means DefaultPrefix). Limiters
// that must not share buckets need different prefixes. The client stays the
// caller's: the limiter never closes it.
func NewRedis(client redis.UniversalClient, prefix string, rate float64, burst int, opts ...Option) *Redis {
	o := options{timeout: DefaultTimeout, retry: DefaultRetryInterval}
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.timeout <= 0 {
		o.timeout = DefaultTimeout
	}
	if o.retry <= 0 {
		o.retry = DefaultRetryInterval
	}
	if prefix == "" {
		prefix = DefaultPrefix
	}
	interval := 1e6 / rate
	l := &Redis{
		client:    client,
		prefix:    prefix,
		interval:  interval,
		tolerance: interval * float64(burst),
		timeout:   o.timeout,
		retry:     o.retry,
		log:       o.log,
		fallback:  NewMemory(rate, burst, o.maxKeys),
	}
	up := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "veil_ratelimit_redis_up",
		Help: "1 while a Redis rate limiter decides in Redis, 0 while it falls back to its process's own limiter, by key prefix.",
	}, []string{"prefix"})
	fell := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "veil_ratelimit_fallback_total",
		Help: "Rate limit decisions a Redis rate limiter took in its process because Redis failed, by key prefix.",
	}, []string{"prefix"})
	if o.reg != nil {
		up = register(o.reg, up)
		fell = register(o.reg, fell)
	}
	l.up = up.WithLabelValues(prefix)
	l.fellBack = fell.WithLabelValues(prefix)
	l.up.Set(1)
	return l
}

// Take implements Limiter. When Redis fails it answers from the fallback
// and returns no error; it returns ctx's error only if ctx ends first.
func (l *Redis) Take(ctx context.Context, key string) (time.Duration, error) {
	if l.down.Load() {
		if time.Now().UnixNano() < l.retryAt.Load() || !l.probing.CompareAndSwap(false, true) {
			return l.fallbackTake(key), nil
		}
		defer l.probing.Store(false)
	}
	cctx, cancel := context.WithTimeout(ctx, l.timeout)
	us, err := gcra.Run(cctx, l.client, []string{l.prefix + key}, l.interval, l.tolerance).Int64()
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err() // the caller gave up: says nothing of Redis
		}
		l.fail(err)
		return l.fallbackTake(key), nil
	}
	if l.down.CompareAndSwap(true, false) {
		l.up.Set(1)
		l.log.Info("rate limits are shared through Redis again", "prefix", l.prefix)
	}
	return time.Duration(us) * time.Microsecond, nil
}

// Healthy reports whether the limiter decides in Redis (false: each process
// limits alone until Redis answers again).
func (l *Redis) Healthy() bool { return !l.down.Load() }

func (l *Redis) fallbackTake(key string) time.Duration {
	l.fellBack.Inc()
	return l.fallback.take(key)
}

func (l *Redis) fail(err error) {
	l.retryAt.Store(time.Now().Add(l.retry).UnixNano())
	if l.down.CompareAndSwap(false, true) {
		l.up.Set(0)
		l.log.Warn("rate limits fall back to this process: Redis failed", "prefix", l.prefix, "err", err,
			"retry", l.retry)
	}
}

// register registers c, or returns the collector already registered under
// its name (limiters on one registry share their metric vectors).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}
