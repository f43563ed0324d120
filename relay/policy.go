package relay

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/veilsocial/veil/relay/api"
)

// A Policy looks at a request before its body is read and refuses it with an
// API error, or lets it pass (nil). A node runs its policies in order.
type Policy func(c echo.Context) error

// runPolicies is echo middleware running ps before the handler.
func runPolicies(ps ...Policy) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			for _, p := range ps {
				if err := p(c); err != nil {
					return err
				}
			}
			return next(c)
		}
	}
}

// MaxBody refuses a request whose declared length is over max and caps
// what can be read of its body, so an undeclared length is caught too.
func MaxBody(max int64) Policy {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > max {
			return api.Errorf(http.StatusRequestEntityTooLarge, api.CodeTooLarge, "body is larger than %d bytes", max)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, max)
		return nil
	}
}

// ContentTypes refuses a request whose Content-Type is not one of types
// (parameters ignored). An empty type list allows anything.
func ContentTypes(types ...string) Policy {
	return func(c echo.Context) error {
		ct := c.Request().Header.Get("Content-Type")
		if i := indexByte(ct, ';'); i >= 0 {
			ct = ct[:i]
		}
		for _, t := range types {
			if ct == t {
				return nil
			}
		}
		return api.Errorf(http.StatusUnsupportedMediaType, api.CodeUnsupportedType, "Content-Type %q is not accepted (want %v)", ct, types)
	}
}

func indexByte(s string, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return i
		}
	}
	return -1
}

// RateLimit refuses requests beyond rate per second (burst at once) for the
// key that keyOf picks ("" = not limited by this policy).
func RateLimit(l *Limiter, keyOf func(echo.Context) string) Policy {
	return func(c echo.Context) error {
		key := keyOf(c)
		if key == "" {
			return nil
		}
		if wait := l.Take(key); wait > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return api.Errorf(http.StatusTooManyRequests, api.CodeRateLimited, "rate limit: retry in %s", wait.Round(time.Millisecond))
		}
		return nil
	}
}

// ClientIP keys a request by the client's IP address.
func ClientIP(c echo.Context) string { return "ip:" + c.RealIP() }

// Limiter is a set of token buckets, one per key, that forgets idle keys.
type Limiter struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	buckets map[string]*bucket
	max     int
	now     func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter allows rate events per second per key, burst at once, keeping
// at most maxKeys buckets (idle full buckets are dropped first).
func NewLimiter(rate float64, burst int, maxKeys int) *Limiter {
	if maxKeys <= 0 {
		maxKeys = 100000
	}
	return &Limiter{rate: rate, burst: float64(burst), buckets: map[string]*bucket{}, max: maxKeys, now: time.Now}
}

// Take spends one token for key and returns 0, or how long until one is
// available (and spends nothing).
func (l *Limiter) Take(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// sweep drops buckets that have refilled (they behave like new ones); if
// that frees nothing, it drops them all rather than grow without bound.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.max {
		clear(l.buckets)
	}
}
