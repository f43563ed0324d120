package relay

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// fakeMessage is a well-framed encrypted OpenPGP message of random bytes:
// a key packet and an encrypted data packet. The relay checks framing only,
// so it stores it; every one is different.
func fakeMessage(size int) []byte {
	key := make([]byte, 40)
	rand.Read(key)
	data := make([]byte, size)
	rand.Read(data)
	var b bytes.Buffer
	b.Write([]byte{0xc1, byte(len(key))})
	b.Write(key)
	b.Write([]byte{0xd2, 0xff})
	n := len(data) + 1
	b.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n), 0x01})
	b.Write(data)
	return b.Bytes()
}

// TestKillDuringUploads kills a relay process with SIGKILL while uploads
// (small ones and large streamed ones) are in flight, restarts it on the
// same data, and checks that every acknowledged blob is there, whole, and
// that nothing unacknowledged is served corrupt.
func TestKillDuringUploads(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	dataDir := t.TempDir()
	p := startRelayProcess(t, dataDir)
	type acked struct {
		cid   string // as the relay acknowledged it
		local string // computed here, for raw blobs
		sum   [32]byte
	}
	var (
		mu       sync.Mutex
		ackedSet []acked
		sent     []acked // every blob attempted, acknowledged or not
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	httpc := &http.Client{Timeout: 10 * time.Second}
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				size := 1024
				if w == 0 && i%3 == 0 {
					size = 3 << 20 // a streamed UnixFS upload
				}
				msg := fakeMessage(size)
				a := acked{sum: sha256.Sum256(msg)}
				if size < 1<<20 {
					a.local = relayclient.BlobCID(msg).String()
				}
				resp, err := httpc.Post(p.url+"/v1/blobs", "application/octet-stream", bytes.NewReader(msg))
				if err != nil {
					mu.Lock()
					sent = append(sent, a)
					mu.Unlock()
					return // the relay died
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var out struct{ CID string }
				if resp.StatusCode == http.StatusCreated {
					fmt.Sscanf(extractCID(body), "%s", &out.CID)
					a.cid = out.CID
					mu.Lock()
					ackedSet = append(ackedSet, a)
					mu.Unlock()
				}
				mu.Lock()
				sent = append(sent, a)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(ackedSet) < 20 {
		t.Fatalf("only %d uploads acknowledged before the kill", len(ackedSet))
	}
	// Restart on the same data.
	p2 := startRelayProcess(t, dataDir)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, a := range ackedSet {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p2.url+"/v1/blobs/"+a.cid, nil)
		resp, err := httpc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || sha256.Sum256(got) != a.sum {
			t.Fatalf("acknowledged blob %s: status %d, %d bytes, content differs=%v", a.cid, resp.StatusCode, len(got), sha256.Sum256(got) != a.sum)
		}
	}
	t.Logf("%d acknowledged uploads all readable after kill -9 (%d attempted)", len(ackedSet), len(sent))
	// Uploads in flight at the kill were never acknowledged; whatever of
	// them is served must be whole.
	checked := 0
	for _, a := range sent {
		if a.cid != "" || a.local == "" {
			continue
		}
		resp, err := httpc.Get(p2.url + "/v1/blobs/" + a.local)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 && sha256.Sum256(got) != a.sum {
			t.Fatalf("unacknowledged blob %s served corrupt", a.local)
		}
		if resp.StatusCode != 200 && resp.StatusCode != 404 {
			t.Fatalf("unacknowledged blob %s: status %d", a.local, resp.StatusCode)
		}
		checked++
	}
	t.Logf("%d unacknowledged small uploads checked: absent or whole", checked)
	p2.cmd.Process.Signal(syscall.SIGTERM)
	p2.cmd.Wait()
}

func extractCID(body []byte) string {
	s := string(body)
	i := strings.Index(s, `"cid":"`)
	if i < 0 {
		return ""
	}
	s = s[i+7:]
	return s[:strings.IndexByte(s, '"')]
}
