package storage

import (
	"context"
	"fmt"

	"github.com/ipfs/boxo/blockstore"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// verifyingBlockstore is the store's blocks seen as a boxo blockstore: it
// reads through boxo's blockstore over the leveldb and hashes every block
// it returns; it writes through the group commit.
type verifyingBlockstore struct {
	s  *Store
	bs blockstore.Blockstore
}

var _ blockstore.Blockstore = (*verifyingBlockstore)(nil)

// Get returns the block c once its bytes hash to c. A block that does not
// is logged and counted, and reported with ErrCorrupt (which matches
// blockstore.ErrHashMismatch too).
func (v *verifyingBlockstore) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	b, err := v.bs.Get(ctx, c)
	if err != nil {
		return nil, err
	}
	got, err := c.Prefix().Sum(b.RawData())
	if err != nil {
		return nil, fmt.Errorf("storage: cannot check block %s: %w", c, err)
	}
	if !got.Equals(c) {
		v.s.log.Error("storage: stored block does not match its CID; not serving it", "cid", c.String())
		v.s.metrics.corrupt.Inc()
		return nil, fmt.Errorf("%w: block %s: %w", ErrCorrupt, c, blockstore.ErrHashMismatch)
	}
	return b, nil
}

func (v *verifyingBlockstore) Has(ctx context.Context, c cid.Cid) (bool, error) {
	return v.bs.Has(ctx, c)
}

func (v *verifyingBlockstore) GetSize(ctx context.Context, c cid.Cid) (int, error) {
	return v.bs.GetSize(ctx, c)
}

func (v *verifyingBlockstore) Put(ctx context.Context, b blocks.Block) error {
	return v.PutMany(ctx, []blocks.Block{b})
}

// PutMany checks each block against its CID and writes them durably,
// unpinned.
func (v *verifyingBlockstore) PutMany(ctx context.Context, bs []blocks.Block) error {
	blks := make([]blockData, 0, len(bs))
	size := 0
	for _, b := range bs {
		c := b.Cid()
		got, err := c.Prefix().Sum(b.RawData())
		if err != nil {
			return fmt.Errorf("storage: cannot check block %s: %w", c, err)
		}
		if !got.Equals(c) {
			return fmt.Errorf("storage: block does not match its CID %s", c)
		}
		blks = append(blks, blockData{key: blockKey(c.Hash()), data: b.RawData()})
		size += len(b.RawData())
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return v.s.submit(func(t *txn) error { return t.putBlocks(blks) }, size)
}

// DeleteBlock is refused: only GC removes blocks, and only unpinned ones.
func (v *verifyingBlockstore) DeleteBlock(context.Context, cid.Cid) error { return errNoRemove }

func (v *verifyingBlockstore) AllKeysChan(ctx context.Context) (<-chan cid.Cid, error) {
	return v.bs.AllKeysChan(ctx)
}
