package federation

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ipfs/boxo/bitswap"
	"github.com/ipfs/boxo/bitswap/network/bsnet"
	"github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/go-datastore"
	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	cryptopb "github.com/libp2p/go-libp2p/core/crypto/pb"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"
)

// Protocol names.
const (
	TopicAnnounce = "/veil/announce/1"
	TopicKeys     = "/veil/keys/1"
	ProtocolSync  = protocol.ID("/veil/sync/1")
	// MDNSService is the mDNS service name relays look for on a LAN.
	MDNSService = "veil-relay"
)

// Defaults for the zero values of Config.
const (
	DefaultOriginRate   = 200
	DefaultOriginBurst  = 2000
	DefaultPeerRate     = 1000
	DefaultPeerBurst    = 10000
	DefaultSyncInterval = 5 * time.Minute
	DefaultMaxBlobSize  = 64 << 20
)

// DefaultListenAddrs are used when Config.ListenAddrs is empty.
var DefaultListenAddrs = []string{"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1"}

// Config configures a Node. Blockstore and Datastore are required.
type Config struct {
	// ListenAddrs are the multiaddrs to listen on, e.g.
	// "/ip4/127.0.0.1/tcp/0" (default DefaultListenAddrs).
	ListenAddrs []string
	// Peers are multiaddrs ending in /p2p/<id>: the node connects to each
	// and reconnects, with backoff, whenever the connection drops.
	Peers []string
	// MDNS discovers (and connects to) other relays on the LAN.
	MDNS bool
	// KeyFile holds the node's Ed25519 key (libp2p's protobuf form); it
	// is created, 0600, if missing. Empty: a new key each time (tests).
	KeyFile string

	// Blockstore is where bitswap serves blocks from and writes fetched
	// blocks to (the relay's storage.Store.Blockstore()).
	Blockstore blockstore.Blockstore
	// Datastore keeps the log of entries (under /federation), for
	// reconciliation after a restart or a partition.
	Datastore datastore.Batching

	// OriginRate and OriginBurst limit the entries taken by gossip from
	// one origin (per second, and in a burst; defaults 200/s, 2000). An
	// entry over the limit is dropped; when the origin sent it itself it
	// is rejected, which lowers the origin's score. Dropped entries come
	// later by sync.
	OriginRate  float64
	OriginBurst int
	// PeerRate and PeerBurst limit the gossip messages taken from one
	// peer, whatever their origin (defaults 1000/s, 10000): more are
	// rejected, which lowers the peer's score.
	PeerRate  float64
	PeerBurst int
	// SyncInterval is how often the node reconciles with every peer, on
	// top of doing so when it connects (default 5 minutes).
	SyncInterval time.Duration
	// MaxBlobSize caps what Fetch takes (default 64 MiB, the store's cap).
	MaxBlobSize int64

	// Registerer takes the veil_federation_* metrics and libp2p's (none
	// if nil).
	Registerer prometheus.Registerer
	// Logger logs (slog.Default() if nil).
	Logger *slog.Logger

	// OnAnnouncement is called for each new, valid announcement from
	// another relay (the relay publishes inbox events). It runs on the
	// goroutine that received the entry, before the entry is written to
	// the log: a slow hook slows that topic or that peer's sync, nothing
	// else, and after a crash an entry may be delivered once more.
	OnAnnouncement func(ctx context.Context, a Announcement)
	// OnKeyRecord is called for each new key record from another relay:
	// one OpenPGP public key, armored or binary, with a valid
	// self-signature (the relay submits it to its directory). An error is
	// logged; the record is kept in the log all the same.
	OnKeyRecord func(ctx context.Context, key []byte) error
}

// Node is a relay's member of the federation: a libp2p host with gossipsub,
// bitswap and the sync protocol. It is safe for concurrent use.
type Node struct {
	cfg  Config
	log  *slog.Logger
	key  crypto.PrivKey
	host host.Host
	ps   *pubsub.PubSub
	bs   *bitswap.Bitswap
	elog *entryLog
	mdns mdns.Service

	topics map[string]*pubsub.Topic
	mesh   *meshTracer
	subs   []*pubsub.Subscription
	events event.Subscription

	limits  *peerLimits
	metrics *metrics

	scoreMu sync.Mutex
	scores  map[peer.ID]float64

	syncMu  sync.Mutex
	syncing map[peer.ID]*syncState

	dialMu sync.Mutex
	dialer map[peer.ID]chan struct{} // wakes the goroutine keeping a configured peer connected

	ctx     context.Context // ends at Close
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	goMu    sync.Mutex
	stopped bool // no goroutine starts any more

	closeOnce sync.Once
	closeErr  error
}

// New starts a node: it listens, joins the topics, serves bitswap and the
// sync protocol, and starts connecting to the configured peers. ctx bounds
// the start only; the node runs until Close.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Blockstore == nil || cfg.Datastore == nil {
		return nil, errors.New("federation: Config.Blockstore and Config.Datastore are required")
	}
	if len(cfg.ListenAddrs) == 0 {
		cfg.ListenAddrs = DefaultListenAddrs
	}
	if cfg.OriginRate <= 0 {
		cfg.OriginRate = DefaultOriginRate
	}
	if cfg.OriginBurst <= 0 {
		cfg.OriginBurst = DefaultOriginBurst
	}
	if cfg.PeerRate <= 0 {
		cfg.PeerRate = DefaultPeerRate
	}
	if cfg.PeerBurst <= 0 {
		cfg.PeerBurst = DefaultPeerBurst
	}
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = DefaultSyncInterval
	}
	if cfg.MaxBlobSize <= 0 {
		cfg.MaxBlobSize = DefaultMaxBlobSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	listen := make([]ma.Multiaddr, 0, len(cfg.ListenAddrs))
	for _, s := range cfg.ListenAddrs {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return nil, fmt.Errorf("federation: listen address %q: %w", s, err)
		}
		listen = append(listen, a)
	}
	peers := make([]peer.AddrInfo, 0, len(cfg.Peers))
	for _, s := range cfg.Peers {
		ai, err := peer.AddrInfoFromString(s)
		if err != nil {
			return nil, fmt.Errorf("federation: peer address %q (want a multiaddr ending in /p2p/<id>): %w", s, err)
		}
		peers = append(peers, *ai)
	}
	key, err := loadKey(cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	elog, err := openLog(ctx, cfg.Datastore)
	if err != nil {
		return nil, err
	}

	n := &Node{
		cfg:     cfg,
		log:     cfg.Logger,
		key:     key,
		elog:    elog,
		topics:  map[string]*pubsub.Topic{},
		scores:  map[peer.ID]float64{},
		syncing: map[peer.ID]*syncState{},
		dialer:  map[peer.ID]chan struct{}{},
		limits:  newPeerLimits(cfg),
	}
	n.ctx, n.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if n.metrics, err = newMetrics(cfg.Registerer, n); err != nil {
		n.cancel()
		return nil, err
	}
	if err := n.start(listen, peers); err != nil {
		n.closeErr = n.shutdown()
		n.closeOnce.Do(func() {})
		return nil, errors.Join(err, n.closeErr)
	}
	return n, nil
}

func (n *Node) start(listen []ma.Multiaddr, peers []peer.AddrInfo) error {
	cm, err := connmgr.NewConnManager(100, 400, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return fmt.Errorf("federation: %w", err)
	}
	opts := []libp2p.Option{
		libp2p.Identity(n.key),
		// Listen only once every handler is in place (below), so that
		// the first peers to connect see the node whole.
		libp2p.NoListenAddrs,
		libp2p.ConnectionManager(cm),
		libp2p.UserAgent("veil-relay"),
	}
	if n.cfg.Registerer != nil {
		opts = append(opts, libp2p.PrometheusRegisterer(n.cfg.Registerer))
	} else {
		opts = append(opts, libp2p.DisableMetrics())
	}
	if n.host, err = libp2p.New(opts...); err != nil {
		return fmt.Errorf("federation: failed to start libp2p: %w", err)
	}
	// Events first: a connection made from now on triggers a sync.
	n.events, err = n.host.EventBus().Subscribe([]any{
		new(event.EvtPeerIdentificationCompleted),
		new(event.EvtPeerConnectednessChanged),
	})
	if err != nil {
		return fmt.Errorf("federation: %w", err)
	}
	n.spawn(n.watchEvents)

	if err := n.startGossip(); err != nil {
		return err
	}
	n.bs = bitswap.New(n.ctx, bsnet.NewFromIpfsHost(n.host), nil, n.cfg.Blockstore,
		bitswap.ProviderSearchDelay(500*time.Millisecond),
	)
	n.host.SetStreamHandler(ProtocolSync, n.handleSync)

	if err := n.host.Network().Listen(listen...); err != nil {
		return fmt.Errorf("federation: failed to listen: %w", err)
	}
	for _, ai := range peers {
		n.keepConnected(ai)
	}
	if n.cfg.MDNS {
		n.mdns = mdns.NewMdnsService(n.host, MDNSService, mdnsNotifee{n})
		if err := n.mdns.Start(); err != nil {
			return fmt.Errorf("federation: mDNS: %w", err)
		}
	}
	n.spawn(n.syncPeriodically)
	n.log.Info("federation: node started", "peer_id", n.host.ID().String(), "addrs", n.Addrs())
	return nil
}

// ID is the node's peer ID.
func (n *Node) ID() peer.ID { return n.host.ID() }

// Addrs are the node's dialable multiaddrs, each ending in /p2p/<id>.
func (n *Node) Addrs() []string {
	suffix, err := ma.NewComponent("p2p", n.host.ID().String())
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range n.host.Addrs() {
		out = append(out, a.Encapsulate(suffix).String())
	}
	return out
}

// Peers returns the connected peers that are Veil relays (they speak the
// sync protocol), sorted.
func (n *Node) Peers() []peer.ID {
	var out []peer.ID
	for _, p := range n.host.Network().Peers() {
		if n.isRelay(p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func (n *Node) isRelay(p peer.ID) bool {
	ok, err := n.host.Peerstore().SupportsProtocols(p, ProtocolSync)
	return err == nil && len(ok) > 0
}

// Close leaves the network: it stops every goroutine the node started and
// closes the host. It closes neither the Blockstore nor the Datastore.
func (n *Node) Close() error {
	n.closeOnce.Do(func() { n.closeErr = n.shutdown() })
	return n.closeErr
}

func (n *Node) shutdown() error {
	n.cancel()
	n.goMu.Lock()
	n.stopped = true
	n.goMu.Unlock()
	var errs []error
	if n.mdns != nil {
		errs = append(errs, n.mdns.Close())
	}
	for _, s := range n.subs {
		s.Cancel()
	}
	for _, t := range n.topics {
		if err := t.Close(); err != nil && !errors.Is(err, context.Canceled) {
			n.log.Debug("federation: closing topic", "err", err)
		}
	}
	if n.host != nil {
		n.host.RemoveStreamHandler(ProtocolSync)
	}
	if n.bs != nil {
		errs = append(errs, n.bs.Close())
	}
	if n.events != nil {
		errs = append(errs, n.events.Close())
	}
	if n.host != nil {
		errs = append(errs, n.host.Close())
	}
	n.wg.Wait()
	if n.metrics != nil {
		n.metrics.unregister()
	}
	if n.host != nil {
		n.log.Info("federation: node stopped", "peer_id", n.host.ID().String())
	}
	return errors.Join(errs...)
}

// spawn runs f on a goroutine that Close waits for, unless the node is
// closing.
func (n *Node) spawn(f func()) bool {
	n.goMu.Lock()
	defer n.goMu.Unlock()
	if n.stopped {
		return false
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
	return true
}

// loadKey reads the node key from file, or makes one and writes it there
// (0600) if the file does not exist. An empty file name gives a fresh key
// that is not kept.
func loadKey(file string) (crypto.PrivKey, error) {
	if file == "" {
		k, _, err := crypto.GenerateEd25519Key(rand.Reader)
		return k, err
	}
	data, err := os.ReadFile(file)
	switch {
	case err == nil:
		k, err := crypto.UnmarshalPrivateKey(data)
		if err != nil {
			return nil, fmt.Errorf("federation: key file %s: %w", file, err)
		}
		if k.Type() != cryptopb.KeyType_Ed25519 {
			return nil, fmt.Errorf("federation: key file %s: not an Ed25519 key", file)
		}
		return k, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("federation: key file: %w", err)
	}
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, err
	}
	data, err = crypto.MarshalPrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(file, data); err != nil {
		return nil, fmt.Errorf("federation: key file: %w", err)
	}
	return k, nil
}

// writeFileAtomic writes data to a new file (0600) and syncs it and its
// directory; an existing file is never replaced.
func writeFileAtomic(file string, data []byte) error {
	dir := filepath.Dir(file)
	tmp, err := os.CreateTemp(dir, ".nodekey-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Link fails if the file appeared meanwhile: then the other key wins.
	if err := os.Link(tmp.Name(), file); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
