package federation

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the node's veil_federation_* collectors.
type metrics struct {
	reg        prometheus.Registerer
	collectors []prometheus.Collector

	messages      *prometheus.CounterVec // gossip messages validated, by topic and result
	published     *prometheus.CounterVec // own entries, by kind
	entries       *prometheus.CounterVec // new entries of other origins, by kind and way (gossip, sync)
	keyRefused    prometheus.Counter
	syncs         *prometheus.CounterVec // sync streams, by side (pulled, served) and result
	syncEntries   *prometheus.CounterVec // entries sent and received by sync
	dials         *prometheus.CounterVec // dials of configured peers, by result
	fetches       *prometheus.CounterVec // by result
	fetchBytes    prometheus.Counter
	fetchDuration prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, n *Node) (*metrics, error) {
	m := &metrics{
		reg: reg,
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_federation_messages_total",
			Help: "Gossip messages validated, by topic and result (accepted, duplicate, rejected_<reason>).",
		}, []string{"topic", "result"}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_federation_published_entries_total",
			Help: "Entries this node published, by kind (post, key).",
		}, []string{"kind"}),
		entries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_federation_received_entries_total",
			Help: "New entries of other relays taken, by kind (post, key) and how they came (gossip, sync).",
		}, []string{"kind", "via"}),
		keyRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "veil_federation_key_records_refused_total",
			Help: "Key records from the network that the relay's directory refused.",
		}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_federation_syncs_total",
			Help: "Sync streams, by side (pulled, served) and result (ok, error, rate).",
		}, []string{"side", "result"}),
		syncEntries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_federation_sync_entries_total",
			Help: "Entries carried by the sync protocol, by direction (sent, received).",
		}, []string{"direction"}),
		dials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_federation_peer_dials_total",
			Help: "Dials of configured peers, by result.",
		}, []string{"result"}),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veil_federation_fetches_total",
			Help: "Blob fetches, by result (ok, error).",
		}, []string{"result"}),
		fetchBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "veil_federation_fetched_bytes_total",
			Help: "Bytes of blocks fetched by bitswap.",
		}),
		fetchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "veil_federation_fetch_duration_seconds",
			Help:    "Time to fetch a blob.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
	}
	m.collectors = []prometheus.Collector{
		m.messages, m.published, m.entries, m.keyRefused, m.syncs, m.syncEntries, m.dials,
		m.fetches, m.fetchBytes, m.fetchDuration,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "veil_federation_mesh_peers",
			Help:        "Gossipsub mesh peers, by topic.",
			ConstLabels: prometheus.Labels{"topic": TopicAnnounce},
		}, func() float64 { return meshSize(n, TopicAnnounce) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "veil_federation_mesh_peers",
			Help:        "Gossipsub mesh peers, by topic.",
			ConstLabels: prometheus.Labels{"topic": TopicKeys},
		}, func() float64 { return meshSize(n, TopicKeys) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "veil_federation_peers",
			Help: "Connected relays.",
		}, func() float64 {
			if n.host == nil {
				return 0
			}
			return float64(len(n.Peers()))
		}),
	}
	if reg != nil {
		for i, c := range m.collectors {
			if err := reg.Register(c); err != nil {
				for _, done := range m.collectors[:i] {
					reg.Unregister(done)
				}
				return nil, err
			}
		}
	}
	return m, nil
}

func meshSize(n *Node, topic string) float64 {
	if n.mesh == nil {
		return 0
	}
	return float64(len(n.mesh.peers(topic)))
}

func (m *metrics) unregister() {
	if m.reg == nil {
		return
	}
	for _, c := range m.collectors {
		m.reg.Unregister(c)
	}
}

func (m *metrics) rejected(topic, reason string) {
	m.messages.WithLabelValues(topic, "rejected_"+reason).Inc()
}

func (m *metrics) observeFetch(f Fetched, err error, d time.Duration) {
	m.fetchBytes.Add(float64(f.Transferred))
	if err != nil {
		m.fetches.WithLabelValues("error").Inc()
		return
	}
	m.fetches.WithLabelValues("ok").Inc()
	m.fetchDuration.Observe(d.Seconds())
}
