package relay

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/veilsocial/veil/relay/federation"
	"github.com/veilsocial/veil/storage"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// federationOwner is the pin owner of blobs fetched from other relays.
const federationOwner = "federation"

// maxProviders bounds the provider hints a node remembers.
const maxProviders = 100000

// federated is the node's part in the relay network, when it has one.
type federated struct {
	node *federation.Node

	mu        sync.Mutex
	providers map[cid.Cid]peer.ID  // which relay announced a blob
	received  map[string]time.Time // fingerprints just learned from the network
}

// joinFederation starts the libp2p side when the config asks for it.
func (n *Node) joinFederation(cfg Config) error {
	if len(cfg.P2PListen) == 0 && len(cfg.Peers) == 0 && !cfg.MDNS {
		return nil
	}
	f := &federated{providers: map[cid.Cid]peer.ID{}, received: map[string]time.Time{}}
	n.fed = f // the hooks below may run before New returns
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := federation.New(ctx, federation.Config{
		ListenAddrs:    cfg.P2PListen,
		Peers:          cfg.Peers,
		MDNS:           cfg.MDNS,
		KeyFile:        filepath.Join(cfg.DataDir, "p2p.key"),
		Blockstore:     n.store.Blockstore(),
		Datastore:      n.store.Datastore(),
		MaxBlobSize:    cfg.MaxBlobSize,
		Registerer:     n.reg,
		Logger:         n.log,
		OnAnnouncement: n.remoteAnnouncement,
		OnKeyRecord:    n.remoteKey,
	})
	if err != nil {
		n.fed = nil
		return fmt.Errorf("relay: federation: %w", err)
	}
	f.mu.Lock()
	f.node = node
	f.mu.Unlock()
	return nil
}

// libp2p returns the federation node, or nil while it is starting or when
// the relay is not federated.
func (n *Node) libp2p() *federation.Node {
	if n.fed == nil {
		return nil
	}
	n.fed.mu.Lock()
	defer n.fed.mu.Unlock()
	return n.fed.node
}

// remoteAnnouncement: another relay stores a post. Its recipients
// connected here are told, and the origin is remembered as a provider.
func (n *Node) remoteAnnouncement(ctx context.Context, a federation.Announcement) {
	n.fed.mu.Lock()
	if len(n.fed.providers) >= maxProviders {
		clear(n.fed.providers)
	}
	n.fed.providers[a.CID] = a.Origin
	n.fed.mu.Unlock()
	if !n.firstToHear(ctx, a.CID) {
		return
	}
	for _, id := range a.Recipients {
		if id != 0 {
			n.publish(ctx, relayclient.InboxChannel(id), map[string]any{"type": "post", "cid": a.CID.String(), "size": a.Size})
		}
	}
}

// firstToHear reports whether this process is the first of its cluster to
// hear of an announced blob, so that subscribers are told once, not once
// per process that is federated. Without Redis, or when Redis cannot say,
// it is true: better a repeated event than a lost one.
func (n *Node) firstToHear(ctx context.Context, id cid.Cid) bool {
	if n.redis == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	first, err := n.redis.SetNX(ctx, "veil:announced:"+id.String(), 1, time.Hour).Result()
	return first || err != nil
}

// remoteKey: another relay has a new or changed key; the directory checks
// it like any upload.
func (n *Node) remoteKey(ctx context.Context, key []byte) error {
	res, err := n.dir.Submit(ctx, key)
	if err != nil {
		return err
	}
	n.fed.mu.Lock()
	for _, k := range res.Keys {
		n.fed.received[k.Fingerprint] = time.Now()
	}
	n.fed.mu.Unlock()
	return nil
}

// announce tells the network about a local upload.
func (n *Node) announce(ctx context.Context, b storage.Blob, recipients []uint64) {
	node := n.libp2p()
	if node == nil {
		return
	}
	err := node.Announce(context.WithoutCancel(ctx), federation.Announcement{CID: b.CID, Recipients: recipients, Size: b.Size, Time: time.Now()})
	if err != nil {
		n.log.Warn("announce failed", "cid", b.CID.String(), "err", err)
	}
}

// shareKey passes a directory change made here on to the network; changes
// that came from the network are not sent back.
func (n *Node) shareKeyChange(fpr string) {
	node := n.libp2p()
	if node == nil {
		return
	}
	n.fed.mu.Lock()
	t, fromNet := n.fed.received[fpr]
	delete(n.fed.received, fpr)
	n.fed.mu.Unlock()
	if fromNet && time.Since(t) < time.Minute {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, err := n.dir.Get(ctx, fpr)
	if err == nil {
		err = node.PublishKey(ctx, []byte(rec.Armored))
	}
	if err != nil {
		n.log.Warn("key not passed on", "fingerprint", fpr, "err", err)
	}
}

// fetchRemote makes a blob another relay announced local, by bitswap, and
// pins it so garbage collection keeps it.
func (n *Node) fetchRemote(ctx context.Context, id cid.Cid) error {
	node := n.libp2p()
	if node == nil {
		return storage.ErrNotFound
	}
	n.fed.mu.Lock()
	origin, ok := n.fed.providers[id]
	n.fed.mu.Unlock()
	// A blob some relay announced is worth waiting for; for any other CID
	// ask the network briefly, so an unknown CID is a quick 404.
	var hints []peer.ID
	wait := 2 * time.Second
	if ok {
		hints, wait = append(hints, origin), 20*time.Second
	}
	fctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if _, err := node.Fetch(fctx, id, hints...); err != nil {
		if errors.Is(err, federation.ErrFetch) || errors.Is(err, context.DeadlineExceeded) {
			return storage.ErrNotFound
		}
		return err
	}
	return n.store.Pin(context.WithoutCancel(ctx), id, federationOwner)
}
