package relayclient

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/persona"
)

// recorded is one canned answer of a fake relay, and what it saw.
type recorded struct {
	status int
	header map[string]string
	body   string

	req  *http.Request
	data []byte
}

// fakeRelay answers each path with a canned response, as docs/API.md shows
// them, and records the requests.
type fakeRelay struct {
	mu     sync.Mutex
	routes map[string]*recorded // "METHOD /path" (query left out)
}

func newFake(t *testing.T, routes map[string]*recorded) (*Client, *fakeRelay) {
	t.Helper()
	f := &fakeRelay{routes: routes}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/", WithUserAgent("veil-test"))
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

func (f *fakeRelay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rec, ok := f.routes[r.Method+" "+r.URL.Path]
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error": {"code": "not_found", "message": "no route"}}`)
		return
	}
	rec.req = r
	rec.data, _ = io.ReadAll(r.Body)
	for k, v := range rec.header {
		w.Header().Set(k, v)
	}
	if rec.header["Content-Type"] == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rec.status)
	io.WriteString(w, rec.body)
}

// testPost returns a real sealed post of alice to bob and both personas.
func testPost(t *testing.T) (msg []byte, alice, bob *persona.Persona) {
	t.Helper()
	alice, err := persona.New(persona.Options{Name: "Alice", Email: "alice@example.org",
		Claims: []persona.Claim{{Site: persona.SiteTwitter, Handle: "alice"}}})
	if err != nil {
		t.Fatal(err)
	}
	bob, err = persona.New(persona.Options{Name: "Bob", Email: "bob@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	bobPub, err := persona.PublicOnly(bob.Entity())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := envelope.SealPost(&buf, envelope.Post{Text: "hello bob"}, alice.Entity(), []*openpgp.Entity{bobPub}, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), alice, bob
}

func TestNew(t *testing.T) {
	for _, bad := range []string{"", "relay.example", "ftp://relay.example", "https://", "https://u:p@relay.example", "https://relay.example/?q", "https://relay.example/#f"} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
	c, err := New("https://relay.example/veil/")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.endpoint("/v1/info", nil); got != "https://relay.example/veil/v1/info" {
		t.Errorf("endpoint %s", got)
	}
	if c.BaseURL() != "https://relay.example/veil" {
		t.Errorf("base URL %s", c.BaseURL())
	}
}

func TestUpload(t *testing.T) {
	msg, alice, _ := testPost(t)
	want := BlobCID(msg)
	if want.Prefix().Codec != cid.Raw || !strings.HasPrefix(want.String(), "bafkrei") {
		t.Fatalf("BlobCID %s is not a raw sha2-256 CIDv1", want)
	}
	route := &recorded{status: 201, body: `{"cid": "` + want.String() + `", "size": ` + itoa(len(msg)) + `}`}
	c, _ := newFake(t, map[string]*recorded{"POST /v1/blobs": route})
	key, err := alice.ShareKey(want.String())
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	got, err := c.Upload(t.Context(), msg, UploadOptions{ShareKey: pub, Signer: alice.Entity()})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equals(want) {
		t.Errorf("CID %s, want %s", got, want)
	}
	r := route.req
	if !bytes.Equal(route.data, msg) || r.Header.Get("Content-Type") != "application/octet-stream" || r.Header.Get("User-Agent") != "veil-test" {
		t.Errorf("request: %d bytes, headers %v", len(route.data), r.Header)
	}
	if h := r.Header.Get("Veil-Share-Key"); h != "ed25519:"+base64.RawURLEncoding.EncodeToString(pub) {
		t.Errorf("Veil-Share-Key %q", h)
	}
	if r.Header.Get("Veil-Signer") != alice.Fingerprint() {
		t.Errorf("Veil-Signer %q", r.Header.Get("Veil-Signer"))
	}
	sig, err := base64.StdEncoding.DecodeString(r.Header.Get("Veil-Signature"))
	if err != nil {
		t.Fatalf("Veil-Signature: %v", err)
	}
	if _, _, err := openpgp.VerifyDetachedSignature(openpgp.EntityList{alice.Entity()}, bytes.NewReader(msg), bytes.NewReader(sig), nil); err != nil {
		t.Errorf("upload signature does not verify: %v", err)
	}

	// A relay that answers another CID is caught.
	route.body = `{"cid": "` + BlobCID([]byte("something else")).String() + `", "size": 14}`
	if _, err := c.Upload(t.Context(), msg, UploadOptions{}); !errors.Is(err, ErrMismatch) {
		t.Errorf("wrong CID from the relay: %v", err)
	}
	// The documented error document becomes an *Error.
	route.status = 413
	route.body = `{"error": {"code": "too_large", "message": "blob is larger than 16777216 bytes"}}`
	_, err = c.Upload(t.Context(), msg, UploadOptions{})
	var re *Error
	if !errors.As(err, &re) || re.Status != 413 || re.Code != "too_large" || re.Message != "blob is larger than 16777216 bytes" || !errors.Is(err, ErrTooLarge) {
		t.Errorf("413: %#v", err)
	}
	route.status = 429
	route.header = map[string]string{"Retry-After": "7"}
	route.body = `{"error": {"code": "rate_limited", "message": "slow down"}}`
	_, err = c.Upload(t.Context(), msg, UploadOptions{})
	if !errors.As(err, &re) || re.RetryAfter != 7*time.Second || !errors.Is(err, ErrRateLimited) || errors.Is(err, ErrNotFound) {
		t.Errorf("429: %#v", err)
	}
	// Not a JSON error: a proxy's page.
	route.status = 502
	route.header = map[string]string{"Content-Type": "text/html"}
	route.body = "<html><body>\n<h1>502 Bad Gateway</h1>\n</body></html>"
	_, err = c.Upload(t.Context(), msg, UploadOptions{})
	if !errors.As(err, &re) || re.Code != "" || !strings.Contains(re.Message, "Bad Gateway") || strings.Contains(re.Message, "\n") {
		t.Errorf("502: %#v", err)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestGet(t *testing.T) {
	msg, _, _ := testPost(t)
	id := BlobCID(msg)
	route := &recorded{status: 200, header: map[string]string{"Content-Type": "application/octet-stream", "ETag": `"` + id.String() + `"`}, body: string(msg)}
	c, _ := newFake(t, map[string]*recorded{"GET /v1/blobs/" + id.String(): route})
	got, err := c.Get(t.Context(), id)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("Get: %v", err)
	}
	// Bytes that do not hash to the CID are refused.
	tampered := bytes.Clone(msg)
	tampered[len(tampered)-1] ^= 1
	route.body = string(tampered)
	if _, err := c.Get(t.Context(), id); !errors.Is(err, ErrMismatch) {
		t.Errorf("tampered blob: %v", err)
	}
	// Unknown CIDs are ErrNotFound.
	_, err = c.Get(t.Context(), BlobCID([]byte("nothing")))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown CID: %v", err)
	}
	// More than the limit is refused.
	small, err := New(c.BaseURL(), WithMaxBlobSize(16))
	if err != nil {
		t.Fatal(err)
	}
	route.body = string(msg)
	if _, err := small.Get(t.Context(), id); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
}

func TestVerifyBlob(t *testing.T) {
	data := []byte("blob")
	if ok, err := VerifyBlob(BlobCID(data), data); !ok || err != nil {
		t.Errorf("raw CID: %v %v", ok, err)
	}
	if _, err := VerifyBlob(BlobCID(data), []byte("blub")); !errors.Is(err, ErrMismatch) {
		t.Errorf("other data: %v", err)
	}
	// A chunked DAG cannot be checked from the bytes.
	dag := cid.NewCidV1(cid.DagProtobuf, BlobCID(data).Hash())
	if ok, err := VerifyBlob(dag, data); ok || err != nil {
		t.Errorf("dag-pb CID: %v %v", ok, err)
	}
	if _, err := VerifyBlob(cid.Undef, data); err == nil {
		t.Error("undefined CID accepted")
	}
}

func TestShareSignature(t *testing.T) {
	msg, alice, bob := testPost(t)
	id := BlobCID(msg)
	key, err := alice.ShareKey(id.String())
	if err != nil {
		t.Fatal(err)
	}
	header := ShareKeyHeader(key.Public().(ed25519.PublicKey))
	share := makeShare(t, msg, alice, bob)
	sig := ShareSignature(key, id.String(), share)
	if err := VerifyShareSignature(header, sig, id.String(), share); err != nil {
		t.Fatalf("good signature: %v", err)
	}
	// The signed message is the documented one.
	raw, _ := base64.RawURLEncoding.DecodeString(sig)
	pub, err := ParseShareKey(header)
	if err != nil {
		t.Fatal(err)
	}
	msgText := "veil-share-v1\n" + id.String() + "\n" + sha256hex(share)
	if !ed25519.Verify(pub, []byte(msgText), raw) {
		t.Error("signature is not over veil-share-v1\\n<cid>\\n<hex sha256>")
	}
	// Another spelling of the CID verifies, and so does padded base64url.
	b58, _ := id.StringOfBase('z')
	if err := VerifyShareSignature(header+"=", sig+"==", b58, share); err != nil {
		t.Errorf("padded header and base58 CID: %v", err)
	}
	other, _ := alice.ShareKey(BlobCID([]byte("other post")).String())
	for name, tc := range map[string]struct{ header, sig, cid string }{
		"other post":   {header, sig, BlobCID([]byte("other post")).String()},
		"other key":    {ShareKeyHeader(other.Public().(ed25519.PublicKey)), sig, id.String()},
		"other body":   {header, ShareSignature(key, id.String(), share[1:]), id.String()},
		"no signature": {header, "", id.String()},
		"bad header":   {"ed25519:abc", sig, id.String()},
		"x25519":       {"x25519:" + strings.TrimPrefix(header, "ed25519:"), sig, id.String()},
		"not a cid":    {header, sig, "post"},
		"garbage sig":  {header, "!!!", id.String()},
	} {
		if err := VerifyShareSignature(tc.header, tc.sig, tc.cid, share); !errors.Is(err, ErrBadShareSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// makeShare makes a real share of msg for a new reader.
func makeShare(t *testing.T, msg []byte, author, to *persona.Persona) []byte {
	t.Helper()
	pub, err := persona.PublicOnly(to.Entity())
	if err != nil {
		t.Fatal(err)
	}
	s, err := envelope.AddRecipients(bytes.NewReader(msg), openpgp.EntityList{author.Entity()}, []*openpgp.Entity{pub}, false)
	if err != nil {
		t.Fatal(err)
	}
	return s.Bytes
}

func TestShares(t *testing.T) {
	msg, alice, bob := testPost(t)
	id := BlobCID(msg)
	share := makeShare(t, msg, alice, bob)
	list := &recorded{status: 200, body: `{"cid": "` + id.String() + `", "shares": [` +
		`{"index": 1, "data": "` + base64.StdEncoding.EncodeToString([]byte("not key packets")) + `", "time": "2026-11-21T08:17:24Z"},` +
		`{"index": 0, "data": "` + base64.StdEncoding.EncodeToString(share) + `", "time": "2026-11-21T08:17:24Z"}]}`}
	add := &recorded{status: 201, body: `{"cid": "` + id.String() + `", "index": 3}`}
	c, _ := newFake(t, map[string]*recorded{"GET /v1/shares/" + id.String(): list, "POST /v1/shares/" + id.String(): add})

	recs, err := c.ShareList(t.Context(), id)
	if err != nil || len(recs) != 2 || recs[0].Index != 0 || !recs[0].Time.Equal(time.Date(2026, 11, 21, 8, 17, 24, 0, time.UTC)) {
		t.Fatalf("ShareList: %v %+v", err, recs)
	}
	shares, err := c.Shares(t.Context(), id)
	if err != nil || len(shares) != 1 || !bytes.Equal(shares[0], share) {
		t.Fatalf("Shares: %v, %d shares", err, len(shares))
	}
	// No shares for an unknown post.
	if s, err := c.Shares(t.Context(), BlobCID([]byte("x"))); err != nil || len(s) != 0 {
		t.Errorf("unknown post: %v %v", s, err)
	}
	// The shares of another post are refused.
	list.body = `{"cid": "` + BlobCID([]byte("x")).String() + `", "shares": []}`
	if _, err := c.Shares(t.Context(), id); !errors.Is(err, ErrMismatch) {
		t.Errorf("shares of another post: %v", err)
	}

	key, _ := alice.ShareKey(id.String())
	if index, err := c.PublishShare(t.Context(), id, share, key); err != nil || index != 3 {
		t.Fatalf("PublishShare: index %d, %v", index, err)
	}
	if !bytes.Equal(add.data, share) || add.req.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("AddShare sent %d bytes, %v", len(add.data), add.req.Header)
	}
	if err := VerifyShareSignature(ShareKeyHeader(key.Public().(ed25519.PublicKey)), add.req.Header.Get("Veil-Share-Signature"), id.String(), share); err != nil {
		t.Errorf("AddShare's signature: %v", err)
	}
	if err := c.AddShare(t.Context(), id, msg, key); err == nil {
		t.Error("AddShare sent a whole message as a share")
	}
	add.status = 401
	add.body = `{"error": {"code": "unauthorized", "message": "share signature: bad"}}`
	if err := c.AddShare(t.Context(), id, share, key); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("refused share: %v", err)
	}
}

func TestKeys(t *testing.T) {
	_, alice, bob := testPost(t)
	armored, err := alice.ArmoredPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	bobArmored, _ := bob.ArmoredPublicKey()
	fpr := alice.Fingerprint()
	record := func(fp string, arm []byte) string {
		b, _ := json.Marshal(map[string]any{
			"fingerprint": fp, "key_ids": []string{}, "user_ids": []string{"Alice <alice@example.org>"},
			"emails": []string{"alice@example.org"}, "claims": []map[string]string{{"site": "twitter", "handle": "alice"}},
			"created": "2026-11-21T08:17:24Z", "updated": "2026-11-21T08:17:24Z", "revoked": false, "armored": string(arm),
		})
		return string(b)
	}
	post := &recorded{status: 200, body: `{"keys": [{"fingerprint": "` + fpr + `", "status": "new"}]}`}
	find := &recorded{status: 200, body: `{"keys": [` + record(fpr, armored) + `]}`}
	get := &recorded{status: 200, body: record(fpr, armored)}
	c, _ := newFake(t, map[string]*recorded{"POST /v1/keys": post, "GET /v1/keys": find, "GET /v1/keys/" + fpr: get})

	res, err := c.PublishKey(t.Context(), armored)
	if err != nil || len(res.Keys) != 1 || res.Keys[0].Status != "new" || res.Keys[0].Fingerprint != fpr {
		t.Fatalf("PublishKey: %v %+v", err, res)
	}
	if !bytes.Equal(post.data, armored) || post.req.Header.Get("Content-Type") != "application/pgp-keys" {
		t.Errorf("PublishKey sent %v", post.req.Header)
	}

	encKeyID := persona.KeyIDString(alice.Entity().Subkeys[0].PublicKey.KeyId)
	for _, q := range []Query{
		{Fingerprint: strings.ToLower(fpr)},
		{KeyID: encKeyID},
		{Email: "Alice@Example.org"},
		{Handle: "twitter:alice"},
		{Handle: "@alice"},
	} {
		recs, err := c.LookupKeys(t.Context(), q)
		if err != nil || len(recs) != 1 || recs[0].Key == nil || persona.Fingerprint(recs[0].Key) != fpr {
			t.Errorf("%+v: %v %v", q, err, recs)
			continue
		}
		if recs[0].Claims[0].Handle != "alice" || recs[0].Key.PrivateKey != nil {
			t.Errorf("%+v: record %+v", q, recs[0])
		}
	}
	v := find.req.URL.Query()
	if v.Get("handle") != "twitter:alice" || len(v) != 1 {
		t.Errorf("handle query sent as %v", v)
	}
	// A key that does not match the query, or is not the record's, is
	// refused.
	for _, q := range []Query{{Email: "mallory@example.org"}, {Handle: "twitter:bob"}, {KeyID: "0123456789ABCDEF"}} {
		if _, err := c.LookupKeys(t.Context(), q); !errors.Is(err, ErrMismatch) {
			t.Errorf("%+v: %v", q, err)
		}
	}
	find.body = `{"keys": [` + record(fpr, bobArmored) + `]}`
	if _, err := c.LookupKeys(t.Context(), Query{Email: "alice@example.org"}); !errors.Is(err, ErrMismatch) {
		t.Errorf("record holding another key: %v", err)
	}
	if _, err := c.LookupKeys(t.Context(), Query{Email: "a@b.c", Handle: "twitter:a"}); err == nil {
		t.Error("two query fields accepted")
	}
	// No match: an empty list.
	find.body = `{"keys": []}`
	if recs, err := c.LookupKeys(t.Context(), Query{Email: "nobody@example.org"}); err != nil || len(recs) != 0 {
		t.Errorf("no match: %v %v", recs, err)
	}

	rec, err := c.GetKey(t.Context(), "0x"+strings.ToLower(fpr))
	if err != nil || persona.Fingerprint(rec.Key) != fpr {
		t.Errorf("GetKey: %v", err)
	}
	if _, err := c.GetKey(t.Context(), bob.Fingerprint()); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetKey of an unknown key: %v", err)
	}
}

func TestInfo(t *testing.T) {
	info := &recorded{status: 200, body: `{"name":"veil relay","software":"veil","version":"0.1.0-dev","url":"http://127.0.0.1:8080","peer_id":"","addrs":[],` +
		`"limits":{"max_blob_size":67108864,"max_share_size":65536,"max_subscriptions":64},"protocols":["veil/v1"]}`}
	c, _ := newFake(t, map[string]*recorded{"GET /v1/info": info})
	got, err := c.Info(context.Background())
	if err != nil || got.Name != "veil relay" || got.Limits.MaxBlobSize != 64<<20 || got.Limits.MaxShareSize != 64<<10 {
		t.Fatalf("Info: %v %+v", err, got)
	}
	info.body = `{"name":"x","software":"something else"}`
	if _, err := c.Info(context.Background()); !errors.Is(err, ErrBadResponse) {
		t.Errorf("not a veil relay: %v", err)
	}
	info.body = `<html>`
	if _, err := c.Info(context.Background()); !errors.Is(err, ErrBadResponse) {
		t.Errorf("not JSON: %v", err)
	}
}
