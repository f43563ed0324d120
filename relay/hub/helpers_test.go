package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/veilsocial/veil/relay/api"
)

func TestMain(m *testing.M) {
	raiseFDLimit()
	if url := os.Getenv(idleDialEnv); url != "" {
		os.Exit(idleDialer(url))
	}
	os.Exit(m.Run())
}

// raiseFDLimit lifts the soft limit on open files to the hard one: the
// benchmarks hold two descriptors per connection.
func raiseFDLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

// testEnv is a hub on a broker (a memory one unless told) behind a real
// HTTP server on 127.0.0.1, port 0.
type testEnv struct {
	hub    *Hub
	broker Broker
	srv    *httptest.Server
	url    string
	reg    *prometheus.Registry
}

func newEnv(tb testing.TB, cfg Config, mcfg MemoryConfig) *testEnv {
	tb.Helper()
	if cfg.Logger == nil {
		level := slog.LevelInfo
		if _, ok := tb.(*testing.B); ok {
			level = slog.LevelWarn
		}
		cfg.Logger = slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: level}))
	}
	e := startEnv(cfg, mcfg)
	tb.Cleanup(func() { e.stop(tb) })
	return e
}

// tbWriter sends the hub's logs to the test's log, shown when it fails.
type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Helper()
	w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func startEnv(cfg Config, mcfg MemoryConfig) *testEnv {
	return startEnvOn(cfg, NewMemoryBroker(mcfg))
}

// startEnvOn starts a hub on broker b, which its stop closes.
func startEnvOn(cfg Config, b Broker) *testEnv {
	e := &testEnv{broker: b, reg: prometheus.NewRegistry()}
	cfg.Registerer = e.reg
	e.hub = New(cfg, e.broker)
	e.srv = httptest.NewServer(e.hub)
	e.url = "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/v1/ws"
	return e
}

func (e *testEnv) stop(tb testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.hub.Shutdown(ctx); err != nil {
		tb.Errorf("Shutdown: %v", err)
	}
	e.srv.Close()
	_ = e.broker.Close()
}

func (e *testEnv) publish(tb testing.TB, channel string, data string) Position {
	tb.Helper()
	pos, err := e.hub.Publish(context.Background(), channel, []byte(data))
	if err != nil {
		tb.Fatalf("Publish(%s): %v", channel, err)
	}
	return pos
}

// metric sums the values of the named counter or gauge whose labels include
// the given name=value pairs.
func (e *testEnv) metric(tb testing.TB, name string, labels ...string) float64 {
	tb.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// frame is any server frame: a reply or an event.
type frame struct {
	ID        uint64          `json:"id"`
	OK        bool            `json:"ok"`
	Position  *Position       `json:"position"`
	Recovered *bool           `json:"recovered"`
	Reason    string          `json:"reason"`
	Error     *api.Error      `json:"error"`
	Channel   string          `json:"channel"`
	Offset    uint64          `json:"offset"`
	Epoch     string          `json:"epoch"`
	Time      time.Time       `json:"time"`
	Data      json.RawMessage `json:"data"`
}

func (f frame) isEvent() bool { return f.Channel != "" }

// tclient is a gorilla client connection under test.
type tclient struct {
	tb     testing.TB
	ws     *websocket.Conn
	id     uint64
	events []frame // events read while waiting for a reply
}

func (e *testEnv) dial(tb testing.TB) *tclient {
	tb.Helper()
	c, err := e.tryDial(tb, nil)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	return c
}

func (e *testEnv) tryDial(tb testing.TB, hdr http.Header) (*tclient, error) {
	ws, resp, err := websocket.DefaultDialer.Dial(e.url, hdr)
	if err != nil {
		if resp != nil {
			defer resp.Body.Close()
			var b api.Body
			_ = json.NewDecoder(resp.Body).Decode(&b)
			return nil, &dialError{status: resp.StatusCode, body: b, header: resp.Header}
		}
		return nil, err
	}
	c := &tclient{tb: tb, ws: ws}
	tb.Cleanup(func() { _ = ws.Close() })
	return c, nil
}

type dialError struct {
	status int
	body   api.Body
	header http.Header
}

func (d *dialError) Error() string { return fmt.Sprintf("dial: HTTP %d %+v", d.status, d.body.Error) }

func (c *tclient) send(v any) {
	c.tb.Helper()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.ws.WriteJSON(v); err != nil {
		c.tb.Fatalf("send: %v", err)
	}
}

// read returns the next frame, failing the test after 5s.
func (c *tclient) read() frame {
	c.tb.Helper()
	f, err := c.tryRead(5 * time.Second)
	if err != nil {
		c.tb.Fatalf("read: %v", err)
	}
	return f
}

func (c *tclient) tryRead(d time.Duration) (frame, error) {
	_ = c.ws.SetReadDeadline(time.Now().Add(d))
	typ, data, err := c.ws.ReadMessage()
	if err != nil {
		return frame{}, err
	}
	if typ != websocket.TextMessage {
		return frame{}, fmt.Errorf("frame type %d", typ)
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		return frame{}, fmt.Errorf("frame %q: %w", data, err)
	}
	return f, nil
}

// request sends m with the next id and returns its reply; events read on
// the way are kept for event.
func (c *tclient) request(m Message) frame {
	c.tb.Helper()
	c.id++
	m.ID = c.id
	c.send(m)
	for {
		f := c.read()
		if f.isEvent() {
			c.events = append(c.events, f)
			continue
		}
		if f.ID != m.ID {
			c.tb.Fatalf("reply id %d, want %d: %+v", f.ID, m.ID, f)
		}
		return f
	}
}

func (c *tclient) subscribe(channel string, since *Position) frame {
	c.tb.Helper()
	r := c.request(Message{Op: OpSubscribe, Channel: channel, Since: since})
	if !r.OK || r.Position == nil || r.Recovered == nil {
		c.tb.Fatalf("subscribe %s: %+v %+v", channel, r, r.Error)
	}
	return r
}

// event returns the next event.
func (c *tclient) event() frame {
	c.tb.Helper()
	if len(c.events) > 0 {
		f := c.events[0]
		c.events = c.events[1:]
		return f
	}
	f := c.read()
	if !f.isEvent() {
		c.tb.Fatalf("want an event, got %+v", f)
	}
	return f
}

// quiet checks that no event is pending: a ping's reply comes first.
func (c *tclient) quiet() {
	c.tb.Helper()
	if len(c.events) > 0 {
		c.tb.Fatalf("unexpected event %+v", c.events[0])
	}
	if r := c.request(Message{Op: OpPing}); !r.OK {
		c.tb.Fatalf("ping: %+v", r)
	}
	if len(c.events) > 0 {
		c.tb.Fatalf("unexpected event %+v", c.events[0])
	}
}

// waitFor polls cond every few milliseconds for up to d.
func waitFor(tb testing.TB, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitGoroutines waits until the goroutine count is back to baseline.
func waitGoroutines(tb testing.TB, baseline int) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= baseline {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			tb.Fatalf("%d goroutines, want <= %d:\n%s", n, baseline, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const (
	inboxA = "inbox:0123456789ABCDEF"
	inboxB = "inbox:FEDCBA9876543210"
)
