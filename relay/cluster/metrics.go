package cluster

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	appends     *prometheus.CounterVec
	applied     *prometheus.CounterVec
	applyErrors prometheus.Counter
	flushed     prometheus.Counter
	outbox      prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, l *Log) *metrics {
	m := &metrics{
		appends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_cluster_appends_total",
			Help: "Writes this process added to the cluster log, by where they went (redis, or the local outbox while Redis was away).",
		}, []string{"to"}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_cluster_applied_total",
			Help: "Writes of other processes applied here, by kind.",
		}, []string{"kind"}),
		applyErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "veil_cluster_apply_errors_total",
			Help: "Cluster log entries that could not be applied here.",
		}),
		flushed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "veil_cluster_outbox_flushed_total",
			Help: "Outbox entries sent to Redis after an outage.",
		}),
		outbox: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "veil_cluster_outbox_entries",
			Help: "Writes waiting in the local outbox for Redis.",
		}),
	}
	if reg == nil {
		return m
	}
	up := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "veil_cluster_redis_up",
		Help: "1 while the cluster log reaches Redis.",
	}, func() float64 {
		if l.redisUp.Load() {
			return 1
		}
		return 0
	})
	gap := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "veil_cluster_log_gap",
		Help: "1 when the log was trimmed past this process's position (writes of others are missing here).",
	}, func() float64 {
		if l.gap.Load() {
			return 1
		}
		return 0
	})
	for _, c := range []prometheus.Collector{m.appends, m.applied, m.applyErrors, m.flushed, m.outbox, up, gap} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				panic(err)
			}
		}
	}
	return m
}
