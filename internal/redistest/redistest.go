package redistest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StartTimeout bounds how long Start and Restart wait for the server to
// answer PING.
const StartTimeout = 10 * time.Second

// Option changes how Start runs the server.
type Option func(*config)

type config struct {
	port int
	args []string
}

// WithPort runs the server on port instead of a free one: after Stop or
// Kill of a server, Start(t, WithPort(old.Port())) is a fresh, empty Redis at
// the address clients already use.
func WithPort(port int) Option { return func(c *config) { c.port = port } }

// WithArgs appends redis-server command-line options ("--maxmemory", "1mb").
func WithArgs(args ...string) Option {
	return func(c *config) { c.args = append(c.args, args...) }
}

// Server is a redis-server process owned by a test.
type Server struct {
	tb   testing.TB
	bin  string
	port int
	dir  string
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	log  *syncBuffer
}

// Start runs redis-server for tb and returns once it answers PING. The
// server is killed when tb ends. Start fails tb if redis-server is missing
// or does not come up within StartTimeout.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redistest: redis-server not found (make setup installs redis-server): %v", err)
	}
	s := &Server{tb: tb, bin: bin, dir: tb.TempDir(), args: cfg.args}
	tb.Cleanup(s.Kill)
	if cfg.port != 0 {
		s.port = cfg.port
		if err := s.start(); err != nil {
			tb.Fatalf("redistest: %v", err)
		}
		return s
	}
	// The free port may be taken between closing the listener and the
	// server binding it: try a few.
	for attempt := 1; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			tb.Fatalf("redistest: no free port: %v", err)
		}
		err = s.start()
		if err == nil {
			return s
		}
		if attempt == 3 {
			tb.Fatalf("redistest: %v", err)
		}
	}
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Port is the server's TCP port.
func (s *Server) Port() int { return s.port }

// URL is the server's address as a redis:// URL for database 0.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Dir is the server's data directory (the append-only file lives there).
func (s *Server) Dir() string { return s.dir }

// Stop shuts the server down with SIGTERM and waits for it to exit (it
// kills it if that takes over StartTimeout). Stopping a stopped server does
// nothing.
func (s *Server) Stop() { s.halt(syscall.SIGTERM) }

// Kill kills the server with SIGKILL, as a crash would, and waits for it.
// Killing a stopped server does nothing.
func (s *Server) Kill() { s.halt(syscall.SIGKILL) }

// Restart starts the server again on the same port and directory, so it
// replays its append-only file; a running server is stopped first. Clients
// keep their address. Restart fails the test if the server does not come up.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.tb.Fatalf("redistest: restart: %v", err)
	}
}

func (s *Server) start() error {
	args := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--appendonly", "yes",
		"--appendfsync", "always",
		"--save", "",
		"--daemonize", "no",
		"--loglevel", "warning",
	}
	args = append(args, s.args...)
	log := &syncBuffer{}
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot start %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done, s.log = cmd, done, log
	s.mu.Unlock()

	deadline := time.Now().Add(StartTimeout)
	for {
		pid, err := ping(s.Addr())
		if err == nil && pid == cmd.Process.Pid {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("the server answering is process %d, not %d", pid, cmd.Process.Pid)
		}
		select {
		case <-done:
			return fmt.Errorf("redis-server on port %d exited: %s\n%s", s.port, cmd.ProcessState, log.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("redis-server on port %d does not answer PING after %v: %v\n%s", s.port, StartTimeout, err, log.String())
		}
	}
}

func (s *Server) halt(sig syscall.Signal) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(StartTimeout):
		_ = cmd.Process.Kill()
		<-done
	}
}

// ping asks the server at addr for its process ID (INFO server, in the
// inline protocol), so that a server already on the port is not taken for
// the one just started. It fails while the server loads its data.
func ping(addr string) (pid int, err error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("INFO server\r\n")); err != nil {
		return 0, err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(line, "$"), "\r\n"))
	if !strings.HasPrefix(line, "$") || err != nil {
		return 0, fmt.Errorf("INFO answered %q", line) // e.g. -LOADING while replaying the AOF
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, err
	}
	for l := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(l, "process_id:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, fmt.Errorf("INFO server has no process_id")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer collects the server's output for error messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len() > 64<<10 {
		return len(p), nil
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
