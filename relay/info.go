package relay

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/veilsocial/veil/relay/api"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

func (n *Node) info(c echo.Context) error {
	peerID, addrs := "", []string{}
	if node := n.libp2p(); node != nil {
		peerID, addrs = node.ID().String(), node.Addrs()
	}
	return c.JSON(http.StatusOK, relayclient.Info{
		Name: n.cfg.Name, Software: "veil", Version: Version, URL: n.URL(),
		PeerID: peerID, Addrs: addrs,
		Protocols: []string{"veil/v1", "ipfs-trustless-gateway", "hkp", "vks", "wkd"},
		Stake:     n.stakeInfo(),
		Limits: relayclient.Limits{
			MaxBlobSize: n.cfg.MaxBlobSize, MaxShareSize: n.cfg.MaxShareSize,
			QuotaAnon: n.cfg.QuotaAnon, QuotaPersona: n.cfg.QuotaPersona,
			RateAnon: n.cfg.RateAnon, RatePersona: n.cfg.RatePersona, MaxSubscriptions: n.cfg.MaxWSSubs,
		},
	})
}

func (n *Node) health(c echo.Context) error {
	if _, err := n.store.Has(c.Request().Context(), probeCID); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "degraded", "storage": err.Error()})
	}
	for _, check := range n.healthChecks {
		if err := check(); err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "degraded", "reason": err.Error()})
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ok"})
}

// nodeMetrics are the node's own Prometheus metrics.
type nodeMetrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	uploads     prometheus.Counter
	uploadBytes prometheus.Counter
	shares      prometheus.Counter
}

func newNodeMetrics(reg prometheus.Registerer) *nodeMetrics {
	m := &nodeMetrics{
		requests:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "veil_http_requests_total", Help: "HTTP requests by route and status."}, []string{"route", "code"}),
		duration:    prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "veil_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"route"}),
		uploads:     prometheus.NewCounter(prometheus.CounterOpts{Name: "veil_blobs_uploaded_total", Help: "Blobs acknowledged."}),
		uploadBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "veil_blobs_uploaded_bytes_total", Help: "Bytes of blobs acknowledged."}),
		shares:      prometheus.NewCounter(prometheus.CounterOpts{Name: "veil_shares_added_total", Help: "Shares accepted."}),
	}
	reg.MustRegister(m.requests, m.duration, m.uploads, m.uploadBytes, m.shares)
	return m
}

func (m *nodeMetrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := c.Response().Status
		if err != nil {
			status = api.FromError(err).Status
		}
		m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		return err
	}
}

// recoverJSON turns a handler panic into a logged internal error.
func recoverJSON(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if p := recover(); p != nil {
					log.Error("handler panic", "path", c.Path(), "panic", p)
					err = api.Errorf(http.StatusInternalServerError, api.CodeInternal, "internal error")
				}
			}()
			return next(c)
		}
	}
}
