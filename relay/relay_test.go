package relay

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/gorilla/websocket"

	"github.com/veilsocial/veil/relay/api"
	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// startNode runs a relay on 127.0.0.1:0 with a fresh data directory.
func startNode(t testing.TB, mod func(*Config)) *Node {
	t.Helper()
	cfg := Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), MaxBlobSize: 4 << 20, RateAnon: 100000, BurstAnon: 100000}
	if mod != nil {
		mod(&cfg)
	}
	n, err := New(cfg, WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return n
}

func newPersona(t testing.TB, name string) *persona.Persona {
	t.Helper()
	p, err := persona.New(persona.Options{Name: name, Email: strings.ToLower(name) + "@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sealTo(t testing.TB, text string, author *persona.Persona, to ...*persona.Persona) []byte {
	t.Helper()
	var rcpts []*openpgp.Entity
	for _, p := range to {
		pub, _ := persona.PublicOnly(p.Entity())
		rcpts = append(rcpts, pub)
	}
	var buf bytes.Buffer
	if err := envelope.SealPost(&buf, envelope.Post{Text: text}, author.Entity(), rcpts, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func client(t testing.TB, n *Node) *relayclient.Client {
	t.Helper()
	c, err := relayclient.New(n.URL())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestUploadGetAndGateway(t *testing.T) {
	n := startNode(t, nil)
	alice, bob := newPersona(t, "Alice"), newPersona(t, "Bob")
	msg := sealTo(t, "hello bob", alice, bob)
	ctx := context.Background()
	c := client(t, n)
	id, err := c.Upload(ctx, msg, relayclient.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if id != relayclient.BlobCID(msg) {
		t.Errorf("cid %s, want %s", id, relayclient.BlobCID(msg))
	}
	got, err := c.Get(ctx, id)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("get: %v", err)
	}
	// The IPFS trustless gateway serves the same block.
	req, _ := http.NewRequest(http.MethodGet, n.URL()+"/ipfs/"+id.String(), nil)
	req.Header.Set("Accept", "application/vnd.ipld.raw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(raw, msg) {
		t.Errorf("gateway raw: %d, %d bytes", resp.StatusCode, len(raw))
	}
	resp, err = http.Get(n.URL() + "/ipfs/" + id.String() + "?format=car")
	if err != nil {
		t.Fatal(err)
	}
	car, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(car, msg) || !strings.Contains(resp.Header.Get("Content-Type"), "car") {
		t.Errorf("gateway car: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(car))
	}
	// A public (signed-only) post is accepted too.
	var pub bytes.Buffer
	if err := envelope.SealPost(&pub, envelope.Post{Text: "public"}, alice.Entity(), nil, &envelope.PostOptions{Audience: envelope.Public}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(ctx, pub.Bytes(), relayclient.UploadOptions{}); err != nil {
		t.Errorf("public post: %v", err)
	}
	// A large blob becomes a DAG and streams back whole.
	big := bytes.Repeat(msg, (3<<20)/len(msg))
	var bigMsg bytes.Buffer
	w, _ := envelope.Encrypt(&bigMsg, []*openpgp.Entity{bob.Entity()}, alice.Entity(), nil)
	w.Write(big)
	w.Close()
	bid, err := c.Upload(ctx, bigMsg.Bytes(), relayclient.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(n.URL() + "/v1/blobs/" + bid.String())
	if err != nil {
		t.Fatal(err)
	}
	back, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(back, bigMsg.Bytes()) {
		t.Errorf("large blob: got %d bytes, want %d", len(back), bigMsg.Len())
	}
}

// apiCall makes a raw request and decodes the JSON error, if any.
func apiCall(t *testing.T, method, url, ctype string, body io.Reader, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var b api.Body
	if json.Unmarshal(data, &b) == nil && b.Error != nil {
		return resp.StatusCode, b.Error.Code
	}
	return resp.StatusCode, ""
}

func TestBadInputs(t *testing.T) {
	n := startNode(t, func(c *Config) { c.MaxBlobSize = 64 << 10 })
	base := runtime.NumGoroutine()
	alice, bob := newPersona(t, "Alice"), newPersona(t, "Bob")
	msg := sealTo(t, "x", alice, bob)
	literal := []byte{0xcb, 0x08, 'b', 0, 0, 0, 0, 0, 'h', 'i'} // an unsigned literal packet: plaintext
	oct := "application/octet-stream"
	known := relayclient.BlobCID(msg)
	unknown := relayclient.BlobCID([]byte("never uploaded"))
	cases := []struct {
		name   string
		method string
		path   string
		ctype  string
		body   []byte
		hdr    map[string]string
		status int
		code   string
	}{
		{"garbage", "POST", "/v1/blobs", oct, []byte("hello, this is not OpenPGP"), nil, 400, api.CodeNotOpenPGP},
		{"plaintext literal", "POST", "/v1/blobs", oct, literal, nil, 400, api.CodePlaintext},
		{"truncated", "POST", "/v1/blobs", oct, msg[:len(msg)-9], nil, 400, api.CodeNotOpenPGP},
		{"trailing garbage", "POST", "/v1/blobs", oct, append(bytes.Clone(msg), 0x00), nil, 400, api.CodeNotOpenPGP},
		{"empty", "POST", "/v1/blobs", oct, nil, nil, 400, api.CodeNotOpenPGP},
		{"oversized", "POST", "/v1/blobs", oct, bytes.Repeat([]byte{0xc1}, 70<<10), nil, 413, api.CodeTooLarge},
		{"wrong content type", "POST", "/v1/blobs", "text/plain", msg, nil, 415, api.CodeUnsupportedType},
		{"bad share key header", "POST", "/v1/blobs", oct, msg, map[string]string{"Veil-Share-Key": "rsa:abc"}, 400, api.CodeBadRequest},
		{"unknown signer", "POST", "/v1/blobs", oct, msg, map[string]string{"Veil-Signer": persona.Fingerprint(alice.Entity()), "Veil-Signature": "AAAA"}, 401, api.CodeUnauthorized},
		{"malformed cid", "GET", "/v1/blobs/not-a-cid", "", nil, nil, 400, api.CodeBadCID},
		{"unknown cid", "GET", "/v1/blobs/" + unknown.String(), "", nil, nil, 404, api.CodeNotFound},
		{"share for unknown cid", "POST", "/v1/shares/" + unknown.String(), oct, msg[:10], nil, 400, api.CodeNotOpenPGP},
		{"share unsigned", "POST", "/v1/shares/" + known.String(), oct, sharePackets(t, msg, bob, alice), nil, 403, api.CodeForbidden},
		{"unknown route", "GET", "/v1/nothing", "", nil, nil, 404, api.CodeNotFound},
	}
	if _, err := client(t, n).Upload(context.Background(), msg, relayclient.UploadOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		status, code := apiCall(t, c.method, n.URL()+c.path, c.ctype, bytes.NewReader(c.body), c.hdr)
		if status != c.status || code != c.code {
			t.Errorf("%s: %d %q, want %d %q", c.name, status, code, c.status, c.code)
		}
	}
	// Huge headers are refused by the server before any handler.
	req, _ := http.NewRequest("GET", n.URL()+"/v1/info", nil)
	req.Header.Set("X-Huge", strings.Repeat("a", 64<<10))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("huge headers: %d", resp.StatusCode)
		}
	}
	// A WebSocket flood of garbage frames ends that connection.
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(n.URL(), "http", "ws", 1)+"/v1/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	closed := false
	for i := 0; i < 1000 && !closed; i++ {
		if err := ws.WriteMessage(websocket.TextMessage, []byte("{garbage")); err != nil {
			closed = true
		}
	}
	for !closed {
		if _, _, err := ws.ReadMessage(); err != nil {
			closed = true
		}
	}
	ws.Close()
	http.DefaultClient.CloseIdleConnections()
	waitGoroutines(t, base)
}

// waitGoroutines waits (bounded) for the goroutine count to come back.
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d, baseline %d\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sharePackets makes key packets for to from msg, decrypting with from.
func sharePackets(t testing.TB, msg []byte, from, to *persona.Persona) []byte {
	t.Helper()
	pub, _ := persona.PublicOnly(to.Entity())
	sh, err := envelope.AddRecipients(bytes.NewReader(msg), openpgp.EntityList{from.Entity()}, []*openpgp.Entity{pub}, false)
	if err != nil {
		t.Fatal(err)
	}
	return sh.Bytes
}

func encryptionKeyID(t testing.TB, p *persona.Persona) uint64 {
	t.Helper()
	k, ok := p.Entity().EncryptionKey(time.Now(), nil)
	if !ok {
		t.Fatal("no encryption key")
	}
	return k.PublicKey.KeyId
}

// wsSubscribe opens a WebSocket and subscribes to channel.
func wsSubscribe(t testing.TB, n *Node, channel string) *websocket.Conn {
	t.Helper()
	return wsSubscribeURL(t, n.URL(), channel)
}

type wsEvent struct {
	Channel string         `json:"channel"`
	Offset  uint64         `json:"offset"`
	Data    map[string]any `json:"data"`
}

func nextEvent(t testing.TB, ws *websocket.Conn) wsEvent {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(2 * time.Second))
	var ev wsEvent
	if err := ws.ReadJSON(&ev); err != nil {
		t.Fatalf("no event within 2 s: %v", err)
	}
	return ev
}

// TestPostShareNotify: a post to Bob notifies Bob's inbox; Alice adds Carol
// with a share signed by the post's share key; Carol is notified and reads
// it with the share; nobody else can add shares.
func TestPostShareNotify(t *testing.T) {
	n := startNode(t, nil)
	ctx := context.Background()
	c := client(t, n)
	alice, bob, carol := newPersona(t, "Alice"), newPersona(t, "Bob"), newPersona(t, "Carol")
	bobInbox := wsSubscribe(t, n, relayclient.InboxChannel(encryptionKeyID(t, bob)))
	carolInbox := wsSubscribe(t, n, relayclient.InboxChannel(encryptionKeyID(t, carol)))

	msg := sealTo(t, "for bob, later carol", alice, bob)
	id := relayclient.BlobCID(msg)
	sk, err := alice.ShareKey(id.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(ctx, msg, relayclient.UploadOptions{ShareKey: sk.Public().(ed25519.PublicKey)}); err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, bobInbox)
	if ev.Data["type"] != "post" || ev.Data["cid"] != id.String() {
		t.Errorf("bob's event: %+v", ev)
	}
	share := sharePackets(t, msg, alice, carol)
	// Bob can read the post but cannot publish shares for it.
	bobKey, _ := bob.ShareKey(id.String())
	if err := c.AddShare(ctx, id, share, bobKey); !errors.Is(err, relayclient.ErrUnauthorized) {
		t.Fatalf("share signed by bob: %v", err)
	}
	if err := c.AddShare(ctx, id, share, sk); err != nil {
		t.Fatal(err)
	}
	ev = nextEvent(t, carolInbox)
	if ev.Data["type"] != "share" || ev.Data["cid"] != id.String() {
		t.Errorf("carol's event: %+v", ev)
	}
	shares, err := c.Shares(ctx, id)
	if err != nil || len(shares) != 1 {
		t.Fatalf("shares: %d %v", len(shares), err)
	}
	got, err := c.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	alicePub, _ := persona.PublicOnly(alice.Entity())
	op, err := envelope.OpenPost(bytes.NewReader(got), &envelope.OpenOptions{Keyring: openpgp.EntityList{carol.Entity(), alicePub}}, shares...)
	if err != nil || op.Text != "for bob, later carol" || op.Signature.Status != envelope.SigGood {
		t.Fatalf("carol reads: %v", err)
	}
}

// TestSignedUpload: a persona whose key is in the directory signs its
// upload; a bad signature is refused and nothing stays pinned for it.
func TestSignedUpload(t *testing.T) {
	n := startNode(t, nil)
	ctx := context.Background()
	c := client(t, n)
	alice, bob := newPersona(t, "Alice"), newPersona(t, "Bob")
	pub, _ := alice.ArmoredPublicKey()
	if _, err := c.PublishKey(ctx, pub); err != nil {
		t.Fatal(err)
	}
	msg := sealTo(t, "signed upload", alice, bob)
	if _, err := c.Upload(ctx, msg, relayclient.UploadOptions{Signer: alice.Entity()}); err != nil {
		t.Fatalf("signed upload: %v", err)
	}
	if n.store.Usage("key:"+persona.Fingerprint(alice.Entity())) == 0 {
		t.Error("signed upload not counted against the persona")
	}
	// Bob's signature claiming to be Alice's.
	other := sealTo(t, "forged", alice, bob)
	_, sig, err := relayclient.UploadSignature(bob.Entity(), other)
	if err != nil {
		t.Fatal(err)
	}
	status, code := apiCall(t, "POST", n.URL()+"/v1/blobs", "application/octet-stream", bytes.NewReader(other),
		map[string]string{"Veil-Signer": persona.Fingerprint(alice.Entity()), "Veil-Signature": sig})
	if status != 401 || code != api.CodeUnauthorized {
		t.Errorf("forged signature: %d %s", status, code)
	}
	// Re-uploading Alice's own post with a bad signature in her name must
	// not touch her pin.
	before := n.store.Usage("key:" + persona.Fingerprint(alice.Entity()))
	status, _ = apiCall(t, "POST", n.URL()+"/v1/blobs", "application/octet-stream", bytes.NewReader(msg),
		map[string]string{"Veil-Signer": persona.Fingerprint(alice.Entity()), "Veil-Signature": sig})
	if status != 401 || n.store.Usage("key:"+persona.Fingerprint(alice.Entity())) != before {
		t.Errorf("forged re-upload: %d, usage %d → %d", status, before, n.store.Usage("key:"+persona.Fingerprint(alice.Entity())))
	}
	// A garbage body with a signer header stops early without leaking the
	// signature check.
	base := runtime.NumGoroutine()
	status, code = apiCall(t, "POST", n.URL()+"/v1/blobs", "application/octet-stream", strings.NewReader("garbage"),
		map[string]string{"Veil-Signer": persona.Fingerprint(alice.Entity()), "Veil-Signature": sig})
	if status != 400 || code != api.CodeNotOpenPGP {
		t.Errorf("signed garbage: %d %s", status, code)
	}
	http.DefaultClient.CloseIdleConnections()
	waitGoroutines(t, base)
}

func TestInfoHealthMetrics(t *testing.T) {
	n := startNode(t, nil)
	var info relayclient.Info
	resp, err := http.Get(n.URL() + "/v1/info")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if info.Software != "veil" || info.Limits.MaxBlobSize != 4<<20 || info.URL != n.URL() {
		t.Errorf("info %+v", info)
	}
	resp, err = http.Get(n.URL() + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", err, resp.StatusCode)
	}
	resp.Body.Close()
	resp, err = http.Get(n.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"veil_http_requests_total", "go_goroutines"} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestRateLimit: anonymous uploads beyond the burst get 429 with
// Retry-After.
func TestRateLimit(t *testing.T) {
	n := startNode(t, func(c *Config) { c.RateAnon, c.BurstAnon = 1, 3 })
	alice := newPersona(t, "Alice")
	msg := sealTo(t, "x", alice, alice)
	var limited int
	for range 6 {
		status, code := apiCall(t, "POST", n.URL()+"/v1/blobs", "application/octet-stream", bytes.NewReader(msg), nil)
		if status == 429 && code == api.CodeRateLimited {
			limited++
		}
	}
	if limited < 2 {
		t.Errorf("%d of 6 uploads limited with burst 3", limited)
	}
}
