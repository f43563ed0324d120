package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/gateway"
	"github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/namespace"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/veilsocial/veil/relay/api"
	"github.com/veilsocial/veil/relay/cluster"
	"github.com/veilsocial/veil/relay/directory"
	"github.com/veilsocial/veil/relay/hub"
	"github.com/veilsocial/veil/relay/ratelimit"
	"github.com/veilsocial/veil/relay/staking"
	"github.com/veilsocial/veil/storage"
	"github.com/veilsocial/veil/web"
)

// Version is the relay's version, shown in /v1/info.
var Version = "0.1.0-dev"

// Node is one relay.
type Node struct {
	cfg    Config
	log    *slog.Logger
	reg    *prometheus.Registry
	store  *storage.Store
	meta   datastore.Batching // the relay's own metadata: owners, shares
	dir    *directory.Directory
	broker hub.Broker
	hub    *hub.Hub
	echo   *echo.Echo
	web    *web.Site // the relay's own pages

	anonLimit, personaLimit, readLimit ratelimit.Limiter
	redis                              *redis.Client // nil without --redis
	healthChecks                       []func() error

	shareMu sync.Mutex // serializes share appends (index allocation)

	srv    *http.Server
	ln     net.Listener
	served chan error
	stopGC context.CancelFunc
	gcDone chan struct{}

	fed     *federated   // nil when the node is not federated
	cluster *cluster.Log // nil without Redis

	stakingCfg *staking.Config  // nil without a relay registry
	staking    *staking.Service // running after Start

	shutdownOnce sync.Once
	shutdownErr  error

	metrics *nodeMetrics
}

// Option changes how New builds a node.
type Option func(*Node)

// WithLogger sets the logger (default: JSON to stderr at info level).
func WithLogger(l *slog.Logger) Option { return func(n *Node) { n.log = l } }

// New opens a node's stores and builds its HTTP handler. It does not listen
// yet: see Start.
func New(cfg Config, opts ...Option) (*Node, error) {
	cfg = cfg.withDefaults()
	n := &Node{cfg: cfg, reg: prometheus.NewRegistry()}
	for _, o := range opts {
		o(n)
	}
	if n.log == nil {
		n.log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	n.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n.metrics = newNodeMetrics(n.reg)
	// The web front first: a web_wasm_dir without the wasm fails before
	// anything is opened.
	front, err := web.New(web.Options{WasmDir: cfg.WebWasmDir})
	if err != nil {
		return nil, fmt.Errorf("relay: web_wasm_dir: %w", err)
	}
	n.web = front
	if n.stakingCfg, err = stakingConfig(cfg); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("relay: data directory: %w", err)
	}
	quota := max(cfg.QuotaAnon, cfg.QuotaPersona)
	st, err := storage.Open(storage.Config{
		Dir:           filepath.Join(cfg.DataDir, "store"),
		RawLimit:      cfg.RawLimit,
		MaxBlobSize:   cfg.MaxBlobSize,
		QuotaPerOwner: quota,
		Unmetered:     unmetered,
		QuotaTotal:    cfg.QuotaTotal,
		Registerer:    n.reg,
	})
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	n.store = st
	n.meta = namespace.Wrap(st.Datastore(), datastore.NewKey("/relay"))
	if err := n.connect(cfg); err != nil {
		st.Close()
		return nil, err
	}
	n.hub = hub.New(hub.Config{
		MaxConnections:   cfg.MaxWSConns,
		MaxSubscriptions: cfg.MaxWSSubs,
		Registerer:       n.reg,
		Logger:           n.log,
	}, n.broker)
	n.dir, err = directory.New(st.Datastore(), directory.Options{
		OnUpdate:   n.keyChanged,
		Refresh:    n.catchUp,
		Registerer: n.reg,
		Logger:     n.log,
	})
	if err != nil {
		n.broker.Close()
		st.Close()
		return nil, fmt.Errorf("relay: %w", err)
	}
	if err := n.joinCluster(cfg); err != nil {
		n.broker.Close()
		st.Close()
		return nil, err
	}
	if err := n.joinFederation(cfg); err != nil {
		n.closeStores()
		return nil, err
	}
	if err := n.routes(); err != nil {
		n.closeStores()
		return nil, err
	}
	return n, nil
}

// routes builds the echo router.
func (n *Node) routes() error {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = api.ErrorHandler(n.log)
	e.Use(n.metrics.middleware, recoverJSON(n.log))
	read := runPolicies(RateLimit(n.readLimit, ClientIP))

	e.POST("/v1/blobs", n.postBlob, runPolicies(
		ContentTypes("application/octet-stream", "application/pgp-encrypted", "application/pgp-signature"),
		MaxBody(n.cfg.MaxBlobSize),
		n.uploadRate,
	))
	e.GET("/v1/blobs/:cid", n.getBlob, read)
	e.HEAD("/v1/blobs/:cid", n.getBlob, read)
	e.POST("/v1/shares/:cid", n.postShare, runPolicies(MaxBody(n.cfg.MaxShareSize), RateLimit(n.anonLimit, ClientIP)))
	e.GET("/v1/shares/:cid", n.getShares, read)
	e.GET("/v1/info", n.info)
	e.GET("/healthz", n.health)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(n.reg, promhttp.HandlerOpts{})))
	e.GET("/v1/ws", echo.WrapHandler(n.hub))

	bs := blockservice.New(n.store.Blockstore(), nil)
	backend, err := gateway.NewBlocksBackend(bs)
	if err != nil {
		return fmt.Errorf("relay: gateway: %w", err)
	}
	gw := gateway.NewHandler(gateway.Config{DeserializedResponses: false, NoDNSLink: true}, backend)
	e.Any("/ipfs/*", echo.WrapHandler(gw), read)

	n.dir.Register(e)

	// The relay's own pages (web/): the dashboard, key lookup, and the post
	// viewer that the links of payload.Link (/p/<cid>, /p/#v1.…) open.
	site := echo.WrapHandler(n.web)
	for _, p := range []string{"/", "/keys", "/p/", "/p/:cid", "/web/*"} {
		e.Match([]string{http.MethodGet, http.MethodHead}, p, site)
	}
	n.echo = e
	return nil
}

// Handler is the node's HTTP handler.
func (n *Node) Handler() http.Handler { return n.echo }

// Start listens on the configured address and serves in the background.
func (n *Node) Start() error {
	ln, err := net.Listen("tcp", n.cfg.Listen)
	if err != nil {
		return fmt.Errorf("relay: listen: %w", err)
	}
	n.ln = ln
	n.srv = &http.Server{
		Handler:           n.echo,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    n.cfg.MaxHeaderSize,
		ErrorLog:          slog.NewLogLogger(n.log.Handler(), slog.LevelWarn),
	}
	n.served = make(chan error, 1)
	go func() { n.served <- n.srv.Serve(ln) }()
	n.startGC()
	if err := n.startStaking(); err != nil {
		return err
	}
	n.log.Info("relay listening", "addr", n.Addr(), "url", n.URL(), "data_dir", n.cfg.DataDir, "web_decrypts", n.web.HasWasm())
	return nil
}

// Addr is the address the node listens on (after Start).
func (n *Node) Addr() string {
	if n.ln == nil {
		return n.cfg.Listen
	}
	return n.ln.Addr().String()
}

// URL is the base URL clients use.
func (n *Node) URL() string {
	if n.cfg.PublicURL != "" {
		return n.cfg.PublicURL
	}
	return "http://" + n.Addr()
}

// Shutdown stops accepting requests, lets running ones finish (until ctx
// ends), closes WebSocket connections and then the stores.
func (n *Node) Shutdown(ctx context.Context) error {
	n.shutdownOnce.Do(func() { n.shutdownErr = n.shutdown(ctx) })
	return n.shutdownErr
}

func (n *Node) shutdown(ctx context.Context) error {
	var errs []error
	if n.staking != nil {
		n.staking.Close()
	}
	if n.stopGC != nil {
		n.stopGC()
		<-n.gcDone
	}
	if n.srv != nil {
		errs = append(errs, n.srv.Shutdown(ctx))
		if err := <-n.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	errs = append(errs, n.hub.Shutdown(ctx))
	if node := n.libp2p(); node != nil {
		errs = append(errs, node.Close())
	}
	errs = append(errs, n.closeStores())
	return errors.Join(errs...)
}

// closeStores closes what New opened: the cluster log, the broker, the
// store and the Redis client.
func (n *Node) closeStores() error {
	var errs []error
	if n.cluster != nil {
		errs = append(errs, n.cluster.Close())
	}
	errs = append(errs, n.broker.Close(), n.store.Close())
	if n.redis != nil {
		errs = append(errs, n.redis.Close())
	}
	return errors.Join(errs...)
}

// keyChanged passes a directory change made here on: to the other
// processes of the cluster (before the upload is acknowledged), to
// WebSocket subscribers of the directory and to the relay network. A change
// applied from the cluster log was passed on by the process that took it.
func (n *Node) keyChanged(ctx context.Context, fpr string) {
	if fromCluster(ctx) {
		return
	}
	if n.cluster != nil {
		rec, err := n.dir.Get(ctx, fpr)
		if err == nil {
			err = n.replicate(ctx, entryKey, nil, []byte(rec.Armored))
		}
		if err != nil {
			n.log.Error("key change not passed to the cluster", "fingerprint", fpr, "err", err)
		}
	}
	n.publish(ctx, "directory", map[string]any{"type": "key", "fingerprint": fpr})
	go n.shareKeyChange(fpr)
}

// startGC collects unpinned blocks every GCInterval until Shutdown.
func (n *Node) startGC() {
	every := time.Duration(n.cfg.GCInterval)
	if every <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.stopGC, n.gcDone = cancel, make(chan struct{})
	go func() {
		defer close(n.gcDone)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				rep, err := n.store.GC(ctx)
				if err != nil && ctx.Err() == nil {
					n.log.Error("garbage collection failed", "err", err)
					continue
				}
				n.log.Info("garbage collection", "removed_blocks", rep.Removed, "freed_bytes", rep.Freed, "took", rep.Duration)
			}
		}
	}()
}

// connect chooses the broker and the rate limiters: in-process by default,
// shared through Redis when the config names one, so that several
// processes behind one address deliver each other's events and share
// limits.
func (n *Node) connect(cfg Config) error {
	if cfg.Redis == "" {
		n.broker = hub.NewMemoryBroker(hub.MemoryConfig{HistorySize: cfg.HistorySize})
		n.anonLimit = ratelimit.NewMemory(cfg.RateAnon, cfg.BurstAnon, 0)
		n.personaLimit = ratelimit.NewMemory(cfg.RatePersona, cfg.BurstPersona, 0)
		n.readLimit = ratelimit.NewMemory(cfg.RateRead, cfg.BurstRead, 0)
		return nil
	}
	opts, err := redis.ParseURL(cfg.Redis)
	if err != nil {
		return fmt.Errorf("relay: --redis: %w", err)
	}
	opts.ContextTimeoutEnabled = true
	redis.SetLogger(redisLogger{n.log})
	opts.DialerRetries = 1 // fail fast while Redis is away; the broker retries itself
	n.redis = redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := hub.NewRedisBroker(ctx, hub.RedisConfig{Client: n.redis, HistorySize: cfg.HistorySize, Registerer: n.reg, Logger: n.log})
	if err != nil {
		n.redis.Close()
		return fmt.Errorf("relay: redis broker: %w", err)
	}
	n.broker = b
	lo := []ratelimit.Option{ratelimit.WithLogger(n.log)}
	anon := ratelimit.NewRedis(n.redis, "veil:rl:anon:", cfg.RateAnon, cfg.BurstAnon, append(lo, ratelimit.WithRegisterer(n.reg))...)
	n.anonLimit = anon
	n.personaLimit = ratelimit.NewRedis(n.redis, "veil:rl:persona:", cfg.RatePersona, cfg.BurstPersona, lo...)
	n.readLimit = ratelimit.NewRedis(n.redis, "veil:rl:read:", cfg.RateRead, cfg.BurstRead, lo...)
	n.healthChecks = append(n.healthChecks, func() error {
		if !b.Healthy() {
			return errors.New("redis unreachable: events and rate limits are local until it returns")
		}
		return nil
	})
	return nil
}

// redisLogger passes go-redis's own messages (mostly failed dials while
// Redis is away, which the relay reports itself) to the log at debug level.
type redisLogger struct{ log *slog.Logger }

func (r redisLogger) Printf(_ context.Context, format string, v ...any) {
	r.log.Debug("redis: " + fmt.Sprintf(format, v...))
}
