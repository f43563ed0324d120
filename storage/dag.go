package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	chunker "github.com/ipfs/boxo/chunker"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	"github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	uio "github.com/ipfs/boxo/ipld/unixfs/io"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	"github.com/multiformats/go-multihash"
)

// dagFlushBytes is how many bytes of new blocks an import holds before it
// writes them; with the chunk being read, the importer's memory stays near
// this whatever the blob's size.
const dagFlushBytes = 512 << 10

var dagCidBuilder = cid.V1Builder{Codec: cid.DagProtobuf, MhType: multihash.SHA2_256}

// putDAG imports a blob larger than RawLimit as a UnixFS file: a balanced
// DAG of ChunkSize raw leaves under dag-pb nodes, CIDv1 sha2-256
// throughout, written as it is built. m meters r and holds the first error
// of the source or of a limit. Until the pin is durable, the blocks the
// import relies on are protected from GC.
func (s *Store) putDAG(ctx context.Context, r io.Reader, m *meter, owner string) (Blob, error) {
	w := &dagWriter{s: s, nodes: s.nodes, seen: map[string]struct{}{}}
	defer func() { s.unprotect(w.keys...) }()
	params := helpers.DagBuilderParams{
		Dagserv:    w,
		Maxlinks:   helpers.DefaultLinksPerBlock,
		RawLeaves:  true,
		CidBuilder: dagCidBuilder,
	}
	db, err := params.New(chunker.NewSizeSplitter(r, ChunkSize))
	if err != nil {
		return Blob{}, fmt.Errorf("storage: failed to start the import: %w", err)
	}
	root, err := balanced.Layout(db)
	// The source's error (or a limit's) comes first, whatever the importer
	// made of it: io.ReadFull, under the chunker, drops an error that comes
	// with the last byte of a full chunk.
	if m.err != nil {
		return Blob{}, m.err
	}
	if err != nil {
		return Blob{}, fmt.Errorf("storage: failed to import: %w", err)
	}
	size := m.n
	if pn, ok := root.(*merkledag.ProtoNode); ok {
		fs, err := unixfs.FSNodeFromBytes(pn.Data())
		if err != nil || int64(fs.FileSize()) != size {
			return Blob{}, fmt.Errorf("storage: imported DAG does not hold the %d bytes read", size)
		}
	}
	if err := s.submit(s.pinOp(root.Cid(), size, owner, w.pending, nil), w.pendingBytes); err != nil {
		return Blob{}, err
	}
	return Blob{CID: root.Cid(), Size: size}, nil
}

// dagWriter is the DAGService the importer writes to: it keeps the new
// blocks and writes them, synced, each time they reach dagFlushBytes;
// blocks that are stored already are skipped by the op that writes them.
// What is left when the import ends goes in the same op as the pin. Every
// block is protected from GC from the moment the import first sees it
// (keys) until the pin is committed.
type dagWriter struct {
	s            *Store
	nodes        *nodeGetter
	seen         map[string]struct{}
	keys         []string
	pending      []blockData
	pendingBytes int
}

func (w *dagWriter) Add(ctx context.Context, n ipld.Node) error {
	key := blockKey(n.Cid().Hash())
	if _, ok := w.seen[key]; ok {
		return nil
	}
	w.seen[key] = struct{}{}
	w.s.protect(key)
	w.keys = append(w.keys, key)
	data := n.RawData()
	w.pending = append(w.pending, blockData{key: key, data: data})
	w.pendingBytes += len(data)
	if w.pendingBytes < dagFlushBytes {
		return nil
	}
	blks, size := w.pending, w.pendingBytes
	w.pending, w.pendingBytes = nil, 0
	return w.s.submit(func(t *txn) error { return t.putBlocks(blks) }, size)
}

func (w *dagWriter) AddMany(ctx context.Context, ns []ipld.Node) error {
	for _, n := range ns {
		if err := w.Add(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

func (w *dagWriter) Get(ctx context.Context, c cid.Cid) (ipld.Node, error) {
	return w.nodes.Get(ctx, c)
}

func (w *dagWriter) GetMany(ctx context.Context, cs []cid.Cid) <-chan *ipld.NodeOption {
	return w.nodes.GetMany(ctx, cs)
}

var errNoRemove = errors.New("storage: blocks are removed only by GC")

func (w *dagWriter) Remove(context.Context, cid.Cid) error { return errNoRemove }

func (w *dagWriter) RemoveMany(context.Context, []cid.Cid) error { return errNoRemove }

// nodeGetter reads IPLD nodes from the verifying blockstore. Unlike a
// blockservice-backed DAGService it keeps the error of a block that cannot
// be read (ErrCorrupt, ErrNotFound) instead of turning it into "failed to
// fetch all nodes".
type nodeGetter struct {
	bs *verifyingBlockstore
}

func (g *nodeGetter) Get(ctx context.Context, c cid.Cid) (ipld.Node, error) {
	b, err := g.block(ctx, c)
	if err != nil {
		return nil, err
	}
	switch c.Type() {
	case cid.Raw:
		return merkledag.DecodeRawBlock(b)
	case cid.DagProtobuf:
		n, err := merkledag.DecodeProtobufBlock(b)
		if err != nil {
			return nil, fmt.Errorf("storage: block %s is not dag-pb: %w", c, err)
		}
		return n, nil
	}
	return nil, fmt.Errorf("%w: %s is neither a raw nor a dag-pb block", ErrNotFound, c)
}

// block returns the verified block c, with ErrNotFound if it is missing.
func (g *nodeGetter) block(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	b, err := g.bs.Get(ctx, c)
	if ipld.IsNotFound(err) {
		return nil, fmt.Errorf("%w: block %s", ErrNotFound, c)
	}
	return b, err
}

// GetMany reads the nodes one after the other and stops at the first
// error, which it passes on.
func (g *nodeGetter) GetMany(ctx context.Context, cs []cid.Cid) <-chan *ipld.NodeOption {
	out := make(chan *ipld.NodeOption, len(cs)) // never blocks: the goroutine always ends
	go func() {
		defer close(out)
		for _, c := range cs {
			if err := ctx.Err(); err != nil {
				out <- &ipld.NodeOption{Err: err}
				return
			}
			n, err := g.Get(ctx, c)
			out <- &ipld.NodeOption{Node: n, Err: err}
			if err != nil {
				return
			}
		}
	}()
	return out
}

// open returns a reader of the blob c (CIDv1) and its size.
func (g *nodeGetter) open(ctx context.Context, c cid.Cid) (io.ReadSeekCloser, int64, error) {
	switch c.Type() {
	case cid.Raw:
		b, err := g.block(ctx, c)
		if err != nil {
			return nil, 0, err
		}
		return nopCloser{bytes.NewReader(b.RawData())}, int64(len(b.RawData())), nil
	case cid.DagProtobuf:
		n, err := g.Get(ctx, c)
		if err != nil {
			return nil, 0, err
		}
		dr, err := uio.NewDagReader(ctx, n, g)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %s is not a UnixFS file: %w", ErrNotFound, c, err)
		}
		return dr, int64(dr.Size()), nil
	}
	return nil, 0, fmt.Errorf("%w: %s is neither a raw block nor a UnixFS file", ErrNotFound, c)
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// collect returns the keys of the blocks of the blob c and its size. It
// reads (and so verifies) the inner nodes of a DAG, not its leaves; the
// caller checks that those are stored.
func (g *nodeGetter) collect(ctx context.Context, c cid.Cid) ([]string, int64, error) {
	switch c.Type() {
	case cid.Raw:
		n, err := g.bs.GetSize(ctx, c)
		if ipld.IsNotFound(err) {
			return nil, 0, fmt.Errorf("%w: block %s", ErrNotFound, c)
		}
		if err != nil {
			return nil, 0, err
		}
		return []string{blockKey(c.Hash())}, int64(n), nil
	case cid.DagProtobuf:
		n, err := g.Get(ctx, c)
		if err != nil {
			return nil, 0, err
		}
		fs, err := unixfs.ExtractFSNode(n)
		if err != nil || (fs.Type() != unixfs.TFile && fs.Type() != unixfs.TRaw) {
			return nil, 0, fmt.Errorf("%w: %s is not a UnixFS file", ErrNotFound, c)
		}
		seen := map[string]struct{}{}
		if err := g.walk(ctx, c, seen); err != nil {
			return nil, 0, err
		}
		keys := make([]string, 0, len(seen))
		for k := range seen {
			keys = append(keys, k)
		}
		return keys, int64(fs.FileSize()), nil
	}
	return nil, 0, fmt.Errorf("%w: %s is neither a raw block nor a UnixFS file", ErrNotFound, c)
}

// walk adds the key of every block reachable from root to seen, reading
// (and so verifying) every dag-pb node on the way; it does not read leaves.
func (g *nodeGetter) walk(ctx context.Context, root cid.Cid, seen map[string]struct{}) error {
	stack := []cid.Cid{root}
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		key := blockKey(c.Hash())
		if _, ok := seen[key]; ok {
			continue
		}
		seen[key] = struct{}{}
		if c.Type() != cid.DagProtobuf {
			continue
		}
		n, err := g.Get(ctx, c)
		if err != nil {
			return err
		}
		for _, l := range n.Links() {
			stack = append(stack, l.Cid)
		}
	}
	return nil
}
