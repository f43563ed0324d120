package relay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/veilsocial/veil/internal/redistest"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// roundRobin uploads to a set of relay processes in turn, as a load
// balancer would, and remembers what each acknowledged.
type roundRobin struct {
	urls  []string
	httpc *http.Client

	mu    sync.Mutex
	next  int
	acked map[string][32]byte // CID → hash of the bytes
	fails int
}

func newRoundRobin(urls ...string) *roundRobin {
	return &roundRobin{urls: urls, httpc: &http.Client{Timeout: 10 * time.Second}, acked: map[string][32]byte{}}
}

// upload sends msg to the next process; it reports the CID when the upload
// was acknowledged.
func (rr *roundRobin) upload(msg []byte) (string, bool) {
	rr.mu.Lock()
	url := rr.urls[rr.next%len(rr.urls)]
	rr.next++
	rr.mu.Unlock()
	resp, err := rr.httpc.Post(url+"/v1/blobs", "application/octet-stream", bytes.NewReader(msg))
	if err != nil {
		rr.mu.Lock()
		rr.fails++
		rr.mu.Unlock()
		return "", false
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		rr.mu.Lock()
		rr.fails++
		rr.mu.Unlock()
		return "", false
	}
	id := extractCID(body)
	rr.mu.Lock()
	rr.acked[id] = sha256.Sum256(msg)
	rr.mu.Unlock()
	return id, true
}

// load runs workers that upload 1 KiB messages until stop is closed.
func (rr *roundRobin) load(workers int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, ok := rr.upload(fakeMessage(1024)); !ok {
					time.Sleep(5 * time.Millisecond) // a dead process refuses at once
				}
			}
		}()
	}
	return &wg
}

// missing returns how many acknowledged uploads url does not serve whole.
func (rr *roundRobin) missing(url string) (int, string) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	n, first := 0, ""
	for id, sum := range rr.acked {
		resp, err := rr.httpc.Get(url + "/v1/blobs/" + id)
		if err != nil {
			return len(rr.acked), err.Error()
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || sha256.Sum256(got) != sum {
			if n == 0 {
				first = fmt.Sprintf("%s: status %d", id, resp.StatusCode)
			}
			n++
		}
	}
	return n, first
}

// waitAllServed polls until url serves every acknowledged upload.
func (rr *roundRobin) waitAllServed(t *testing.T, url string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		n, first := rr.missing(url)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d of %d acknowledged uploads not served after %v (first: %s)", url, n, len(rr.acked), within, first)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func processHealth(url string) string {
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		return "down"
	}
	defer resp.Body.Close()
	var h struct{ Status string }
	json.NewDecoder(resp.Body).Decode(&h)
	return h.Status
}

func waitProcessHealth(t *testing.T, url, want string, within time.Duration) {
	t.Helper()
	waitFor(t, within, url+" healthz "+want, func() bool { return processHealth(url) == want })
}

// TestClusterProcessesKill runs two `veil relay` processes on one
// redis-server behind a round-robin client. An upload on one is read and
// notified on the other; then one process is killed with SIGKILL under
// upload load, and every upload either process acknowledged is served by
// the survivor, and by the killed one once it is back.
func TestClusterProcessesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	srv := redistest.Start(t)
	dirA, dirB := t.TempDir(), t.TempDir()
	a := startRelayProcess(t, dirA, "--redis", srv.URL())
	b := startRelayProcess(t, dirB, "--redis", srv.URL())

	// Upload on A; B's subscriber is told and B serves it.
	alice, bob := newPersona(t, "Alice"), newPersona(t, "Bob")
	ws := wsSubscribeURL(t, b.url, relayclient.InboxChannel(encryptionKeyID(t, bob)))
	rr := newRoundRobin(a.url, b.url)
	msg := sealTo(t, "one service", alice, bob)
	id, ok := rr.upload(msg) // the first goes to A
	if !ok {
		t.Fatal("upload on A refused")
	}
	if ev := nextEvent(t, ws); ev.Data["cid"] != id {
		t.Fatalf("B's subscriber: %+v", ev)
	}
	if got, err := urlClient(t, b.url).Get(context.Background(), relayclient.BlobCID(msg)); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("read on B: %v", err)
	}

	// Load, then kill A.
	stop := make(chan struct{})
	wg := rr.load(4, stop)
	time.Sleep(1500 * time.Millisecond)
	a.kill()
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	if len(rr.acked) < 100 {
		t.Fatalf("only %d uploads acknowledged", len(rr.acked))
	}
	rr.waitAllServed(t, b.url, 15*time.Second)
	t.Logf("%d acknowledged uploads (%d refused or cut by the kill) all served by the survivor", len(rr.acked), rr.fails)

	// A comes back on its data and serves everything too.
	a2 := startRelayProcess(t, dirA, "--redis", srv.URL())
	rr.waitAllServed(t, a2.url, 30*time.Second)
}

// TestClusterRedisOutage stops redis-server while two processes take
// uploads: they keep acknowledging, report degraded, recover by themselves
// when Redis returns, and then both serve every acknowledged upload.
func TestClusterRedisOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	srv := redistest.Start(t)
	a := startRelayProcess(t, t.TempDir(), "--redis", srv.URL())
	b := startRelayProcess(t, t.TempDir(), "--redis", srv.URL())
	rr := newRoundRobin(a.url, b.url)
	stop := make(chan struct{})
	wg := rr.load(4, stop)
	time.Sleep(time.Second)
	rr.mu.Lock()
	before := len(rr.acked)
	rr.mu.Unlock()
	srv.Kill()
	waitProcessHealth(t, a.url, "degraded", 10*time.Second)
	waitProcessHealth(t, b.url, "degraded", 10*time.Second)
	time.Sleep(time.Second)
	rr.mu.Lock()
	during := len(rr.acked) - before
	rr.mu.Unlock()
	srv.Restart()
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	if during < 10 {
		t.Fatalf("only %d uploads acknowledged while Redis was away", during)
	}
	waitProcessHealth(t, a.url, "ok", 20*time.Second)
	waitProcessHealth(t, b.url, "ok", 20*time.Second)
	rr.waitAllServed(t, a.url, 30*time.Second)
	rr.waitAllServed(t, b.url, 30*time.Second)
	t.Logf("%d uploads acknowledged (%d while Redis was away), all served by both processes", len(rr.acked), during)
}
