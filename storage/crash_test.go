package storage

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
)

// crashChildEnv names the directory of the store that the test binary,
// started again by TestCrashRecovery, writes to until it is killed.
const crashChildEnv = "VEIL_STORAGE_CRASH_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashChild puts blobs from several goroutines, unpins some and runs GC,
// and prints on stdout "P <cid> <sha256>" after each Put returns and
// "U <cid>" before each Unpin, until it is killed.
func crashChild(dir string) {
	s, err := Open(Config{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open:", err)
		os.Exit(2)
	}
	var out sync.Mutex
	say := func(format string, a ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Fprintf(os.Stdout, format, a...) // unbuffered: one write per line
	}
	ctx := context.Background()
	for w := range 8 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for i := 0; ; i++ {
				size := 64 + rng.IntN(4096)
				if i%16 == 5 {
					size = 1<<20 + rng.IntN(3*ChunkSize) // a DAG
				}
				data := make([]byte, size)
				for j := range data {
					data[j] = byte(rng.Uint32())
				}
				owner := fmt.Sprintf("ip:198.51.100.%d", rng.IntN(4))
				b, err := s.Put(ctx, bytes.NewReader(data), owner)
				if err != nil {
					fmt.Fprintln(os.Stderr, "child: put:", err)
					os.Exit(2)
				}
				sum := sha256.Sum256(data)
				say("P %s %x\n", b.CID, sum)
				if i%10 == 3 {
					// Said before: the parent must not count on a blob
					// whose unpin may have been acknowledged.
					say("U %s\n", b.CID)
					if err := s.Unpin(ctx, b.CID, owner); err != nil {
						fmt.Fprintln(os.Stderr, "child: unpin:", err)
						os.Exit(2)
					}
				}
			}
		}()
	}
	for {
		time.Sleep(100 * time.Millisecond)
		if _, err := s.GC(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "child: gc:", err)
			os.Exit(2)
		}
	}
}

// TestCrashRecovery kills a process that is storing blobs with SIGKILL and
// checks that every upload it acknowledged is there and intact, that the
// counters agree with the data and that nothing corrupt is served.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	var acked map[string]string
	unpinned := map[string]bool{}
	for round := range 3 { // the second and third rounds recover the first's store
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		if acked == nil {
			acked = map[string]string{}
		}
		// Kill it a second after its first acknowledgement (at most 30 s
		// after starting, however slow the machine).
		deadline := time.After(30 * time.Second)
		var kill <-chan time.Time
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				if kill == nil {
					kill = time.After(800*time.Millisecond + time.Duration(rand.IntN(400))*time.Millisecond)
				}
				f := strings.Fields(l)
				switch {
				case len(f) == 3 && f[0] == "P":
					acked[f[1]] = f[2]
					delete(unpinned, f[1])
				case len(f) == 2 && f[0] == "U":
					unpinned[f[1]] = true
				default:
					t.Fatalf("child said %q", l)
				}
			case <-kill:
				cmd.Process.Kill() // SIGKILL
				kill = nil
				deadline = nil
			case <-deadline:
				cmd.Process.Kill()
				t.Fatalf("child acknowledged nothing in 30 s; stderr: %s", stderr.String())
			}
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != -1 {
			t.Fatalf("child ended with %v, not killed; stderr: %s", err, stderr.String())
		}
		t.Logf("round %d: %d acknowledged uploads so far, %d of them unpinned", round, len(acked), len(unpinned))

		checkRecovered(t, dir, acked, unpinned)
	}
}

func checkRecovered(t *testing.T, dir string, acked map[string]string, unpinned map[string]bool) {
	t.Helper()
	s, err := Open(Config{Dir: dir})
	if err != nil {
		t.Fatalf("reopening after the crash: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	checkCounters(t, s)
	check := func(c cid.Cid, sum string) error {
		r, _, err := s.Open(ctx, c)
		if err != nil {
			return err
		}
		defer r.Close()
		h := sha256.New()
		if _, err := io.Copy(h, r); err != nil {
			return err
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != sum {
			return fmt.Errorf("served content with sha256 %s, acknowledged %s", got, sum)
		}
		return nil
	}
	for cs, sum := range acked {
		c, err := cid.Decode(cs)
		if err != nil {
			t.Fatal(err)
		}
		err = check(c, sum)
		switch {
		case unpinned[cs] && (err == nil || errors.Is(err, ErrNotFound)):
			// May be collected already.
		case err != nil:
			t.Errorf("acknowledged %s: %v", cs, err)
		}
	}
	// Nothing stored is corrupt.
	keys, err := s.Blockstore().AllKeysChan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for k := range keys {
		if _, err := s.Blockstore().Get(ctx, k); err != nil {
			t.Errorf("stored block %s: %v", k, err)
		}
	}
	if _, err := s.GC(ctx); err != nil {
		t.Fatalf("GC after the crash: %v", err)
	}
	checkCounters(t, s)
}
