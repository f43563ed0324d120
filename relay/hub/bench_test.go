package hub

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/bits"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// latencyHist is a log-linear histogram of microseconds: exact below 32,
// then 16 buckets per power of two (about 6% wide).
type latencyHist [640]uint32

func latencyBucket(us uint64) int {
	if us < 32 {
		return int(us)
	}
	s := bits.Len64(us) - 5
	return min(32+(s-1)*16+int(us>>s)-16, len(latencyHist{})-1)
}

// bucketMid is the middle of a bucket, in microseconds.
func bucketMid(b int) float64 {
	if b < 32 {
		return float64(b)
	}
	s := (b-32)/16 + 1
	lo := uint64((b-32)%16+16) << s
	return float64(lo) + float64(uint64(1)<<s)/2
}

func (h *latencyHist) add(d time.Duration) { h[latencyBucket(uint64(max(d, 0)/time.Microsecond))]++ }

func (h *latencyHist) merge(o *latencyHist) {
	for i := range h {
		h[i] += o[i]
	}
}

// quantile returns the q-quantile in milliseconds.
func (h *latencyHist) quantile(q float64) float64 {
	var total uint64
	for _, n := range h {
		total += uint64(n)
	}
	if total == 0 {
		return 0
	}
	want := uint64(q * float64(total))
	var acc uint64
	for i, n := range h {
		acc += uint64(n)
		if acc > want {
			return bucketMid(i) / 1000
		}
	}
	return bucketMid(len(h)-1) / 1000
}

func TestLatencyHist(t *testing.T) {
	var h latencyHist
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct{ q, want float64 }{{0.5, 500}, {0.99, 990}} {
		if got := h.quantile(c.q); got < c.want*0.93 || got > c.want*1.07 {
			t.Errorf("q%v = %v ms, want about %v", c.q, got, c.want)
		}
	}
	for us := uint64(0); us < 1<<20; us = us*9/8 + 1 {
		if mid := bucketMid(latencyBucket(us)); mid < float64(us)*0.9-1 || mid > float64(us)*1.1+1 {
			t.Fatalf("%d µs lands in a bucket around %v", us, mid)
		}
	}
}

// fanoutLoad is N client connections in this process, each reading its
// events and recording the publish→deliver latency carried in them.
type fanoutLoad struct {
	conns     []*websocket.Conn
	hists     []latencyHist
	delivered atomic.Int64
	wg        sync.WaitGroup
}

var tKey = []byte(`"t":`)

func dialLoad(tb testing.TB, e *testEnv, n int, channels []string) *fanoutLoad {
	l := &fanoutLoad{conns: make([]*websocket.Conn, n), hists: make([]latencyHist, n)}
	d := websocket.Dialer{ReadBufferSize: 4096, WriteBufferSize: 512}
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws, _, err := d.Dial(e.url, nil)
			if err == nil {
				err = ws.WriteJSON(Message{ID: 1, Op: OpSubscribe, Channel: channels[i%len(channels)]})
			}
			if err == nil {
				var r Reply
				_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
				if err = ws.ReadJSON(&r); err == nil && !r.OK {
					err = fmt.Errorf("subscribe: %+v", r.Error)
				}
				_ = ws.SetReadDeadline(time.Time{})
			}
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
				return
			}
			l.conns[i] = ws
		}()
	}
	wg.Wait()
	if firstErr != nil {
		l.close()
		tb.Fatalf("dialing %d connections: %v", n, firstErr)
	}
	for i, ws := range l.conns {
		l.wg.Add(1)
		go l.read(ws, &l.hists[i])
	}
	return l
}

func (l *fanoutLoad) read(ws *websocket.Conn, h *latencyHist) {
	defer l.wg.Done()
	var buf bytes.Buffer
	for {
		_, r, err := ws.NextReader()
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return
		}
		now := time.Now().UnixNano()
		msg := buf.Bytes()
		i := bytes.Index(msg, tKey)
		if i < 0 {
			continue
		}
		msg = msg[i+len(tKey):]
		j := bytes.IndexByte(msg, '}')
		if j < 0 {
			continue
		}
		t, err := strconv.ParseInt(string(msg[:j]), 10, 64)
		if err != nil {
			continue
		}
		h.add(time.Duration(now - t))
		l.delivered.Add(1)
	}
}

func (l *fanoutLoad) close() {
	for _, ws := range l.conns {
		if ws != nil {
			_ = ws.Close()
		}
	}
	l.wg.Wait()
}

// BenchmarkFanout measures delivery over loopback to 1,000 subscriber
// connections whose reading clients run in the same process. Each
// iteration publishes one event. In "max" runs the publisher keeps at most
// inflight deliveries outstanding (flow control, so the measure is the hub's
// capacity rather than queue overflow); in "rate" runs it publishes at a
// fixed rate of deliveries per second. Reported: deliveries/s (from the first
// publish to the last delivery), publish→deliver latency p50/p99, and the
// process's CPU time per delivery (hub and clients together), which does not
// depend on what else the machine runs.
func BenchmarkFanout(b *testing.B) {
	cases := []struct {
		name     string
		conns    int
		channels int
		inflight int // max outstanding deliveries (max runs)
		rate     int // deliveries per second (rate runs)
	}{
		{"conns=1000/channels=1/max", 1000, 1, 4000, 0},
		{"conns=1000/channels=10/max", 1000, 10, 4000, 0},
		{"conns=1000/channels=1/rate=100k", 1000, 1, 0, 100_000},
		{"conns=1000/channels=10/rate=100k", 1000, 10, 0, 100_000},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) { benchFanout(b, bc.conns, bc.channels, bc.inflight, bc.rate) })
	}
}

func benchFanout(b *testing.B, conns, nch, inflight, rate int) {
	e := newEnv(b, Config{}, MemoryConfig{})
	channels := make([]string, nch)
	for i := range channels {
		channels[i] = InboxChannel(uint64(i))
	}
	load := dialLoad(b, e, conns, channels)
	defer load.close()
	perEvent := int64(conns / nch)
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(perEvent) / float64(rate))
	}
	ctx := context.Background()
	var expected int64
	data := make([]byte, 0, 64)
	var start time.Time
	var cpu0 time.Duration
	for i := 0; b.Loop(); i++ {
		if i == 0 {
			start, cpu0 = time.Now(), processCPU()
		}
		if rate > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		} else {
			for expected-load.delivered.Load() > int64(inflight) {
				time.Sleep(20 * time.Microsecond) // not spinning: the readers need the CPUs
			}
		}
		data = append(strconv.AppendInt(append(data[:0], `{"t":`...), time.Now().UnixNano(), 10), '}')
		if _, err := e.hub.Publish(ctx, channels[i%nch], data); err != nil {
			b.Fatal(err)
		}
		expected += perEvent
	}
	deadline := time.Now().Add(30 * time.Second)
	for load.delivered.Load() < expected {
		if time.Now().After(deadline) {
			b.Fatalf("delivered %d of %d", load.delivered.Load(), expected)
		}
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	if slow := e.metric(b, "veil_ws_slow_consumers_total"); slow != 0 {
		b.Fatalf("%v slow consumers", slow)
	}
	var all latencyHist
	for i := range load.hists {
		all.merge(&load.hists[i])
	}
	b.ReportMetric(float64(expected)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(all.quantile(0.50), "p50-ms")
	b.ReportMetric(all.quantile(0.99), "p99-ms")
	// CPU time of the whole process (hub and load clients) per delivery:
	// what the run cost, whatever else the machine was doing.
	b.ReportMetric(float64(cpu.Microseconds())/float64(expected), "cpu-µs/delivery")
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Memory per idle connection, measured in this process (the server) while
// a child process (this test binary again) holds the client ends, so that
// only the server's side is counted.
const (
	idleDialEnv  = "VEIL_HUB_IDLE_DIAL"
	idleCountEnv = "VEIL_HUB_IDLE_COUNT"
)

// idleDialer runs in the child: it opens the connections, subscribes each
// to its own inbox, says "ready" and waits for its stdin to close.
func idleDialer(url string) int {
	n, _ := strconv.Atoi(os.Getenv(idleCountEnv))
	d := websocket.Dialer{ReadBufferSize: 256, WriteBufferSize: 256}
	conns := make([]*websocket.Conn, 0, n)
	for i := range n {
		ws, _, err := d.Dial(url, nil)
		if err == nil {
			err = ws.WriteJSON(Message{ID: 1, Op: OpSubscribe, Channel: InboxChannel(uint64(i))})
		}
		if err == nil {
			var r Reply
			if err = ws.ReadJSON(&r); err == nil && !r.OK {
				err = fmt.Errorf("subscribe: %+v", r.Error)
			}
		}
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		conns = append(conns, ws)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, ws := range conns {
		_ = ws.Close()
	}
	return 0
}

// measureIdleConns opens n idle connections from a child process and
// returns the server's heap and goroutine stack bytes per connection.
func measureIdleConns(tb testing.TB, n int) (heap, stack float64) {
	e := newEnv(tb, Config{Logger: slog.New(slog.DiscardHandler)}, MemoryConfig{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), idleDialEnv+"="+e.url, idleCountEnv+"="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	defer func() {
		_ = stdin.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	lines := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case l := <-lines:
		if l != "ready" {
			tb.Fatalf("child: %s", l)
		}
	case <-time.After(60 * time.Second):
		tb.Fatal("child did not open its connections in 60s")
	}
	waitFor(tb, 10*time.Second, "connections", func() bool { return e.hub.Stats().Connections == n })
	time.Sleep(50 * time.Millisecond) // let the handshake goroutines of net/http end
	// Each collection halves the stacks that use under a quarter of theirs.
	for range 5 {
		runtime.GC()
	}
	runtime.ReadMemStats(&after)
	heap = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
	stack = float64(int64(after.StackInuse)-int64(before.StackInuse)) / float64(n)
	_ = stdin.Close()
	waitFor(tb, 10*time.Second, "connections closed", func() bool { return e.hub.Stats().Connections == 0 })
	return heap, stack
}

func TestIdleConnMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,000 connections")
	}
	const n = 1000
	heap, stack := measureIdleConns(t, n)
	t.Logf("per idle connection (server side, one subscription): heap %.0f B, goroutine stacks %.0f B, total %.0f B",
		heap, stack, heap+stack)
	if heap > 16<<10 {
		t.Errorf("heap per idle connection %.0f B, want <= 16 KiB", heap)
	}
}

func BenchmarkIdleConnMemory(b *testing.B) {
	const n = 1000
	var heap, stack float64
	for b.Loop() {
		heap, stack = measureIdleConns(b, n)
	}
	b.ReportMetric(heap, "heap-B/conn")
	b.ReportMetric(stack, "stack-B/conn")
	b.ReportMetric(0, "ns/op")
}
