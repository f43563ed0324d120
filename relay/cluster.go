package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/relay/cluster"
	"github.com/veilsocial/veil/storage"
)

// Kinds of cluster log entries: every write a process acknowledges.
const (
	entryBlob  = "blob"  // Meta: blobEntry; Data: the message
	entryShare = "share" // Meta: shareEntry; Data: the key packets
	entryKey   = "key"   // Data: the armored certificate as merged here
)

type blobEntry struct {
	CID      string `json:"cid"`
	Owner    string `json:"owner"`
	ShareKey string `json:"share_key,omitempty"`
}

type shareEntry struct {
	CID  string `json:"cid"`
	Time int64  `json:"time"` // Unix nanoseconds, as the first process stored it
}

// clusterOwner pins blobs applied from the cluster log that their owner's
// quota here could not take. Like federationOwner it is unmetered.
const clusterOwner = "cluster"

// unmetered reports the relay's own pin owners, which per-owner quotas do
// not limit.
func unmetered(owner string) bool { return owner == clusterOwner || owner == federationOwner }

// clusterConfigKey holds the storage settings every process of a cluster
// must share: blobs are re-stored from their bytes on each process, and the
// raw-block limit decides their CIDs.
const clusterConfigKey = "veil:cluster:config"

// catchUpWait bounds how long a request waits for the cluster log before
// answering from what this process has.
const catchUpWait = time.Second

// fromClusterKey marks a context in which a cluster entry is applied, so
// the write is not logged again and raises no events (the process that
// took it did that).
type fromClusterKey struct{}

func fromCluster(ctx context.Context) bool { return ctx.Value(fromClusterKey{}) != nil }

// joinCluster opens the cluster log when the relay runs on Redis.
func (n *Node) joinCluster(cfg Config) error {
	if n.redis == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	want := fmt.Sprintf(`{"raw_limit":%d}`, cfg.RawLimit)
	if err := n.redis.SetNX(ctx, clusterConfigKey, want, 0).Err(); err != nil {
		return fmt.Errorf("relay: cluster: %w", err)
	}
	if have, err := n.redis.Get(ctx, clusterConfigKey).Result(); err != nil {
		return fmt.Errorf("relay: cluster: %w", err)
	} else if have != want {
		return fmt.Errorf("relay: cluster: the processes sharing this Redis use storage settings %s; this one has %s", have, want)
	}
	l, err := cluster.Open(cluster.Config{
		Client:     n.redis,
		Store:      n.meta,
		MaxLen:     cfg.RedisLogMax,
		Apply:      n.applyEntry,
		Logger:     n.log,
		Registerer: n.reg,
	})
	if err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	n.cluster = l
	n.healthChecks = append(n.healthChecks, l.Status)
	return nil
}

// replicate appends a write this process took to the cluster log. When it
// returns nil the write is durable for the cluster (in Redis, or in the
// local outbox until Redis returns); the caller acknowledges only then.
func (n *Node) replicate(ctx context.Context, kind string, meta any, data []byte) error {
	if n.cluster == nil || fromCluster(ctx) {
		return nil
	}
	var m []byte
	if meta != nil {
		var err error
		if m, err = json.Marshal(meta); err != nil {
			return err
		}
	}
	return n.cluster.Append(context.WithoutCancel(ctx), cluster.Entry{Kind: kind, Meta: m, Data: data})
}

// replicateBlob logs a stored blob with its bytes, read back from the store.
func (n *Node) replicateBlob(ctx context.Context, id cid.Cid, owner, shareKey string) error {
	if n.cluster == nil {
		return nil
	}
	rd, _, err := n.store.Open(ctx, id)
	if err != nil {
		return err
	}
	defer rd.Close()
	data, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	return n.replicate(ctx, entryBlob, blobEntry{CID: id.String(), Owner: owner, ShareKey: shareKey}, data)
}

// catchUp waits, briefly, until this process has applied what the other
// processes wrote; without Redis it returns at once.
func (n *Node) catchUp(ctx context.Context) {
	if n.cluster == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, catchUpWait)
	defer cancel()
	_ = n.cluster.CatchUp(ctx) // on failure, answer from what is here
}

// applyEntry makes another process's write local.
func (n *Node) applyEntry(ctx context.Context, e cluster.Entry) error {
	ctx = context.WithValue(ctx, fromClusterKey{}, true)
	switch e.Kind {
	case entryBlob:
		var m blobEntry
		if err := json.Unmarshal(e.Meta, &m); err != nil {
			return err
		}
		want, err := cid.Decode(m.CID)
		if err != nil {
			return err
		}
		b, err := n.store.Put(ctx, bytes.NewReader(e.Data), m.Owner)
		if errors.Is(err, storage.ErrQuota) {
			// The owner's quota here is used up by writes this process
			// took meanwhile; the process that acknowledged this one
			// counted it. Keep it all the same, as the cluster's own.
			n.log.Warn("cluster: blob kept over its owner's quota here", "cid", m.CID, "owner", m.Owner)
			b, err = n.store.Put(ctx, bytes.NewReader(e.Data), clusterOwner)
		}
		if err != nil {
			return err
		}
		if !b.CID.Equals(want) {
			return fmt.Errorf("blob stored as %s, logged as %s: are the processes' storage settings the same?", b.CID, want)
		}
		if m.ShareKey != "" {
			return n.setOwnerKey(ctx, b.CID, m.ShareKey)
		}
		return nil
	case entryShare:
		var m shareEntry
		if err := json.Unmarshal(e.Meta, &m); err != nil {
			return err
		}
		id, err := cid.Decode(m.CID)
		if err != nil {
			return err
		}
		_, err = n.storeShare(ctx, id, time.Unix(0, m.Time), e.Data, false)
		return err
	case entryKey:
		_, err := n.dir.Submit(ctx, e.Data)
		return err
	}
	return errors.New("unknown entry kind " + e.Kind)
}
