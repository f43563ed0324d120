package federation

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Datastore layout, under /federation in Config.Datastore:
//
//	/federation/log/<origin>/<seq, 20 digits>   an encoded entry, as signed by its origin
//	/federation/head/<origin>                   uvarint: every entry of origin up to here is held
//	/federation/keyhash/<sha256 of key, hex>    a key record with these key bytes is held
const (
	prefixLog     = "/federation/log/"
	prefixHead    = "/federation/head/"
	prefixKeyHash = "/federation/keyhash/"
)

func logKey(origin peer.ID, seq uint64) datastore.Key {
	return datastore.RawKey(fmt.Sprintf("%s%s/%020d", prefixLog, origin, seq))
}

func headKey(origin peer.ID) datastore.Key { return datastore.RawKey(prefixHead + origin.String()) }

func keyHashKey(key []byte) datastore.Key {
	h := sha256.Sum256(key)
	return datastore.RawKey(prefixKeyHash + hex.EncodeToString(h[:]))
}

// entryLog is the append-only log of every entry a node holds, its own and
// its peers', with each origin's head: the highest seq up to which it holds
// all of the origin's entries. Heads are what a node tells a peer when it
// asks for what it misses.
type entryLog struct {
	ds datastore.Batching

	mu       sync.Mutex
	heads    map[peer.ID]uint64
	inflight map[string]bool // entries being delivered: "<origin>/<seq>"
}

func openLog(ctx context.Context, ds datastore.Batching) (*entryLog, error) {
	l := &entryLog{ds: ds, heads: map[peer.ID]uint64{}, inflight: map[string]bool{}}
	res, err := ds.Query(ctx, query.Query{Prefix: strings.TrimSuffix(prefixHead, "/")})
	if err != nil {
		return nil, fmt.Errorf("federation: failed to read the log: %w", err)
	}
	defer res.Close()
	for r := range res.Next() {
		if r.Error != nil {
			return nil, fmt.Errorf("federation: failed to read the log: %w", r.Error)
		}
		id, err := peer.Decode(strings.TrimPrefix(r.Key, prefixHead))
		if err != nil {
			return nil, fmt.Errorf("federation: bad head key %q in the log", r.Key)
		}
		h, n := binary.Uvarint(r.Value)
		if n <= 0 {
			return nil, fmt.Errorf("federation: bad head of %s in the log", id)
		}
		l.heads[id] = h
	}
	return l, nil
}

// head returns the head of origin.
func (l *entryLog) head(origin peer.ID) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.heads[origin]
}

// snapshot returns every origin's head.
func (l *entryLog) snapshot() map[peer.ID]uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[peer.ID]uint64, len(l.heads))
	for k, v := range l.heads {
		out[k] = v
	}
	return out
}

// has reports whether the log holds origin's entry seq.
func (l *entryLog) has(ctx context.Context, origin peer.ID, seq uint64) (bool, error) {
	if seq <= l.head(origin) {
		return true, nil
	}
	return l.ds.Has(ctx, logKey(origin, seq))
}

// get returns origin's entry seq as encoded.
func (l *entryLog) get(ctx context.Context, origin peer.ID, seq uint64) ([]byte, error) {
	return l.ds.Get(ctx, logKey(origin, seq))
}

// hasKey reports whether the log holds a key record with exactly these key
// bytes.
func (l *entryLog) hasKey(ctx context.Context, key []byte) (bool, error) {
	return l.ds.Has(ctx, keyHashKey(key))
}

// appendOwn adds the node's next own entry: build encodes it for the seq
// it is given. The entry and the new head are written in one batch (a
// synced write on the relay's store) before appendOwn returns, so a seq is
// never handed out twice, even across a crash.
func (l *entryLog) appendOwn(ctx context.Context, self peer.ID, key []byte, build func(seq uint64) ([]byte, error)) (uint64, []byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	seq := l.heads[self] + 1
	raw, err := build(seq)
	if err != nil {
		return 0, nil, err
	}
	b, err := l.ds.Batch(ctx)
	if err != nil {
		return 0, nil, err
	}
	if err := errors.Join(
		b.Put(ctx, logKey(self, seq), raw),
		b.Put(ctx, headKey(self), binary.AppendUvarint(nil, seq)),
	); err != nil {
		return 0, nil, err
	}
	if key != nil {
		if err := b.Put(ctx, keyHashKey(key), nil); err != nil {
			return 0, nil, err
		}
	}
	if err := b.Commit(ctx); err != nil {
		return 0, nil, fmt.Errorf("federation: failed to write the log: %w", err)
	}
	l.heads[self] = seq
	return seq, raw, nil
}

// claim marks e as being delivered; it returns false if e is held or being
// delivered already. A claimed entry must be stored or released.
func (l *entryLog) claim(ctx context.Context, e *entry) (bool, error) {
	id := fmt.Sprintf("%s/%d", e.origin, e.seq)
	l.mu.Lock()
	if l.inflight[id] || e.seq <= l.heads[e.origin] {
		l.mu.Unlock()
		return false, nil
	}
	l.inflight[id] = true
	l.mu.Unlock()
	held, err := l.ds.Has(ctx, logKey(e.origin, e.seq))
	if err != nil || held {
		l.release(e)
		return false, err
	}
	return true, nil
}

func (l *entryLog) release(e *entry) {
	l.mu.Lock()
	delete(l.inflight, fmt.Sprintf("%s/%d", e.origin, e.seq))
	l.mu.Unlock()
}

// store writes a claimed entry of a peer and advances its origin's head
// over every entry now held in a row.
func (l *entryLog) store(ctx context.Context, e *entry) error {
	defer l.release(e)
	b, err := l.ds.Batch(ctx)
	if err != nil {
		return err
	}
	if err := b.Put(ctx, logKey(e.origin, e.seq), e.raw); err != nil {
		return err
	}
	if e.kind == kindKey {
		if err := b.Put(ctx, keyHashKey(e.key), nil); err != nil {
			return err
		}
	}
	if err := b.Commit(ctx); err != nil {
		return fmt.Errorf("federation: failed to write the log: %w", err)
	}
	return l.advance(ctx, e.origin)
}

// advance moves origin's head over the entries held after it.
func (l *entryLog) advance(ctx context.Context, origin peer.ID) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.heads[origin]
	for {
		ok, err := l.ds.Has(ctx, logKey(origin, h+1))
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		h++
	}
	if h == l.heads[origin] {
		return nil
	}
	if err := l.ds.Put(ctx, headKey(origin), binary.AppendUvarint(nil, h)); err != nil {
		return fmt.Errorf("federation: failed to write the log: %w", err)
	}
	l.heads[origin] = h
	return nil
}
