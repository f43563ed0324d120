package relay

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/veilsocial/veil/internal/redistest"
	"github.com/veilsocial/veil/relay/hub"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// Shape of BenchmarkFanoutProcesses: as hub's BenchmarkFanout (1,000
// subscribers on 10 inbox channels), but the events come from uploads to
// `veil relay` processes sharing one Redis.
const (
	clusterConns    = 1000
	clusterChannels = 10   // inboxes; every upload names all of them
	clusterPayload  = 1024 // bytes of encrypted data per upload, after the key packets
	clusterInflight = 128  // uploads whose deliveries are outstanding (flow control; under hub.DefaultQueueSize)
)

// clusterOneProcess holds the deliveries/s of the processes=1 runs of this
// invocation, the base of the processes=2 runs' ratio.
var clusterOneProcess []float64

// BenchmarkFanoutProcesses measures WebSocket fan-out across relay
// processes: processes=1 is one `veil relay --redis`, processes=2 is two on
// the same Redis, the subscribers split evenly between them (each channel's
// too) and the uploads alternating between them, so half of each event's
// deliveries cross Redis to the other process. Each relay runs with
// GOMAXPROCS=1, pinned to its own core when taskset is available (process i
// on CPU i), so one process is one core and two are two. Redis and the load
// (the subscribers' reading clients and the uploaders, in this process) are
// not pinned and share the same cores.
//
// Each iteration uploads one well-framed encrypted message whose ten key
// packets name the ten inboxes: ten events, clusterConns deliveries. At most
// clusterInflight uploads' deliveries are outstanding at a time. Reported:
// deliveries/s (from the first upload to the last delivery), publish→deliver
// latency p50/p99 (from the event's time, stamped by the publishing relay
// once the upload is stored, to its arrival at a client), the CPU time per
// delivery of the relay processes, of Redis and of everything together
// (relays, Redis and this process), and for processes=2 the ratio to the
// median processes=1 run of the same invocation.
func BenchmarkFanoutProcesses(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("processes=%d", n), func(b *testing.B) { benchFanoutProcesses(b, n) })
	}
}

func benchFanoutProcesses(b *testing.B, nproc int) {
	buildVeil(b)              // before GOMAXPROCS=1 below reaches the go command
	srv := redistest.Start(b) // appendfsync always, as docs/OPERATING.md asks
	redisPID := clusterRedisPID(b, srv.URL())
	b.Setenv("GOMAXPROCS", "1")                  // inherited by the relay processes
	b.Setenv("VEIL_QUOTA_ANON", "1099511627776") // 1 TiB: uploads are never refused
	_, err := exec.LookPath("taskset")
	pin := err == nil
	if !pin {
		b.Log("taskset not found: relay processes are not pinned")
	}
	procs := make([]*relayProcess, nproc)
	for i := range procs {
		procs[i] = startRelayProcess(b, b.TempDir(), "--redis", srv.URL())
		if pin {
			// -a: every thread; threads started later inherit the mask.
			pid := strconv.Itoa(procs[i].cmd.Process.Pid)
			if out, err := exec.Command("taskset", "-a", "-p", "-c", strconv.Itoa(i), pid).CombinedOutput(); err != nil {
				b.Fatalf("taskset: %v\n%s", err, out)
			}
		}
	}

	keyIDs := make([]uint64, clusterChannels)
	channels := make([]string, clusterChannels)
	for i := range keyIDs {
		keyIDs[i] = 0x5EED_0000_0000_0000 + uint64(i)
		channels[i] = relayclient.InboxChannel(keyIDs[i])
	}
	// Subscriber i connects to process i%nproc, on a channel that spreads
	// every channel's subscribers evenly over the processes.
	urls := make([]string, clusterConns)
	subs := make([]string, clusterConns)
	for i := range urls {
		urls[i] = "ws" + strings.TrimPrefix(procs[i%nproc].url, "http") + "/v1/ws"
		subs[i] = channels[(i/nproc)%clusterChannels]
	}
	load := dialClusterSubs(b, urls, subs)
	defer load.close()

	hc := benchClient(b)
	tmpl := clusterMessage(keyIDs, clusterPayload)
	perUpload := int64(clusterConns) // each subscriber gets one event per upload
	jobs := make(chan int)
	failed := make(chan error, 1)
	var workers sync.WaitGroup
	var upMu sync.Mutex
	var upTimes []uint32 // µs per upload
	for range clusterInflight {
		workers.Add(1)
		go func() {
			defer workers.Done()
			msg := slices.Clone(tmpl)
			seed := rand.Uint64()
			for k := range jobs {
				// A different blob each time: its last 16 bytes.
				binary.BigEndian.PutUint64(msg[len(msg)-16:], seed)
				binary.BigEndian.PutUint64(msg[len(msg)-8:], uint64(k))
				t0 := time.Now()
				if err := clusterUpload(hc, procs[k%nproc].url, msg); err != nil {
					select {
					case failed <- err:
					default:
					}
				}
				upMu.Lock()
				upTimes = append(upTimes, uint32(time.Since(t0).Microseconds()))
				upMu.Unlock()
			}
		}()
	}

	var expected int64 // deliveries of the uploads handed out
	k := 0
	upload := func() {
		for expected-load.delivered.Load() > (clusterInflight-1)*perUpload {
			select {
			case err := <-failed:
				b.Fatal(err)
			default:
			}
			time.Sleep(20 * time.Microsecond) // not spinning: the readers need the CPUs
		}
		expected += perUpload
		jobs <- k
		k++
	}
	start, cpu0 := time.Now(), readClusterCPU(procs, redisPID)
	// The window is filled before b.Loop starts timing, so that each of its
	// iterations waits for room as in the steady state (an empty window
	// would let the first clusterInflight through at once and mislead the
	// ramp-up of b.N). The count covers these uploads too.
	for range clusterInflight {
		upload()
	}
	for b.Loop() {
		upload()
	}
	close(jobs)
	workers.Wait()
	select {
	case err := <-failed:
		b.Fatal(err)
	default:
	}
	deadline := time.Now().Add(60 * time.Second)
	for load.delivered.Load() < expected {
		if time.Now().After(deadline) {
			b.Fatalf("delivered %d of %d", load.delivered.Load(), expected)
		}
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := time.Since(start)
	cpu := readClusterCPU(procs, redisPID).sub(cpu0)
	for _, p := range procs {
		if slow := clusterMetric(b, p.url, "veil_ws_slow_consumers_total"); slow != 0 {
			b.Fatalf("%v slow consumers", slow)
		}
	}
	if got := load.delivered.Load(); got != expected {
		b.Fatalf("delivered %d, want %d: duplicates", got, expected)
	}

	rate := float64(expected) / elapsed.Seconds()
	// Other jobs on the machine take CPU from this run: say how much.
	others := cpu.machine - cpu.relays - cpu.redis - cpu.self
	slices.Sort(upTimes)
	b.Logf("%d deliveries (events of %d bytes) in %v, %.2f relay writes per delivery; uploads of %d bytes p50 %.1f ms, p99 %.1f ms; CPU: relays %.2f cores, Redis %.2f, load %.2f, other processes %.2f",
		expected, load.frameLen.Load(), elapsed.Round(time.Millisecond), float64(cpu.writes)/float64(expected), len(tmpl), clusterQuantile(upTimes, 0.5), clusterQuantile(upTimes, 0.99), clusterCores(cpu.relays, elapsed), clusterCores(cpu.redis, elapsed),
		clusterCores(cpu.self, elapsed), clusterCores(others, elapsed))
	lat := load.latencies()
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 / float64(expected) }
	b.ReportMetric(rate, "deliveries/s")
	b.ReportMetric(clusterQuantile(lat, 0.50), "p50-ms")
	b.ReportMetric(clusterQuantile(lat, 0.99), "p99-ms")
	b.ReportMetric(per(cpu.relays), "relay-cpu-µs/delivery")
	b.ReportMetric(per(cpu.redis), "redis-cpu-µs/delivery")
	b.ReportMetric(per(cpu.relays+cpu.redis+cpu.self), "cpu-µs/delivery")
	switch {
	case nproc == 1:
		clusterOneProcess = append(clusterOneProcess, rate)
	case len(clusterOneProcess) > 0:
		one := slices.Clone(clusterOneProcess)
		slices.Sort(one)
		b.ReportMetric(rate/one[len(one)/2], "x-1-process")
	}
}

// clusterMessage is a well-framed encrypted OpenPGP message, as the relay
// sees one: a v3 key packet (ECDH, the size of a Curve25519 one) for each key
// ID, then an encrypted data packet of payload bytes (random; the relay does
// not decrypt). The relay notifies the inboxes of the key IDs.
func clusterMessage(keyIDs []uint64, payload int) []byte {
	var m bytes.Buffer
	for _, id := range keyIDs {
		body := []byte{3}                              // version
		body = binary.BigEndian.AppendUint64(body, id) // key ID
		body = append(body, 18, 0x01, 0x07, 0x40)      // ECDH; MPI of 263 bits: 0x40 and a point
		body = append(body, clusterRandom(32)...)      // the ephemeral point
		body = append(body, 48)                        // wrapped session key, length-prefixed
		body = append(body, clusterRandom(48)...)
		m.Write([]byte{0xc1, byte(len(body))}) // tag 1, new format, one-octet length
		m.Write(body)
	}
	n := payload + 1
	m.Write([]byte{0xd2, 0xff, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n), 1}) // tag 18, version 1
	m.Write(clusterRandom(payload))
	return m.Bytes()
}

func clusterCores(d, elapsed time.Duration) float64 { return d.Seconds() / elapsed.Seconds() }

func clusterRandom(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(rand.Uint32())
	}
	return p
}

func clusterUpload(hc *http.Client, base string, msg []byte) error {
	resp, err := hc.Post(base+"/v1/blobs", "application/octet-stream", bytes.NewReader(msg))
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("upload to %s: %d %s", base, resp.StatusCode, body)
	}
	return nil
}

// clusterSubs is one WebSocket connection per subscription, each read by
// its own goroutine that records the publish→deliver latency of its events.
type clusterSubs struct {
	conns     []*websocket.Conn
	lat       [][]uint32 // per connection, µs
	delivered atomic.Int64
	frameLen  atomic.Int64 // of the last event read, for the log
	wg        sync.WaitGroup
}

func dialClusterSubs(b *testing.B, urls, channels []string) *clusterSubs {
	s := &clusterSubs{conns: make([]*websocket.Conn, len(urls)), lat: make([][]uint32, len(urls))}
	d := websocket.Dialer{ReadBufferSize: 4096, WriteBufferSize: 512}
	errs := make(chan error, len(urls))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range urls {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ws, _, err := d.Dial(urls[i], nil)
			if err != nil {
				errs <- err
				return
			}
			s.conns[i] = ws
			var r hub.Reply
			_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			if err = ws.WriteJSON(hub.Message{ID: 1, Op: hub.OpSubscribe, Channel: channels[i]}); err == nil {
				if err = ws.ReadJSON(&r); err == nil && !r.OK {
					err = fmt.Errorf("subscribe: %+v", r.Error)
				}
			}
			_ = ws.SetReadDeadline(time.Time{})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		s.close()
		b.Fatalf("dialing %d subscribers: %v", len(urls), err)
	}
	for i, ws := range s.conns {
		s.wg.Add(1)
		go s.read(ws, &s.lat[i])
	}
	return s
}

var clusterTimeKey = []byte(`"time":"`)

func (s *clusterSubs) read(ws *websocket.Conn, lat *[]uint32) {
	defer s.wg.Done()
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
		now := time.Now()
		msg := buf.Bytes()
		i := bytes.Index(msg, clusterTimeKey)
		if i < 0 {
			continue
		}
		msg = msg[i+len(clusterTimeKey):]
		j := bytes.IndexByte(msg, '"')
		if j < 0 {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, string(msg[:j]))
		if err != nil {
			continue
		}
		s.frameLen.Store(int64(buf.Len()))
		*lat = append(*lat, uint32(min(max(now.Sub(t).Microseconds(), 0), 1<<32-1)))
		s.delivered.Add(1)
	}
}

func (s *clusterSubs) close() {
	for _, ws := range s.conns {
		if ws != nil {
			_ = ws.Close()
		}
	}
	s.wg.Wait()
}

// latencies returns every recorded latency, sorted. Call it once the
// expected deliveries have arrived.
func (s *clusterSubs) latencies() []uint32 {
	var all []uint32
	for _, l := range s.lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	return all
}

func clusterQuantile(sorted []uint32, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[min(int(q*float64(len(sorted))), len(sorted)-1)]) / 1000
}

// clusterCPU is CPU time (user and system) used so far: by the relays, by
// Redis, by this process and by the whole machine.
// writes counts the relays' write system calls.
type clusterCPU struct {
	relays, redis, self, machine time.Duration
	writes                       int64
}

func (c clusterCPU) sub(o clusterCPU) clusterCPU {
	return clusterCPU{c.relays - o.relays, c.redis - o.redis, c.self - o.self, c.machine - o.machine, c.writes - o.writes}
}

func readClusterCPU(procs []*relayProcess, redisPID int) clusterCPU {
	var c clusterCPU
	for _, p := range procs {
		c.relays += clusterProcCPU(p.cmd.Process.Pid)
		c.writes += clusterWrites(p.cmd.Process.Pid)
	}
	c.redis = clusterProcCPU(redisPID)
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	c.machine = clusterMachineCPU()
	return c
}

// clusterMachineCPU is the busy time of all CPUs (everything but idle and
// iowait), from the first line of /proc/stat.
func clusterMachineCPU() time.Duration {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	var ticks int64
	for i, v := range f[1:min(len(f), 9)] { // user nice system idle iowait irq softirq steal
		if i == 3 || i == 4 {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// clusterProcCPU is the CPU time of process pid, all its threads, from
// /proc/PID/stat (in clock ticks of 10 ms, the Linux USER_HZ).
func clusterProcCPU(pid int) time.Duration {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The fields after the command name (which may hold spaces), from state
	// on: utime and stime are the 12th and 13th.
	_, rest, _ := bytes.Cut(stat, []byte(") "))
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// clusterWrites is how many write system calls process pid has made
// (syscw in /proc/PID/io).
func clusterWrites(pid int) int64 {
	io, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(io)) {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// clusterRedisPID asks the Redis at url for its process ID.
func clusterRedisPID(b *testing.B, url string) int {
	opts, err := redis.ParseURL(url)
	if err != nil {
		b.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	info, err := c.Info(context.Background(), "server").Result()
	if err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "process_id:"); ok {
			pid, _ := strconv.Atoi(v)
			return pid
		}
	}
	b.Fatal("redis INFO has no process_id")
	return 0
}

// clusterMetric reads one unlabelled metric from a relay's /metrics.
func clusterMetric(b *testing.B, base, name string) float64 {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	b.Fatalf("%s/metrics has no %s", base, name)
	return 0
}
