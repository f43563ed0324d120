package relay

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// veilBinary builds the veil command once for the process tests.
var (
	veilOnce sync.Once
	veilPath string
	veilErr  error
)

func buildVeil(t testing.TB) string {
	t.Helper()
	veilOnce.Do(func() {
		dir, err := os.MkdirTemp("", "veil-bin-")
		if err != nil {
			veilErr = err
			return
		}
		veilPath = filepath.Join(dir, "veil")
		out, err := exec.Command("go", "build", "-o", veilPath, "github.com/veilsocial/veil/cmd/veil").CombinedOutput()
		if err != nil {
			veilErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if veilErr != nil {
		t.Fatal(veilErr)
	}
	return veilPath
}

// relayProcess is a `veil relay` child process.
type relayProcess struct {
	cmd *exec.Cmd
	url string
}

// startRelayProcess runs `veil relay` on a random loopback port with
// dataDir and any extra flags, and waits until it listens. Rate limits are
// lifted so tests can load it. The process is killed when the test ends.
func startRelayProcess(t testing.TB, dataDir string, args ...string) *relayProcess {
	t.Helper()
	args = append([]string{"relay", "--listen", "127.0.0.1:0", "--data-dir", dataDir}, args...)
	cmd := exec.Command(buildVeil(t), args...)
	cmd.Env = append(os.Environ(),
		"VEIL_RATE_ANON=1000000", "VEIL_BURST_ANON=1000000",
		"VEIL_RATE_READ=1000000", "VEIL_BURST_READ=1000000",
		"VEIL_RATE_PERSONA=1000000", "VEIL_BURST_PERSONA=1000000")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &relayProcess{cmd: cmd}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if strings.Contains(s.Text(), "listening on") {
				line <- s.Text()
			}
		}
	}()
	select {
	case l := <-line:
		for _, f := range strings.Fields(l) {
			if strings.HasPrefix(f, "http://") {
				p.url = f
			}
		}
	case <-time.After(20 * time.Second):
		t.Fatal("relay did not start within 20 s")
	}
	return p
}

// kill stops the process with SIGKILL and reaps it.
func (p *relayProcess) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
}

// stop asks the process to shut down (SIGTERM) and waits for it.
func (p *relayProcess) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()
}
