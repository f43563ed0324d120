package relay

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/veilsocial/veil/relay/api"
	"github.com/veilsocial/veil/relay/ratelimit"
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
		ct, _, _ := strings.Cut(c.Request().Header.Get("Content-Type"), ";")
		for _, t := range types {
			if ct == t {
				return nil
			}
		}
		return api.Errorf(http.StatusUnsupportedMediaType, api.CodeUnsupportedType, "Content-Type %q is not accepted (want %v)", ct, types)
	}
}

// RateLimit refuses requests beyond rate per second (burst at once) for the
// key that keyOf picks ("" = not limited by this policy).
func RateLimit(l ratelimit.Limiter, keyOf func(echo.Context) string) Policy {
	return func(c echo.Context) error {
		key := keyOf(c)
		if key == "" {
			return nil
		}
		wait, err := l.Take(c.Request().Context(), key)
		if err != nil {
			return err
		}
		if wait > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return api.Errorf(http.StatusTooManyRequests, api.CodeRateLimited, "rate limit: retry in %s", wait.Round(time.Millisecond))
		}
		return nil
	}
}

// ClientIP keys a request by the client's IP address.
func ClientIP(c echo.Context) string { return "ip:" + c.RealIP() }
