package federation

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Fetch limits. Test hooks.
var (
	// fetchIdle is how long Fetch waits for the next block before it
	// gives up (when ctx does not end first).
	fetchIdle = 30 * time.Second
	// fetchFlushBytes is how many bytes of fetched blocks Fetch holds
	// before it writes them to the Blockstore in one PutMany.
	fetchFlushBytes = 4 << 20
)

const (
	fetchMaxDepth = 8    // a 64 MiB UnixFS file is 3 levels deep
	fetchMaxWant  = 1024 // CIDs asked for at once
)

// ErrFetch is the error of a Fetch that could not get the whole blob.
var ErrFetch = errors.New("federation: fetch failed")

// Fetched describes a blob that Fetch made local.
type Fetched struct {
	CID         cid.Cid
	Size        int64 // bytes of content: a raw block's length or a UnixFS file's size
	Blocks      int   // blocks of the blob
	Transferred int64 // bytes of blocks that came over the network (0: all were local)
}

// Fetch gets the blob c by bitswap — one raw block, or a UnixFS file (a
// dag-pb DAG with raw leaves, as the relay's store makes them) — and
// writes every block of it to the Blockstore. Blocks held already are not
// fetched again. providers are peers said to hold it (an announcement's
// Origin): Fetch connects to them first (using the addresses their
// announcements carried); any other connected peer that has a block serves
// it too. The blob is not pinned: the caller pins it (storage.Store.Pin)
// before the store's next GC could collect it.
//
// Fetch refuses a DAG that is not a UnixFS file or that is larger than
// Config.MaxBlobSize. It fails (ErrFetch) when ctx ends or no block comes
// for fetchIdle.
func (n *Node) Fetch(ctx context.Context, c cid.Cid, providers ...peer.ID) (Fetched, error) {
	start := time.Now()
	f, err := n.fetch(ctx, c, providers)
	n.metrics.observeFetch(f, err, time.Since(start))
	if err != nil {
		n.log.Warn("federation: fetch failed", "cid", c.String(), "err", err)
	}
	return f, err
}

func (n *Node) fetch(ctx context.Context, c cid.Cid, providers []peer.ID) (Fetched, error) {
	f := Fetched{CID: c}
	if err := checkCID(c); err != nil {
		return f, err
	}
	n.connectProviders(ctx, providers)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := time.AfterFunc(fetchIdle, func() { cancel(fmt.Errorf("no block came for %s: %w", fetchIdle, context.DeadlineExceeded)) })
	defer idle.Stop()
	sess := n.bs.NewSession(ctx)

	w := newFetchWriter(ctx, n)
	defer w.close()
	limit := n.cfg.MaxBlobSize + n.cfg.MaxBlobSize/16 + 1<<20 // content and the DAG's inner nodes
	seen := map[cid.Cid]bool{c: true}
	level := []cid.Cid{c}
	for depth := 0; len(level) > 0; depth++ {
		if depth > fetchMaxDepth {
			return f, fmt.Errorf("%w: %s is deeper than %d levels", ErrFetch, c, fetchMaxDepth)
		}
		var next []cid.Cid
		// take adds a block of this level: its links make the next.
		take := func(b blocks.Block) error {
			f.Blocks++
			links, size, err := n.blockLinks(b, b.Cid() == c)
			if err != nil {
				return err
			}
			if b.Cid() == c {
				f.Size = size
			}
			for _, l := range links {
				if !seen[l] {
					seen[l] = true
					next = append(next, l)
				}
			}
			return nil
		}
		var missing []cid.Cid
		for _, k := range level {
			if k.Type() == cid.Raw && k != c {
				// A leaf: whether it is here is all that matters.
				has, err := n.cfg.Blockstore.Has(ctx, k)
				if err != nil {
					return f, err
				}
				if has {
					f.Blocks++
				} else {
					missing = append(missing, k)
				}
				continue
			}
			b, err := n.cfg.Blockstore.Get(ctx, k)
			switch {
			case err == nil:
				if err := take(b); err != nil {
					return f, err
				}
			case ipld.IsNotFound(err):
				missing = append(missing, k)
			default:
				return f, err
			}
		}
		for len(missing) > 0 {
			want := missing[:min(len(missing), fetchMaxWant)]
			missing = missing[len(want):]
			ch, err := sess.GetBlocks(ctx, want)
			if err != nil {
				return f, fmt.Errorf("%w: %w", ErrFetch, err)
			}
			pending := make(map[cid.Cid]bool, len(want))
			for _, k := range want {
				pending[k] = true
			}
			for b := range ch {
				if !pending[b.Cid()] {
					continue
				}
				delete(pending, b.Cid())
				idle.Reset(fetchIdle)
				f.Transferred += int64(len(b.RawData()))
				if f.Transferred > limit {
					return f, fmt.Errorf("%w: %s is larger than %d bytes", ErrFetch, c, n.cfg.MaxBlobSize)
				}
				if err := take(b); err != nil {
					return f, err
				}
				if err := w.add(b); err != nil {
					return f, err
				}
			}
			if len(pending) > 0 {
				cause := context.Cause(ctx)
				if cause == nil {
					cause = errors.New("the exchange stopped")
				}
				return f, fmt.Errorf("%w: %d blocks of %s missing: %w", ErrFetch, len(pending), c, cause)
			}
		}
		level = next
	}
	return f, w.close()
}

// blockLinks checks a block of a blob and returns its links. For the root
// it also returns the blob's size and checks it against MaxBlobSize.
func (n *Node) blockLinks(b blocks.Block, root bool) ([]cid.Cid, int64, error) {
	c := b.Cid()
	if c.Type() == cid.Raw {
		return nil, int64(len(b.RawData())), nil
	}
	pn, err := merkledag.DecodeProtobuf(b.RawData())
	if err != nil {
		return nil, 0, fmt.Errorf("%w: block %s is not dag-pb: %v", ErrFetch, c, err)
	}
	fs, err := unixfs.FSNodeFromBytes(pn.Data())
	if err != nil || (fs.Type() != unixfs.TFile && fs.Type() != unixfs.TRaw) {
		return nil, 0, fmt.Errorf("%w: %s is not a UnixFS file", ErrFetch, c)
	}
	size := int64(fs.FileSize())
	if root && (size < 0 || size > n.cfg.MaxBlobSize) {
		return nil, 0, fmt.Errorf("%w: %s holds %d bytes, over the cap of %d", ErrFetch, c, size, n.cfg.MaxBlobSize)
	}
	links := make([]cid.Cid, 0, len(pn.Links()))
	for _, l := range pn.Links() {
		if err := checkCID(l.Cid); err != nil {
			return nil, 0, fmt.Errorf("%w: %s links to %s: %w", ErrFetch, c, l.Cid, err)
		}
		links = append(links, l.Cid)
	}
	return links, size, nil
}

// connectProviders connects to the providers not connected yet, in
// parallel, for at most dialTimeout.
func (n *Node) connectProviders(ctx context.Context, providers []peer.ID) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range providers {
		if p == n.host.ID() || n.host.Network().Connectedness(p) == network.Connected {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := n.host.Connect(ctx, peer.AddrInfo{ID: p}); err != nil {
				n.log.Debug("federation: provider unreachable", "peer", p.String(), "err", err)
			}
		}()
	}
	wg.Wait()
}

// fetchWriter writes fetched blocks to the Blockstore in batches of
// fetchFlushBytes, on its own goroutine so that the network and the disk
// (a synced write on the relay's store) work at once; at most two batches
// wait. It then tells bitswap the node has them (so it serves them on).
type fetchWriter struct {
	n     *Node
	ctx   context.Context
	buf   []blocks.Block
	bytes int

	batches chan []blocks.Block
	done    chan error
	closed  bool
	err     error
}

func newFetchWriter(ctx context.Context, n *Node) *fetchWriter {
	w := &fetchWriter{n: n, ctx: ctx, batches: make(chan []blocks.Block, 1), done: make(chan error, 1)}
	go func() {
		var err error
		for batch := range w.batches {
			if err != nil {
				continue // drain
			}
			if err = n.cfg.Blockstore.PutMany(ctx, batch); err != nil {
				err = fmt.Errorf("federation: failed to store fetched blocks: %w", err)
				continue
			}
			if err := n.bs.NotifyNewBlocks(ctx, batch...); err != nil {
				n.log.Debug("federation: bitswap notify", "err", err)
			}
		}
		w.done <- err
	}()
	return w
}

func (w *fetchWriter) add(b blocks.Block) error {
	w.buf = append(w.buf, b)
	w.bytes += len(b.RawData())
	if w.bytes >= fetchFlushBytes {
		return w.send()
	}
	return nil
}

func (w *fetchWriter) send() error {
	if len(w.buf) == 0 {
		return nil
	}
	select {
	case w.batches <- w.buf:
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
	w.buf, w.bytes = nil, 0
	return nil
}

// close writes what is left and waits for every write.
func (w *fetchWriter) close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	err := w.send()
	close(w.batches)
	w.err = errors.Join(err, <-w.done)
	return w.err
}
