package federation

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// rawHost is a bare libp2p host, to speak the sync protocol by hand.
func rawHost(t *testing.T, s signer) host.Host {
	t.Helper()
	h, err := libp2p.New(libp2p.Identity(s.key), libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableMetrics())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// ask sends one request on a new sync stream to n and returns the frames
// of the reply, up to the trailer (or the error that ended it).
func ask(t *testing.T, h host.Host, n *testNode, frame byte, payload []byte) ([][]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Connect(ctx, peer.AddrInfo{ID: n.ID(), Addrs: n.host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	s, err := h.NewStream(ctx, n.ID(), ProtocolSync)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w := bufio.NewWriter(s)
	if err := writeFrame(w, frame, payload); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(s)
	var out [][]byte
	for {
		typ, data, err := readFrame(r, MaxKeyRecordSize)
		if err != nil {
			return out, err
		}
		out = append(out, data)
		if typ == frameTrailer {
			return out, nil
		}
	}
}

func TestSyncServer(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	ctx := context.Background()
	for i := range 3 {
		if err := n.Announce(ctx, Announcement{CID: testCID(t, "s"+string(rune('0'+i)))}); err != nil {
			t.Fatal(err)
		}
	}
	h := rawHost(t, newSigner(t))
	pull := func(heads map[string]uint64) []byte {
		b, _ := json.Marshal(syncRequest{Op: "pull", Heads: heads})
		return b
	}

	frames, err := ask(t, h, n, frameRequest, pull(map[string]uint64{}))
	if err != nil || len(frames) != 4 || string(frames[3]) != `{"more":false}` {
		t.Fatalf("pull from nothing: %d frames, %v", len(frames), err)
	}
	for i, f := range frames[:3] {
		e, err := decodeEntry(f, kindPost)
		if err != nil || e.origin != n.ID() || e.seq != uint64(i+1) {
			t.Errorf("entry %d: %+v, %v", i, e, err)
		}
	}
	frames, err = ask(t, h, n, frameRequest, pull(map[string]uint64{n.ID().String(): 2}))
	if err != nil || len(frames) != 2 {
		t.Errorf("pull after seq 2: %d frames, %v; want one entry and the trailer", len(frames), err)
	}

	for name, tc := range map[string]struct {
		frame   byte
		payload []byte
	}{
		"garbage":        {frameRequest, []byte("hello")},
		"unknown op":     {frameRequest, []byte(`{"op":"push","heads":{}}`)},
		"unknown field":  {frameRequest, []byte(`{"op":"pull","heads":{},"x":1}`)},
		"bad origin":     {frameRequest, []byte(`{"op":"pull","heads":{"nobody":1}}`)},
		"not a request":  {frameEntry, pull(nil)},
		"trailing data":  {frameRequest, append(pull(nil), '{', '}')},
		"negative heads": {frameRequest, []byte(`{"op":"pull","heads":{"` + n.ID().String() + `":-1}}`)},
	} {
		if frames, err := ask(t, h, n, tc.frame, tc.payload); err == nil || len(frames) != 0 {
			t.Errorf("%s: got %d frames, %v; want the stream reset", name, len(frames), err)
		}
	}
	if v := counter(t, n.metrics.syncs, "served", "error"); v < 7 {
		t.Errorf("%v failed sync streams counted, want 7", v)
	}
}

// TestSyncRefusesBadEntries has a peer answer a pull with an entry whose
// signature does not verify: the node drops the sync and takes nothing.
func TestSyncRefusesBadEntries(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	h := rawHost(t, s)
	good := s.encode(t, s.post(1, testCID(t, "ok")))
	forged := bytes.Clone(s.encode(t, s.post(2, testCID(t, "forged"))))
	forged[10] ^= 1
	h.SetStreamHandler(ProtocolSync, func(st network.Stream) {
		defer st.Close()
		r, w := bufio.NewReader(st), bufio.NewWriter(st)
		if _, _, err := readFrame(r, syncMaxRequest); err != nil {
			st.Reset()
			return
		}
		writeFrame(w, frameEntry, good)
		writeFrame(w, frameEntry, forged)
		writeFrame(w, frameTrailer, []byte(`{"more":false}`))
		w.Flush()
		io.Copy(io.Discard, st)
	})
	n := startNode(t, func(c *Config) {
		c.Peers = []string{h.Addrs()[0].String() + "/p2p/" + h.ID().String()}
	})
	waitFor(t, 10*time.Second, "a failed pull", func() bool { return counter(t, n.metrics.syncs, "pulled", "error") >= 1 })
	if got := n.rec.announcements(); len(got) != 1 {
		t.Errorf("delivered %d announcements, want the one valid entry before the forged one", len(got))
	}
	if h := n.elog.head(s.id); h != 1 {
		t.Errorf("head of the peer %d, want 1", h)
	}
}

func TestFrames(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	for _, p := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("y"), 300)} {
		if err := writeFrame(w, 'e', p); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	r := bufio.NewReader(&buf)
	for _, want := range []int{0, 1, 300} {
		typ, data, err := readFrame(r, 1000)
		if err != nil || typ != 'e' || len(data) != want {
			t.Fatalf("frame: %q %d %v; want %d bytes", typ, len(data), err, want)
		}
	}
	if _, _, err := readFrame(r, 1000); !errors.Is(err, io.EOF) {
		t.Errorf("after the last frame: %v", err)
	}
	// Over the limit: refused before it is read.
	buf.Reset()
	w.Reset(&buf)
	writeFrame(w, 'e', make([]byte, 2000))
	w.Flush()
	if _, _, err := readFrame(bufio.NewReader(&buf), 1000); !errors.Is(err, errProtocol) {
		t.Errorf("oversized frame: %v", err)
	}
}

// FuzzSyncRequest checks that reading a request frame never panics and
// accepts only well-formed requests.
func FuzzSyncRequest(f *testing.F) {
	s := newSigner(f)
	req, _ := json.Marshal(syncRequest{Op: "pull", Heads: map[string]uint64{s.id.String(): 3}})
	for _, seed := range [][]byte{req, []byte(`{"op":"heads","heads":{}}`), []byte("x"), nil} {
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		writeFrame(w, frameRequest, seed)
		w.Flush()
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, payload, err := readFrame(bufio.NewReader(bytes.NewReader(data)), syncMaxRequest)
		if err != nil {
			return
		}
		op, heads, err := parseRequest(typ, payload)
		if err != nil {
			return
		}
		if op != "pull" && op != "heads" || len(heads) > syncMaxOrigins {
			t.Fatalf("accepted op %q with %d heads", op, len(heads))
		}
	})
}
