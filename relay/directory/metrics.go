package directory

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the directory's veil_directory_* collectors.
type metrics struct {
	keys           prometheus.Gauge
	submitted      *prometheus.CounterVec // by status
	rejected       *prometheus.CounterVec // by error code
	lookups        *prometheus.CounterVec // by kind and result
	cache          *prometheus.CounterVec // by result
	submitDuration prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		keys: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "veil_directory_keys",
			Help: "Keys held by the directory.",
		}),
		submitted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_directory_submitted_keys_total",
			Help: "Keys submitted, by outcome (new, updated, unchanged).",
		}, []string{"status"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_directory_rejected_uploads_total",
			Help: "Key uploads refused, by error code.",
		}, []string{"code"}),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_directory_lookups_total",
			Help: "Key lookups, by what was looked up and whether a key was found.",
		}, []string{"by", "result"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_directory_cache_requests_total",
			Help: "Record cache requests, by result (hit, miss).",
		}, []string{"result"}),
		submitDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "veil_directory_submit_duration_seconds",
			Help:    "Time to check and store a key upload.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.keys, m.submitted, m.rejected, m.lookups, m.cache, m.submitDuration} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) lookup(by string, found bool) {
	result := "miss"
	if found {
		result = "hit"
	}
	m.lookups.WithLabelValues(by, result).Inc()
}
