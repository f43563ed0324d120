package federation

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/ipfs/go-datastore"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/time/rate"
)

// The sync protocol (/veil/sync/1). Each node numbers its own entries 1,
// 2, 3, … and keeps, for every origin, its head: the highest seq up to
// which it holds all of that origin's entries. On one stream, the asker
// sends requests and the answerer replies to each:
//
//	request:  frame 'r', JSON {"op":"pull","heads":{"<origin>":<head>,…}}
//	reply:    frames 'e' (one encoded entry each: every entry the answerer
//	          holds after the asker's head, origin by origin, in seq order),
//	          then frame 't', JSON {"more":true|false}
//
// A reply holds at most syncBatch entries and syncBatchBytes bytes; "more"
// says the asker should ask again (with its new heads). A node that learnt
// something in a pull tells its other peers its heads ({"op":"heads",…},
// no reply); a peer that sees a head above its own pulls from it. So an
// entry made during a partition reaches every node once the network is
// whole again, whichever way round it was cut.
//
// A frame is a uvarint length (of type and payload), a type byte and the
// payload.

// syncBatch caps the entries of one reply (a test hook).
var syncBatch = 512

const (
	syncBatchBytes  = 4 << 20
	syncMaxRounds   = 64              // per stream; the next sync goes on
	syncMaxRequest  = 512 << 10       // a request's size cap
	syncMaxOrigins  = 10000           // origins in one request
	syncTimeout     = 2 * time.Minute // one sync stream, all rounds
	syncStreamRate  = rate.Limit(0.5) // sync streams a peer may open per second…
	syncStreamBurst = 10              // …and in a burst
)

const (
	frameRequest = 'r'
	frameEntry   = 'e'
	frameTrailer = 't'
)

type syncRequest struct {
	Op    string            `json:"op"` // "pull" or "heads"
	Heads map[string]uint64 `json:"heads"`
}

type syncTrailer struct {
	More bool `json:"more"`
}

var errProtocol = errors.New("federation: sync protocol violation")

func writeFrame(w *bufio.Writer, typ byte, payload []byte) error {
	var hdr [binary.MaxVarintLen64 + 1]byte
	n := binary.PutUvarint(hdr[:], uint64(len(payload)+1))
	hdr[n] = typ
	if _, err := w.Write(hdr[:n+1]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

func readFrame(r *bufio.Reader, limit int) (byte, []byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, nil, err
	}
	if n == 0 || n > uint64(limit)+1 {
		return 0, nil, fmt.Errorf("%w: frame of %d bytes", errProtocol, n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, err
	}
	return buf[0], buf[1:], nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", errProtocol, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the message", errProtocol)
	}
	return nil
}

func encodeHeads(h map[peer.ID]uint64) map[string]uint64 {
	out := make(map[string]uint64, len(h))
	for k, v := range h {
		out[k.String()] = v
	}
	return out
}

func decodeHeads(h map[string]uint64) (map[peer.ID]uint64, error) {
	if len(h) > syncMaxOrigins {
		return nil, fmt.Errorf("%w: %d origins", errProtocol, len(h))
	}
	out := make(map[peer.ID]uint64, len(h))
	for k, v := range h {
		id, err := peer.Decode(k)
		if err != nil {
			return nil, fmt.Errorf("%w: bad origin %q", errProtocol, k)
		}
		out[id] = v
	}
	return out, nil
}

// handleSync answers a peer's sync stream.
func (n *Node) handleSync(s network.Stream) {
	p := s.Conn().RemotePeer()
	if !n.limits.allowSync(p) {
		n.metrics.syncs.WithLabelValues("served", "rate").Inc()
		s.Reset()
		return
	}
	if err := n.serveSync(s); err != nil {
		if !errors.Is(err, io.EOF) {
			n.metrics.syncs.WithLabelValues("served", "error").Inc()
			n.log.Debug("federation: sync stream failed", "peer", p.String(), "err", err)
		}
		s.Reset()
		return
	}
	n.metrics.syncs.WithLabelValues("served", "ok").Inc()
	s.Close()
}

func (n *Node) serveSync(s network.Stream) error {
	p := s.Conn().RemotePeer()
	if err := s.SetDeadline(time.Now().Add(syncTimeout)); err != nil {
		return err
	}
	r, w := bufio.NewReader(s), bufio.NewWriter(s)
	for round := 0; round < syncMaxRounds; round++ {
		typ, data, err := readFrame(r, syncMaxRequest)
		if errors.Is(err, io.EOF) && round > 0 {
			return nil
		}
		if err != nil {
			return err
		}
		op, theirs, err := parseRequest(typ, data)
		if err != nil {
			return err
		}
		switch op {
		case "heads":
			mine := n.elog.snapshot()
			for o, h := range theirs {
				if h > mine[o] && o != n.host.ID() {
					n.requestSync(p)
					break
				}
			}
			return nil
		case "pull":
			if err := n.answerPull(w, theirs); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseRequest checks a request frame.
func parseRequest(typ byte, data []byte) (op string, heads map[peer.ID]uint64, err error) {
	if typ != frameRequest {
		return "", nil, fmt.Errorf("%w: frame type %q", errProtocol, typ)
	}
	var req syncRequest
	if err := decodeStrict(data, &req); err != nil {
		return "", nil, err
	}
	if req.Op != "pull" && req.Op != "heads" {
		return "", nil, fmt.Errorf("%w: op %q", errProtocol, req.Op)
	}
	heads, err = decodeHeads(req.Heads)
	if err != nil {
		return "", nil, err
	}
	return req.Op, heads, nil
}

// answerPull sends what the node holds after the asker's heads, within a
// batch.
func (n *Node) answerPull(w *bufio.Writer, theirs map[peer.ID]uint64) error {
	ctx, cancel := context.WithTimeout(n.ctx, syncTimeout)
	defer cancel()
	mine := n.elog.snapshot()
	origins := make([]peer.ID, 0, len(mine))
	for o := range mine {
		origins = append(origins, o)
	}
	slices.Sort(origins)
	count, size, more := 0, 0, false
outer:
	for _, o := range origins {
		for seq := theirs[o] + 1; seq <= mine[o]; seq++ {
			if count == syncBatch || size >= syncBatchBytes {
				more = true
				break outer
			}
			raw, err := n.elog.get(ctx, o, seq)
			if errors.Is(err, datastore.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := writeFrame(w, frameEntry, raw); err != nil {
				return err
			}
			count++
			size += len(raw)
		}
	}
	tr, _ := json.Marshal(syncTrailer{More: more})
	if err := writeFrame(w, frameTrailer, tr); err != nil {
		return err
	}
	n.metrics.syncEntries.WithLabelValues("sent").Add(float64(count))
	return w.Flush()
}

// pull asks p for every entry the node misses and takes them. It returns
// how many were new.
func (n *Node) pull(ctx context.Context, p peer.ID) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	s, err := n.host.NewStream(ctx, p, ProtocolSync)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if err := s.SetDeadline(time.Now().Add(syncTimeout)); err != nil {
		s.Reset()
		return 0, err
	}
	r, w := bufio.NewReader(s), bufio.NewWriter(s)
	fresh := 0
	for round := 0; round < syncMaxRounds; round++ {
		req, _ := json.Marshal(syncRequest{Op: "pull", Heads: encodeHeads(n.elog.snapshot())})
		if len(req) > syncMaxRequest {
			s.Reset()
			return fresh, fmt.Errorf("federation: sync request of %d bytes is over the cap", len(req))
		}
		if err := writeFrame(w, frameRequest, req); err != nil {
			s.Reset()
			return fresh, err
		}
		if err := w.Flush(); err != nil {
			s.Reset()
			return fresh, err
		}
		more, got, err := n.readReply(ctx, r)
		fresh += got
		if err != nil {
			s.Reset()
			return fresh, err
		}
		if !more {
			return fresh, nil
		}
	}
	return fresh, nil
}

// readReply reads one reply to a pull and takes its entries.
func (n *Node) readReply(ctx context.Context, r *bufio.Reader) (more bool, fresh int, err error) {
	count, size := 0, 0
	for {
		typ, data, err := readFrame(r, MaxKeyRecordSize)
		if err != nil {
			return false, fresh, err
		}
		switch typ {
		case frameEntry:
			count++
			if count > syncBatch || size >= syncBatchBytes {
				return false, fresh, fmt.Errorf("%w: reply over %d entries or %d bytes", errProtocol, syncBatch, syncBatchBytes)
			}
			size += len(data)
			e, err := decodeEntry(data, "")
			if err != nil {
				return false, fresh, fmt.Errorf("%w: %w", errProtocol, err)
			}
			n.metrics.syncEntries.WithLabelValues("received").Inc()
			isNew, err := n.ingest(ctx, e, "sync")
			if err != nil {
				return false, fresh, err
			}
			if isNew {
				fresh++
			}
		case frameTrailer:
			var tr syncTrailer
			if err := decodeStrict(data, &tr); err != nil {
				return false, fresh, err
			}
			return tr.More, fresh, nil
		default:
			return false, fresh, fmt.Errorf("%w: frame type %q", errProtocol, typ)
		}
	}
}

// notifyHeads tells every relay peer but skip the node's heads, so those
// behind it pull.
func (n *Node) notifyHeads(skip peer.ID) {
	req, _ := json.Marshal(syncRequest{Op: "heads", Heads: encodeHeads(n.elog.snapshot())})
	if len(req) > syncMaxRequest {
		return
	}
	for _, p := range n.Peers() {
		if p == skip {
			continue
		}
		n.spawn(func() {
			ctx, cancel := context.WithTimeout(n.ctx, 10*time.Second)
			defer cancel()
			s, err := n.host.NewStream(ctx, p, ProtocolSync)
			if err != nil {
				return
			}
			w := bufio.NewWriter(s)
			if err := writeFrame(w, frameRequest, req); err != nil || w.Flush() != nil {
				s.Reset()
				return
			}
			s.Close()
		})
	}
}

// syncState is a peer's running sync; again asks for another round when
// it ends.
type syncState struct{ again bool }

// requestSync pulls from p soon: now if no pull from p runs, else right
// after the running one.
func (n *Node) requestSync(p peer.ID) {
	if n.ctx.Err() != nil || p == n.host.ID() {
		return
	}
	n.syncMu.Lock()
	defer n.syncMu.Unlock()
	if st, ok := n.syncing[p]; ok {
		st.again = true
		return
	}
	st := &syncState{}
	n.syncing[p] = st
	n.spawn(func() {
		for {
			start := time.Now()
			fresh, err := n.pull(n.ctx, p)
			switch {
			case err != nil && n.ctx.Err() == nil:
				n.metrics.syncs.WithLabelValues("pulled", "error").Inc()
				n.log.Warn("federation: sync with a peer failed", "peer", p.String(), "new_entries", fresh, "err", err)
			case err == nil:
				n.metrics.syncs.WithLabelValues("pulled", "ok").Inc()
				n.log.Debug("federation: synced with a peer", "peer", p.String(), "new_entries", fresh, "took", time.Since(start))
			}
			if fresh > 0 {
				n.notifyHeads(p)
			}
			n.syncMu.Lock()
			if !st.again || n.ctx.Err() != nil {
				delete(n.syncing, p)
				n.syncMu.Unlock()
				return
			}
			st.again = false
			n.syncMu.Unlock()
		}
	})
}

// syncPeriodically syncs with every relay peer each SyncInterval.
func (n *Node) syncPeriodically() {
	t := time.NewTicker(n.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
			for _, p := range n.Peers() {
				n.requestSync(p)
			}
			n.limits.sweep()
		}
	}
}
