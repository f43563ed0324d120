package hub

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordConn records the writes and write deadlines that reach it.
type recordConn struct {
	net.Conn
	mu        sync.Mutex
	writes    [][]byte
	deadlines []time.Time
}

func (r *recordConn) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, bytes.Clone(p))
	return len(p), nil
}

func (r *recordConn) SetWriteDeadline(t time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deadlines = append(r.deadlines, t)
	return nil
}

func TestBatchConn(t *testing.T) {
	rc := &recordConn{}
	b := &batchConn{Conn: rc}

	b.Write([]byte("direct"))
	b.begin()
	for _, s := range []string{"one", "two", "three"} {
		b.Write([]byte(s))
	}
	if len(rc.writes) != 1 {
		t.Fatalf("writes during a batch reached the connection: %q", rc.writes)
	}
	if err := b.end(); err != nil {
		t.Fatal(err)
	}
	if len(rc.writes) != 2 || string(rc.writes[1]) != "onetwothree" {
		t.Fatalf("writes %q", rc.writes)
	}

	// A large frame flushes what is pending and goes alone.
	big := strings.Repeat("x", batchBufSize)
	b.begin()
	b.Write([]byte("a"))
	b.Write([]byte(big))
	b.Write([]byte("b"))
	b.end()
	if len(rc.writes) != 5 || string(rc.writes[2]) != "a" || len(rc.writes[3]) != len(big) || string(rc.writes[4]) != "b" {
		t.Fatalf("writes around a large frame: %d", len(rc.writes))
	}
	b.begin()
	if err := b.end(); err != nil || len(rc.writes) != 5 {
		t.Fatalf("empty batch: %v, %d writes", err, len(rc.writes))
	}

	// Deadlines: set a quarter beyond the ask, then left alone while asks
	// fall short of it.
	now := time.Now()
	b.SetWriteDeadline(now.Add(4 * time.Second))
	b.Write([]byte("1"))
	if len(rc.deadlines) != 1 {
		t.Fatalf("deadlines %v", rc.deadlines)
	}
	if d := rc.deadlines[0].Sub(now); d < 4900*time.Millisecond || d > 5100*time.Millisecond {
		t.Fatalf("deadline set %v ahead, want about 5s", d)
	}
	b.SetWriteDeadline(now.Add(4500 * time.Millisecond))
	b.Write([]byte("2"))
	if len(rc.deadlines) != 1 {
		t.Fatalf("deadline changed for an ask within reach: %v", rc.deadlines)
	}
	b.SetWriteDeadline(now.Add(6 * time.Second))
	b.Write([]byte("3"))
	b.SetWriteDeadline(time.Time{})
	b.Write([]byte("4"))
	if len(rc.deadlines) != 3 || !rc.deadlines[2].IsZero() {
		t.Fatalf("deadlines %v", rc.deadlines)
	}
}
