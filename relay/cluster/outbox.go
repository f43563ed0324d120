package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"
	"github.com/redis/go-redis/v9"
)

// flushEvery is how often the flush loop checks on Redis and the outbox
// when nothing wakes it.
const flushEvery = 500 * time.Millisecond

// outboxEntry is an entry as the outbox stores it.
type outboxEntry struct {
	Kind string `json:"k"`
	Meta []byte `json:"m,omitempty"`
	Data []byte `json:"d,omitempty"`
}

func outboxKey(seq uint64) datastore.Key {
	return outboxPrefix.ChildString(fmt.Sprintf("%020d", seq))
}

// loadOutbox counts what a previous run left in the outbox and continues
// its numbering.
func (l *Log) loadOutbox(ctx context.Context) error {
	res, err := l.cfg.Store.Query(ctx, query.Query{Prefix: outboxPrefix.String(), KeysOnly: true})
	if err != nil {
		return fmt.Errorf("cluster: read outbox: %w", err)
	}
	defer res.Close()
	for r := range res.Next() {
		if r.Error != nil {
			return fmt.Errorf("cluster: read outbox: %w", r.Error)
		}
		var seq uint64
		fmt.Sscanf(datastore.NewKey(r.Key).Name(), "%d", &seq)
		l.outSeq = max(l.outSeq, seq)
		l.pending++
	}
	if l.pending > 0 {
		l.log.Info("cluster: writes left in the outbox by an earlier run", "entries", l.pending)
	}
	l.m.outbox.Set(float64(l.pending))
	return nil
}

// toOutbox keeps e locally until Redis takes it.
func (l *Log) toOutbox(ctx context.Context, e Entry) error {
	v, err := json.Marshal(outboxEntry{Kind: e.Kind, Meta: e.Meta, Data: e.Data})
	if err != nil {
		return err
	}
	l.outMu.Lock()
	defer l.outMu.Unlock()
	l.outSeq++
	if err := l.cfg.Store.Put(ctx, outboxKey(l.outSeq), v); err != nil {
		return err
	}
	l.pending++
	l.m.outbox.Set(float64(l.pending))
	select {
	case l.kick <- struct{}{}:
	default:
	}
	return nil
}

// flushLoop watches Redis while it is away and moves the outbox into the
// stream once it is back, until Close.
func (l *Log) flushLoop() {
	defer l.wg.Done()
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-t.C:
		case <-l.kick:
		}
		if !l.redisUp.Load() {
			ctx, cancel := context.WithTimeout(l.ctx, l.cfg.Timeout)
			err := l.cfg.Client.Ping(ctx).Err()
			cancel()
			if err != nil {
				continue
			}
			if l.redisUp.CompareAndSwap(false, true) {
				l.log.Info("cluster: redis answers again")
			}
		}
		if err := l.flush(); err != nil && l.ctx.Err() == nil {
			l.down(err)
		}
	}
}

// flush appends the outbox to the stream in order, deleting each entry
// once Redis has it. An entry appended twice (a crash between the two
// steps) is applied twice, which is harmless.
func (l *Log) flush() error {
	for {
		l.outMu.Lock()
		pending := l.pending
		l.outMu.Unlock()
		if pending == 0 {
			return nil
		}
		res, err := l.cfg.Store.Query(l.ctx, query.Query{Prefix: outboxPrefix.String(), Orders: []query.Order{query.OrderByKey{}}, Limit: 128})
		if err != nil {
			return err
		}
		rs, err := res.Rest()
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			l.outMu.Lock()
			l.pending = 0
			l.m.outbox.Set(0)
			l.outMu.Unlock()
			return nil
		}
		ctx, cancel := context.WithTimeout(l.ctx, l.cfg.Timeout)
		pipe := l.cfg.Client.Pipeline()
		cmds := make([]*redis.StringCmd, 0, len(rs))
		for _, r := range rs {
			var oe outboxEntry
			if err := json.Unmarshal(r.Value, &oe); err != nil {
				l.log.Error("cluster: unreadable outbox entry dropped", "key", r.Key, "err", err)
				continue
			}
			cmds = append(cmds, pipe.XAdd(ctx, l.addArgs(Entry{Kind: oe.Kind, Meta: oe.Meta, Data: oe.Data})))
		}
		_, err = pipe.Exec(ctx)
		cancel()
		if err != nil {
			return err
		}
		for _, r := range rs {
			if err := l.cfg.Store.Delete(l.ctx, datastore.NewKey(r.Key)); err != nil {
				return err
			}
		}
		l.outMu.Lock()
		l.pending -= len(rs)
		l.m.outbox.Set(float64(l.pending))
		l.outMu.Unlock()
		l.m.flushed.Add(float64(len(cmds)))
		l.log.Info("cluster: outbox entries sent to redis", "entries", len(cmds))
	}
}
