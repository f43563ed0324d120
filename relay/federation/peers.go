package federation

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"
)

// Reconnection of configured peers. Test hooks.
var (
	dialBackoffMin = time.Second
	dialBackoffMax = time.Minute
	dialTimeout    = 15 * time.Second
	// checkConnected is how often a connected peer's connection is
	// checked, besides the disconnect events.
	checkConnected = 30 * time.Second
	// syncSettle is when a new connection is synced a second time.
	syncSettle = 5 * time.Second
)

// Connection manager tags.
const (
	tagRelay      = "veil-relay"
	protectConfig = "veil-configured-peer"
)

// watchEvents syncs with each relay once identify tells it speaks the sync
// protocol, and wakes the dialer of a configured peer that disconnected.
func (n *Node) watchEvents() {
	for {
		select {
		case <-n.ctx.Done():
			return
		case ev, ok := <-n.events.Out():
			if !ok {
				return
			}
			switch ev := ev.(type) {
			case event.EvtPeerIdentificationCompleted:
				if slices.Contains(ev.Protocols, ProtocolSync) {
					n.host.ConnManager().TagPeer(ev.Peer, tagRelay, 50)
					n.requestSync(ev.Peer)
					n.syncAgainSoon(ev.Peer)
				}
			case event.EvtPeerConnectednessChanged:
				if ev.Connectedness != network.NotConnected {
					continue
				}
				n.dialMu.Lock()
				wake := n.dialer[ev.Peer]
				n.dialMu.Unlock()
				if wake != nil {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			}
		}
	}
}

// syncAgainSoon pulls from a newly connected relay once more after
// syncSettle: gossip of entries published while the connection was being
// set up (before the peers' subscriptions were known) may have missed it.
func (n *Node) syncAgainSoon(p peer.ID) {
	n.spawn(func() {
		t := time.NewTimer(syncSettle)
		defer t.Stop()
		select {
		case <-n.ctx.Done():
		case <-t.C:
			if n.host.Network().Connectedness(p) == network.Connected {
				n.requestSync(p)
			}
		}
	})
}

// keepConnected connects to a configured peer and reconnects whenever the
// connection drops, backing off (with jitter) while the peer cannot be
// reached.
func (n *Node) keepConnected(ai peer.AddrInfo) {
	if ai.ID == n.host.ID() {
		return
	}
	wake := make(chan struct{}, 1)
	n.dialMu.Lock()
	if _, ok := n.dialer[ai.ID]; ok {
		n.dialMu.Unlock()
		n.host.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.PermanentAddrTTL)
		return
	}
	n.dialer[ai.ID] = wake
	n.dialMu.Unlock()
	n.host.ConnManager().Protect(ai.ID, protectConfig)
	n.host.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.PermanentAddrTTL)
	n.spawn(func() {
		backoff := dialBackoffMin
		for {
			if n.host.Network().Connectedness(ai.ID) != network.Connected {
				ctx, cancel := context.WithTimeout(n.ctx, dialTimeout)
				err := n.host.Connect(ctx, peer.AddrInfo{ID: ai.ID})
				cancel()
				if n.ctx.Err() != nil {
					return
				}
				if err != nil {
					n.metrics.dials.WithLabelValues("error").Inc()
					n.log.Debug("federation: peer unreachable", "peer", ai.ID.String(), "retry_in", backoff, "err", err)
					wait := backoff/2 + rand.N(backoff/2+1)
					backoff = min(2*backoff, dialBackoffMax)
					select {
					case <-n.ctx.Done():
						return
					case <-time.After(wait):
					}
					continue
				}
				n.metrics.dials.WithLabelValues("ok").Inc()
				n.log.Info("federation: connected to peer", "peer", ai.ID.String())
				backoff = dialBackoffMin
			}
			select {
			case <-n.ctx.Done():
				return
			case <-wake:
			case <-time.After(checkConnected):
			}
		}
	})
}

// mdnsNotifee connects to the relays mDNS finds.
type mdnsNotifee struct{ n *Node }

func (m mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	n := m.n
	if ai.ID == n.host.ID() || n.host.Network().Connectedness(ai.ID) == network.Connected {
		return
	}
	n.spawn(func() {
		ctx, cancel := context.WithTimeout(n.ctx, dialTimeout)
		defer cancel()
		if err := n.host.Connect(ctx, ai); err != nil {
			n.log.Debug("federation: mDNS peer unreachable", "peer", ai.ID.String(), "err", err)
			return
		}
		n.log.Info("federation: connected to mDNS peer", "peer", ai.ID.String())
	})
}

// AddPeer connects to a relay found elsewhere (the on-chain registry) and
// keeps the connection as it does for configured peers: id is its peer ID,
// addrs its multiaddrs (with or without its /p2p/<id> suffix; one naming
// another peer is left out). Calling it
// again for a known peer only adds addresses.
func (n *Node) AddPeer(id string, addrs []string) error {
	pid, err := peer.Decode(id)
	if err != nil {
		return fmt.Errorf("federation: peer ID %q: %w", id, err)
	}
	ai := peer.AddrInfo{ID: pid}
	for _, s := range addrs {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return fmt.Errorf("federation: peer address %q: %w", s, err)
		}
		if t, p := peer.SplitAddr(a); t != nil && (p == "" || p == pid) {
			ai.Addrs = append(ai.Addrs, t)
		}
	}
	if len(ai.Addrs) == 0 {
		return fmt.Errorf("federation: no addresses for peer %s", id)
	}
	n.keepConnected(ai)
	return nil
}
