// Package staking is a relay's side of the on-chain relay registry
// (docs/CHAIN.md): with its operator's key it registers the relay (peer ID
// and public URL, with a self-stake) and keeps that record current; it reads
// the registry's active set to find the other staked relays to federate
// with; and it reports the relay's stake for /v1/info and the dashboard.
//
// The chain is read through wallet (any EVM JSON-RPC endpoint; `veil
// devchain` on one machine). A chain that cannot be reached never stops the
// relay: the Service retries on its interval and says what failed in its
// Status.
package staking

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// DefaultInterval is how often the active set is read by default.
const DefaultInterval = time.Minute

// Config says which registry a relay lists itself in and how.
type Config struct {
	// RPC is the chain's JSON-RPC endpoint.
	RPC string
	// Registry is the RelayRegistry contract.
	Registry common.Address
	// Operator signs the registration; nil reads the registry only (peers,
	// no listing of this relay).
	Operator wallet.Signer
	// Stake is the self-stake to register with; nil or zero takes the
	// registry's minimum.
	Stake *big.Int
	// CommissionBps is the commission asked of delegators' rewards when
	// registering, in basis points.
	CommissionBps uint16
	// PeerID and URL are what the registry lists for this relay: its libp2p
	// peer ID (empty without federation: the relay cannot register) and its
	// public base URL.
	PeerID string
	URL    string
	// Interval is how often the active set is read (DefaultInterval when 0).
	Interval time.Duration
	// Peer is told about every other relay of the active set that answers
	// at its URL with the peer ID the registry lists, with the libp2p
	// addresses it gives in /v1/info.
	Peer func(peerID string, addrs []string)
	// Transport carries the requests to other relays' /v1/info (net/http
	// when nil).
	Transport relayclient.Transport
	Log       *slog.Logger
}

// Service keeps a relay's registration and its view of the active set.
type Service struct {
	cfg    Config
	client *wallet.Client
	reg    *wallet.Registry
	log    *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	status relayclient.Stake
	told   map[string]bool // peer IDs given to Config.Peer
}

// Start connects to the chain, registers the relay when it has an operator
// and is not listed yet (or updates its peer ID and URL when they changed),
// then reads the active set, and does it again every Interval until Close.
// It all runs in the background, so a slow chain never holds up the relay;
// only a configuration that cannot work is an error.
func Start(cfg Config) (*Service, error) {
	if cfg.RPC == "" {
		return nil, errors.New("staking: no chain RPC endpoint")
	}
	if cfg.Registry == (common.Address{}) {
		return nil, errors.New("staking: no registry address")
	}
	if cfg.Operator != nil && (cfg.PeerID == "" || cfg.URL == "") {
		return nil, errors.New("staking: registering a relay needs its libp2p peer ID (p2p_listen or peers) and its public URL")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Service{cfg: cfg, log: cfg.Log, done: make(chan struct{}), told: map[string]bool{}}
	s.status.Registry = cfg.Registry.Hex()
	if cfg.Operator != nil {
		s.status.Operator = cfg.Operator.Address().Hex()
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.loop()
	return s, nil
}

// Status is the relay's stake as last read.
func (s *Service) Status() relayclient.Stake {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// refresh runs one round (connect, register, read the active set), records
// its error in the status and returns it. Only the loop calls it: a round
// is never run twice at once.
func (s *Service) refresh(ctx context.Context) error {
	err := s.round(ctx)
	s.mu.Lock()
	s.status.Error = ""
	if err != nil {
		s.status.Error = err.Error()
	}
	s.mu.Unlock()
	return err
}

// Close stops the Service.
func (s *Service) Close() {
	s.cancel()
	<-s.done
	if s.client != nil {
		s.client.Close()
	}
}

func (s *Service) loop() {
	defer close(s.done)
	for {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Interval+30*time.Second)
		if err := s.refresh(ctx); err != nil && s.ctx.Err() == nil {
			s.log.Warn("staking: registry round failed; retrying", "err", err, "retry_in", s.cfg.Interval)
		}
		cancel()
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(s.cfg.Interval):
		}
	}
}

// round is one pass: connect when not connected, make sure of the relay's
// listing, read the active set.
func (s *Service) round(ctx context.Context) error {
	if s.reg == nil {
		c, err := wallet.Dial(ctx, wallet.Config{RPC: s.cfg.RPC, Contracts: wallet.Contracts{Registry: s.cfg.Registry}})
		if err != nil {
			return err
		}
		reg, err := c.Registry()
		if err != nil {
			c.Close()
			return err
		}
		s.client, s.reg = c, reg
		s.mu.Lock()
		s.status.ChainID = c.ChainID().Uint64()
		s.mu.Unlock()
	}
	if s.cfg.Operator != nil {
		if err := s.ensureListed(ctx); err != nil {
			return fmt.Errorf("staking: registering: %w", err)
		}
	}
	set, err := s.reg.ActiveSet(ctx)
	if err != nil {
		return fmt.Errorf("staking: reading the active set: %w", err)
	}
	s.mu.Lock()
	s.status.ActiveSetSize = len(set)
	s.status.Active, s.status.Rank = false, 0
	for i, r := range set {
		if s.cfg.Operator != nil && r.Operator == s.cfg.Operator.Address() {
			s.status.Active, s.status.Rank = true, i+1
		}
	}
	s.status.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	s.mu.Unlock()
	s.findPeers(ctx, set)
	return nil
}

// ensureListed registers the relay, or updates its record, and reads it
// back into the status.
func (s *Service) ensureListed(ctx context.Context) error {
	op := s.cfg.Operator.Address()
	info, err := s.reg.RelayInfo(ctx, op)
	if err != nil {
		return err
	}
	switch {
	case !info.Registered:
		stake := s.cfg.Stake
		if stake == nil || stake.Sign() <= 0 {
			p, err := s.reg.Params(ctx)
			if err != nil {
				return err
			}
			stake = p.MinSelfStake
		}
		if _, err := s.reg.Register(ctx, s.cfg.Operator, s.cfg.PeerID, s.cfg.URL, s.cfg.CommissionBps, stake); err != nil {
			return err
		}
		s.log.Info("staking: relay registered", "operator", op.Hex(), "peer", s.cfg.PeerID, "url", s.cfg.URL, "stake", wallet.FormatAmount(stake))
	case info.PeerID != s.cfg.PeerID || info.URL != s.cfg.URL:
		if _, err := s.reg.UpdateRelay(ctx, s.cfg.Operator, s.cfg.PeerID, s.cfg.URL); err != nil {
			return err
		}
		s.log.Info("staking: relay record updated", "operator", op.Hex(), "peer", s.cfg.PeerID, "url", s.cfg.URL)
	default:
		s.setListing(info)
		return nil
	}
	if info, err = s.reg.RelayInfo(ctx, op); err != nil {
		return err
	}
	s.setListing(info)
	return nil
}

func (s *Service) setListing(info wallet.RelayInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.Registered = info.Registered
	s.status.TotalStake = wallet.FormatAmount(info.TotalStake)
	s.status.SelfStake = wallet.FormatAmount(info.SelfStake)
	s.status.CommissionBps = int(info.CommissionBps)
}

// findPeers asks each other relay of the set for its libp2p addresses and
// passes the ones whose peer ID matches the registry's to Config.Peer.
func (s *Service) findPeers(ctx context.Context, set []wallet.Relay) {
	found := 0
	for _, r := range set {
		if r.PeerID == "" || r.PeerID == s.cfg.PeerID || (s.cfg.Operator != nil && r.Operator == s.cfg.Operator.Address()) {
			continue
		}
		addrs, err := s.addrsOf(ctx, r)
		if err != nil {
			s.log.Debug("staking: relay of the active set not reachable", "operator", r.Operator.Hex(), "url", r.URL, "err", err)
			continue
		}
		found++
		s.mu.Lock()
		first := !s.told[r.PeerID]
		s.told[r.PeerID] = true
		s.mu.Unlock()
		if first {
			s.log.Info("staking: peer from the registry", "peer", r.PeerID, "url", r.URL)
		}
		if s.cfg.Peer != nil {
			s.cfg.Peer(r.PeerID, addrs)
		}
	}
	s.mu.Lock()
	s.status.Peers = found
	s.mu.Unlock()
}

// addrsOf reads a relay's /v1/info and returns its libp2p addresses when it
// is the peer the registry lists.
func (s *Service) addrsOf(ctx context.Context, r wallet.Relay) ([]string, error) {
	var opts []relayclient.Option
	if s.cfg.Transport != nil {
		opts = append(opts, relayclient.WithTransport(s.cfg.Transport))
	}
	c, err := relayclient.New(r.URL, opts...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	info, err := c.Info(ctx)
	if err != nil {
		return nil, err
	}
	if info.PeerID != r.PeerID {
		return nil, fmt.Errorf("%s answers as peer %q, the registry lists %q", r.URL, info.PeerID, r.PeerID)
	}
	var addrs []string
	for _, a := range info.Addrs {
		if strings.HasPrefix(a, "/") {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s gives no libp2p addresses", r.URL)
	}
	return addrs, nil
}
