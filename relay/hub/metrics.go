package hub

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics of a hub. Collectors are resolved once so that the hot paths only
// touch atomics.
type metrics struct {
	connections   prometheus.Gauge
	subscriptions prometheus.Gauge
	sentEvents    prometheus.Counter
	sentReplies   prometheus.Counter
	received      prometheus.Counter
	slow          prometheus.Counter
	rejected      *prometheus.CounterVec
	errors        *prometheus.CounterVec
	recoveries    *prometheus.CounterVec
	lag           prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	sent := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "veil_ws_messages_sent_total",
		Help: "WebSocket frames written to clients, by kind (event, reply).",
	}, []string{"kind"})
	m := &metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "veil_ws_connections",
			Help: "Open WebSocket connections.",
		}),
		subscriptions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "veil_ws_subscriptions",
			Help: "Channel subscriptions over all connections.",
		}),
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "veil_ws_messages_received_total",
			Help: "WebSocket frames read from clients.",
		}),
		slow: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "veil_ws_slow_consumers_total",
			Help: "Connections cut off because their outbound queue was full.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_ws_connections_rejected_total",
			Help: "Connection attempts refused before the upgrade, by reason (too_many, forbidden, unavailable, bad_request).",
		}, []string{"reason"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_ws_errors_total",
			Help: "Error replies sent to clients, by code.",
		}, []string{"code"}),
		recoveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_ws_recoveries_total",
			Help: "Subscriptions that asked to resume, by result (recovered, history_gone).",
		}, []string{"result"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "veil_ws_delivery_lag_seconds",
			Help:    "Time from publishing an event to writing it to a connection (first event of each write batch).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
	}
	m.sentEvents = sent.WithLabelValues("event")
	m.sentReplies = sent.WithLabelValues("reply")
	if reg != nil {
		m.connections = register(reg, m.connections)
		m.subscriptions = register(reg, m.subscriptions)
		sent = register(reg, sent)
		m.sentEvents = sent.WithLabelValues("event")
		m.sentReplies = sent.WithLabelValues("reply")
		m.received = register(reg, m.received)
		m.slow = register(reg, m.slow)
		m.rejected = register(reg, m.rejected)
		m.errors = register(reg, m.errors)
		m.recoveries = register(reg, m.recoveries)
		m.lag = register(reg, m.lag)
	}
	return m
}

// register registers c, or returns the collector already registered under
// its name (two hubs on one registry share their metrics).
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
