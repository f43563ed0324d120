package storage

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the store's Prometheus metrics, veil_storage_<what>_<unit>.
type metrics struct {
	puts           *prometheus.CounterVec
	putBytes       prometheus.Counter
	putSeconds     prometheus.Histogram
	commits        prometheus.Counter
	commitSeconds  prometheus.Histogram
	commitRequests prometheus.Histogram
	corrupt        prometheus.Counter
	gcRuns         prometheus.Counter
	gcRemoved      prometheus.Counter
	gcFreed        prometheus.Counter
	gcSeconds      prometheus.Histogram
	all            []prometheus.Collector
}

func newMetrics(s *Store) *metrics {
	const ns, sub = "veil", "storage"
	m := &metrics{
		puts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "puts_total",
			Help: "Uploads by result: ok, too_large, quota, error (the source failed, the context ended or a write failed).",
		}, []string{"result"}),
		putBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "put_bytes_total",
			Help: "Bytes of content in acknowledged uploads (duplicates included).",
		}),
		putSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "put_duration_seconds",
			Help:    "Time from the start of an upload to its acknowledgement (or failure).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		commits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "commits_total",
			Help: "Batches written (one synced leveldb write each).",
		}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "commit_duration_seconds",
			Help:    "Time to apply and sync one batch.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		commitRequests: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "commit_batch_requests",
			Help:    "Write requests grouped into one synced write.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 13),
		}),
		corrupt: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "corrupt_blocks_total",
			Help: "Reads of a stored block whose bytes do not match its CID (refused, never served).",
		}),
		gcRuns: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "gc_runs_total", Help: "GC runs.",
		}),
		gcRemoved: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "gc_removed_blocks_total", Help: "Blocks removed by GC.",
		}),
		gcFreed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "gc_freed_bytes_total", Help: "Bytes of the blocks removed by GC.",
		}),
		gcSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "gc_duration_seconds",
			Help:    "Time a GC run takes (Puts wait meanwhile).",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}),
	}
	gauge := func(name, help string, f func(Stats) int64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: name, Help: help},
			func() float64 { return float64(f(s.Stats())) })
	}
	m.all = []prometheus.Collector{
		m.puts, m.putBytes, m.putSeconds, m.commits, m.commitSeconds, m.commitRequests, m.corrupt,
		m.gcRuns, m.gcRemoved, m.gcFreed, m.gcSeconds,
		gauge("blobs", "Distinct pinned blobs.", func(st Stats) int64 { return st.Blobs }),
		gauge("blocks", "Blocks stored, pinned or not yet collected.", func(st Stats) int64 { return st.Blocks }),
		gauge("stored_bytes", "Bytes of the blocks stored.", func(st Stats) int64 { return st.Bytes }),
	}
	for _, r := range []string{"ok", "too_large", "quota", "error"} {
		m.puts.WithLabelValues(r)
	}
	return m
}

func (m *metrics) register(r prometheus.Registerer) error {
	if r == nil {
		return nil
	}
	for i, c := range m.all {
		if err := r.Register(c); err != nil {
			for _, done := range m.all[:i] {
				r.Unregister(done)
			}
			return fmt.Errorf("storage: failed to register metrics: %w", err)
		}
	}
	return nil
}

func (m *metrics) unregister(r prometheus.Registerer) {
	if r == nil {
		return
	}
	for _, c := range m.all {
		r.Unregister(c)
	}
}

func (m *metrics) observePut(b Blob, err error, d time.Duration) {
	result := "ok"
	switch {
	case err == nil:
		m.putBytes.Add(float64(b.Size))
	case errors.Is(err, ErrTooLarge):
		result = "too_large"
	case errors.Is(err, ErrQuota):
		result = "quota"
	default:
		result = "error"
	}
	m.puts.WithLabelValues(result).Inc()
	m.putSeconds.Observe(d.Seconds())
}
