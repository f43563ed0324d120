package hub

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"time"
)

// batchConn is the network connection under a websocket.Conn. Between
// begin and end, the frames gorilla writes are gathered and go out together,
// so a writer that drains several queued events makes one system call, not
// one per frame (the write is what a loopback fan-out spends most of its
// time in). Outside a batch, writes go straight through.
//
// gorilla serialises its writes (data frames from the writer goroutine,
// control frames from anywhere) under its own lock; mu guards the batch
// against that and against end.
type batchConn struct {
	net.Conn

	mu       sync.Mutex
	batching bool
	buf      *[]byte   // borrowed from batchPool during a batch
	deadline time.Time // write deadline last asked for
	applied  time.Time // write deadline set on Conn (see writeLocked)
}

const (
	batchBufSize = 16 << 10 // a batch flushes when it would grow past this
	maxPooledBuf = 64 << 10
)

var batchPool = sync.Pool{New: func() any { b := make([]byte, 0, batchBufSize); return &b }}

// begin starts gathering writes.
func (b *batchConn) begin() {
	b.mu.Lock()
	b.batching = true
	b.mu.Unlock()
}

// end writes what was gathered and stops gathering.
func (b *batchConn) end() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batching = false
	err := b.flushLocked()
	if b.buf != nil {
		if cap(*b.buf) <= maxPooledBuf {
			*b.buf = (*b.buf)[:0]
			batchPool.Put(b.buf)
		}
		b.buf = nil
	}
	return err
}

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.batching {
		return b.writeLocked(p)
	}
	if b.buf != nil && len(*b.buf)+len(p) > batchBufSize {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
	}
	if len(p) >= batchBufSize { // a large frame goes alone
		return b.writeLocked(p)
	}
	if b.buf == nil {
		b.buf = batchPool.Get().(*[]byte)
	}
	*b.buf = append(*b.buf, p...)
	return len(p), nil
}

func (b *batchConn) flushLocked() error {
	if b.buf == nil || len(*b.buf) == 0 {
		return nil
	}
	_, err := b.writeLocked(*b.buf)
	*b.buf = (*b.buf)[:0]
	return err
}

// writeLocked writes to the connection. gorilla asks for a new write
// deadline before every frame, and changing a deadline updates a runtime
// timer (a heap shared by all connections), which a fan-out would do once per
// delivery. So the deadline set on the connection is a quarter of the time
// left beyond what was asked, and left alone while later asks fall short of
// it: a write may take up to a quarter longer than asked before it fails.
func (b *batchConn) writeLocked(p []byte) (int, error) {
	if d := b.deadline; d.IsZero() != b.applied.IsZero() || d.After(b.applied) {
		if !d.IsZero() {
			d = d.Add(time.Until(d) / 4)
		}
		if err := b.Conn.SetWriteDeadline(d); err != nil {
			return 0, err
		}
		b.applied = d
	}
	return b.Conn.Write(p)
}

func (b *batchConn) SetWriteDeadline(t time.Time) error {
	b.mu.Lock()
	b.deadline = t
	b.mu.Unlock()
	return nil
}

func (b *batchConn) SetDeadline(t time.Time) error {
	_ = b.SetWriteDeadline(t)
	return b.Conn.SetReadDeadline(t)
}

// hijacker hands gorilla's Upgrader a batchConn in place of the hijacked
// connection.
type hijacker struct {
	http.ResponseWriter
	conn *batchConn
}

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &batchConn{Conn: c}
	return h.conn, brw, nil
}

func (h *hijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }
