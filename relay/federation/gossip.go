package federation

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	"golang.org/x/time/rate"
)

// messageID names a gossip message by the SHA-256 of its data, so the
// same entry is the same message whoever forwards it.
func messageID(m *pb.Message) string {
	h := sha256.Sum256(m.Data)
	return string(h[:])
}

// scoreParams are the gossipsub peer-scoring parameters. Veil's topics
// carry little, bursty traffic, so mesh-delivery penalties (P3, P3b) are
// off: a quiet peer is not a bad one. What counts is being in the mesh
// (P1), delivering messages first (P2), and above all never forwarding an
// invalid or rate-limited message (P4): a few of those take a peer below
// the gossip, publish and then graylist thresholds, and the penalty decays
// over half an hour.
func scoreParams() (*pubsub.PeerScoreParams, *pubsub.PeerScoreThresholds) {
	topic := func() *pubsub.TopicScoreParams {
		return &pubsub.TopicScoreParams{
			TopicWeight:                    1,
			TimeInMeshWeight:               0.01,
			TimeInMeshQuantum:              time.Second,
			TimeInMeshCap:                  600,
			FirstMessageDeliveriesWeight:   0.5,
			FirstMessageDeliveriesDecay:    pubsub.ScoreParameterDecay(10 * time.Minute),
			FirstMessageDeliveriesCap:      40,
			InvalidMessageDeliveriesWeight: -10,
			InvalidMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(30 * time.Minute),
		}
	}
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	params := &pubsub.PeerScoreParams{
		Topics:        map[string]*pubsub.TopicScoreParams{TopicAnnounce: topic(), TopicKeys: topic()},
		TopicScoreCap: 30,
		AppSpecificScore: func(peer.ID) float64 {
			return 0
		},
		AppSpecificWeight:           1,
		IPColocationFactorWeight:    -5,
		IPColocationFactorThreshold: 8,
		IPColocationFactorWhitelist: []*net.IPNet{loopback},
		BehaviourPenaltyWeight:      -10,
		BehaviourPenaltyThreshold:   6,
		BehaviourPenaltyDecay:       pubsub.ScoreParameterDecay(10 * time.Minute),
		DecayInterval:               pubsub.DefaultDecayInterval,
		DecayToZero:                 pubsub.DefaultDecayToZero,
		RetainScore:                 time.Hour,
	}
	thresholds := &pubsub.PeerScoreThresholds{
		GossipThreshold:             -10,
		PublishThreshold:            -50,
		GraylistThreshold:           -80,
		AcceptPXThreshold:           20,
		OpportunisticGraftThreshold: 2,
	}
	return params, thresholds
}

func (n *Node) startGossip() error {
	params, thresholds := scoreParams()
	n.mesh = newMeshTracer()
	ps, err := pubsub.NewGossipSub(n.ctx, n.host,
		pubsub.WithRawTracer(n.mesh),
		pubsub.WithMessageIdFn(messageID),
		pubsub.WithPeerScore(params, thresholds),
		pubsub.WithPeerScoreInspect(pubsub.PeerScoreInspectFn(n.inspectScores), time.Second),
		pubsub.WithSubscriptionFilter(pubsub.NewAllowlistSubscriptionFilter(TopicAnnounce, TopicKeys)),
		pubsub.WithValidateQueueSize(1024),
		pubsub.WithMaxMessageSize(1<<20),
		// A relay's own entries go to every topic peer at once, not only
		// to its mesh (which takes a heartbeat to form after a connect).
		pubsub.WithFloodPublish(true),
		pubsub.WithLogger(n.log),
	)
	if err != nil {
		return fmt.Errorf("federation: gossipsub: %w", err)
	}
	n.ps = ps
	for _, t := range []struct{ name, kind string }{{TopicAnnounce, kindPost}, {TopicKeys, kindKey}} {
		if err := ps.RegisterTopicValidator(t.name, n.validator(t.name, t.kind),
			pubsub.WithValidatorTimeout(10*time.Second)); err != nil {
			return fmt.Errorf("federation: gossipsub: %w", err)
		}
		topic, err := ps.Join(t.name)
		if err != nil {
			return fmt.Errorf("federation: gossipsub: %w", err)
		}
		n.topics[t.name] = topic
		sub, err := topic.Subscribe(pubsub.WithBufferSize(256))
		if err != nil {
			return fmt.Errorf("federation: gossipsub: %w", err)
		}
		n.subs = append(n.subs, sub)
		n.spawn(func() { n.readTopic(t.name, sub) })
	}
	return nil
}

func (n *Node) inspectScores(scores map[peer.ID]float64) {
	n.scoreMu.Lock()
	n.scores = scores
	n.scoreMu.Unlock()
}

// score is a peer's gossipsub score as last inspected (once a second).
func (n *Node) score(p peer.ID) float64 {
	n.scoreMu.Lock()
	defer n.scoreMu.Unlock()
	return n.scores[p]
}

// validator checks the messages of one topic, from peers and local alike.
// Reject (the forwarding peer is penalized): over the peer's rate, over
// the size cap, a malformed entry, a bad signature, CID, recipient list or
// key, over the origin's rate when the origin sent it. Ignore (no
// penalty): an entry the node holds already (it came by sync, or is the
// node's own coming back), over the origin's rate when another peer
// passed it on.
func (n *Node) validator(topic, kind string) pubsub.ValidatorEx {
	return func(ctx context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		local := m.Local || from == n.host.ID()
		if !local && !n.limits.allow(from) {
			n.metrics.rejected(topic, "rate")
			n.log.Debug("federation: peer over its rate", "peer", from.String(), "topic", topic)
			return pubsub.ValidationReject
		}
		e, err := decodeEntry(m.Data, kind)
		if err != nil {
			n.metrics.rejected(topic, reason(err))
			n.log.Debug("federation: invalid message", "peer", from.String(), "topic", topic, "err", err)
			return pubsub.ValidationReject
		}
		if !local {
			if e.origin == n.host.ID() {
				n.metrics.messages.WithLabelValues(topic, "duplicate").Inc()
				return pubsub.ValidationIgnore
			}
			if held, err := n.elog.has(ctx, e.origin, e.seq); err != nil || held {
				n.metrics.messages.WithLabelValues(topic, "duplicate").Inc()
				return pubsub.ValidationIgnore
			}
			if !n.limits.allowOrigin(e.origin) {
				// The origin floods: penalize it, not the peers that
				// pass its entries on (they may have had room for
				// them). What is dropped comes by sync.
				if from == e.origin {
					n.metrics.rejected(topic, "origin_rate")
					return pubsub.ValidationReject
				}
				n.metrics.messages.WithLabelValues(topic, "ignored_origin_rate").Inc()
				return pubsub.ValidationIgnore
			}
		}
		m.ValidatorData = e
		n.metrics.messages.WithLabelValues(topic, "accepted").Inc()
		return pubsub.ValidationAccept
	}
}

// reason names a decoding error for the rejected metric.
func reason(err error) string {
	for _, r := range []struct {
		err  error
		name string
	}{
		{ErrTooLarge, "size"}, {ErrSignature, "signature"}, {ErrBadCID, "cid"},
		{ErrRecipients, "recipients"}, {ErrBadKey, "key"},
	} {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return "malformed"
}

// readTopic hands the entries that passed validation to ingest.
func (n *Node) readTopic(topic string, sub *pubsub.Subscription) {
	for {
		m, err := sub.Next(n.ctx)
		if err != nil {
			return
		}
		e, ok := m.ValidatorData.(*entry)
		if !ok || e.origin == n.host.ID() {
			continue
		}
		if _, err := n.ingest(n.ctx, e, "gossip"); err != nil && n.ctx.Err() == nil {
			n.log.Error("federation: failed to take an entry", "topic", topic, "origin", e.origin.String(), "seq", e.seq, "err", err)
		}
	}
}

// ingest takes a valid entry: unless it is held already, it goes to the
// relay's hook and into the log. It reports whether the entry was new
// (the node's own entries, taken back from a peer, are not news).
func (n *Node) ingest(ctx context.Context, e *entry, via string) (bool, error) {
	ok, err := n.elog.claim(ctx, e)
	if err != nil || !ok {
		return false, err
	}
	if e.origin == n.host.ID() {
		// The node's own entry, which its log lacks: the node lost its
		// datastore but kept its key. Take it back, so that its next
		// entries do not reuse the seq.
		n.log.Warn("federation: a peer holds an entry of this node that its log lacks; taking it back", "seq", e.seq)
		return false, n.elog.store(ctx, e)
	}
	switch e.kind {
	case kindPost:
		if len(e.addrs) > 0 {
			n.host.Peerstore().AddAddrs(e.origin, e.addrs, peerstore.RecentlyConnectedAddrTTL)
		}
		if n.cfg.OnAnnouncement != nil {
			n.cfg.OnAnnouncement(ctx, e.announcement())
		}
	case kindKey:
		seen, err := n.elog.hasKey(ctx, e.key)
		if err != nil {
			n.elog.release(e)
			return false, err
		}
		if !seen && n.cfg.OnKeyRecord != nil {
			if err := n.cfg.OnKeyRecord(ctx, e.key); err != nil {
				n.log.Warn("federation: the relay refused a key record", "origin", e.origin.String(), "seq", e.seq, "err", err)
				n.metrics.keyRefused.Inc()
			}
		}
	}
	if err := n.elog.store(ctx, e); err != nil {
		return false, err
	}
	n.metrics.entries.WithLabelValues(e.kind, via).Inc()
	return true, nil
}

// Announce tells the network that the relay stores a post (after a local
// upload). a.Origin is ignored: the node is the origin. a.Time defaults to
// now. The announcement is in the node's log before Announce returns, so
// peers that miss the gossip get it when they next sync.
func (n *Node) Announce(ctx context.Context, a Announcement) error {
	if err := checkCID(a.CID); err != nil {
		return err
	}
	if len(a.Recipients) > MaxRecipients {
		return fmt.Errorf("%w: %d recipients (at most %d)", ErrRecipients, len(a.Recipients), MaxRecipients)
	}
	if a.Size < 0 {
		return fmt.Errorf("%w: negative size", ErrMalformed)
	}
	if a.Time.IsZero() {
		a.Time = time.Now()
	}
	addrs := n.announcedAddrs()
	b := &body{
		Origin:     n.host.ID().String(),
		Kind:       kindPost,
		Time:       max(a.Time.UnixMilli(), 1),
		CID:        a.CID.String(),
		Recipients: formatRecipients(a.Recipients),
		Size:       a.Size,
		Addrs:      addrs,
	}
	if _, err := parseRecipients(b.Recipients); err != nil {
		return err
	}
	return n.publishOwn(ctx, TopicAnnounce, b, nil)
}

// announcedAddrs are the addresses an announcement carries, so that a
// relay that is not a direct peer can connect to fetch the blob: the
// public ones, or all of them if none is public (a LAN, a test).
func (n *Node) announcedAddrs() []string {
	all := n.host.Addrs()
	pick := slices.DeleteFunc(slices.Clone(all), func(a ma.Multiaddr) bool { return !manet.IsPublicAddr(a) })
	if len(pick) == 0 {
		pick = all
	}
	var out []string
	for _, a := range pick {
		if len(out) == maxAddrs {
			break
		}
		if len(a.Bytes()) <= maxAddrLen {
			out = append(out, a.String())
		}
	}
	return out
}

// PublishKey gives the network a directory record (after a local change):
// one OpenPGP public key, armored or binary, with a valid self-signature.
// Publishing key bytes the node already holds (from any origin) does
// nothing, so a relay may call it for every change of its directory,
// including those that came from the network.
func (n *Node) PublishKey(ctx context.Context, key []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	held, err := n.elog.hasKey(ctx, key)
	if err != nil || held {
		return err
	}
	b := &body{
		Origin: n.host.ID().String(),
		Kind:   kindKey,
		Time:   time.Now().UnixMilli(),
		Key:    key,
	}
	return n.publishOwn(ctx, TopicKeys, b, key)
}

// publishOwn appends the node's own entry to its log and gossips it.
func (n *Node) publishOwn(ctx context.Context, topic string, b *body, key []byte) error {
	_, raw, err := n.elog.appendOwn(ctx, n.host.ID(), key, func(seq uint64) ([]byte, error) {
		b.Seq = seq
		return encodeEntry(n.key, b)
	})
	if err != nil {
		return err
	}
	n.metrics.published.WithLabelValues(b.Kind).Inc()
	if err := n.topics[topic].Publish(ctx, raw); err != nil {
		// It is in the log: peers get it when they next sync.
		n.log.Warn("federation: failed to gossip an entry", "topic", topic, "seq", b.Seq, "err", err)
	}
	return nil
}

// peerLimits are the rate limits of gossip messages, per forwarding peer
// and per origin, and of incoming sync streams, per peer.
type peerLimits struct {
	peerRate, originRate   rate.Limit
	peerBurst, originBurst int

	mu      sync.Mutex
	msgs    map[peer.ID]*rate.Limiter
	origins map[peer.ID]*rate.Limiter
	syncs   map[peer.ID]*rate.Limiter
}

func newPeerLimits(cfg Config) *peerLimits {
	return &peerLimits{
		peerRate:    rate.Limit(cfg.PeerRate),
		peerBurst:   cfg.PeerBurst,
		originRate:  rate.Limit(cfg.OriginRate),
		originBurst: cfg.OriginBurst,
		msgs:        map[peer.ID]*rate.Limiter{},
		origins:     map[peer.ID]*rate.Limiter{},
		syncs:       map[peer.ID]*rate.Limiter{},
	}
}

func (l *peerLimits) allow(p peer.ID) bool {
	return l.limiter(l.msgs, p, l.peerRate, l.peerBurst).Allow()
}

func (l *peerLimits) allowOrigin(o peer.ID) bool {
	return l.limiter(l.origins, o, l.originRate, l.originBurst).Allow()
}

func (l *peerLimits) allowSync(p peer.ID) bool {
	return l.limiter(l.syncs, p, syncStreamRate, syncStreamBurst).Allow()
}

func (l *peerLimits) limiter(m map[peer.ID]*rate.Limiter, p peer.ID, r rate.Limit, burst int) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := m[p]
	if !ok {
		lim = rate.NewLimiter(r, burst)
		m[p] = lim
	}
	return lim
}

// sweep drops the limiters that are full (their peers are quiet), so
// the maps hold only peers that were busy lately; a peer cannot refill its
// limiter by reconnecting.
func (l *peerLimits) sweep() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range []map[peer.ID]*rate.Limiter{l.msgs, l.origins, l.syncs} {
		for p, lim := range m {
			if lim.Tokens() >= float64(lim.Burst()) {
				delete(m, p)
			}
		}
	}
}
