package directory

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/ipfs/go-datastore"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/veilsocial/veil/relay/api"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

var ctx = context.Background()

func submitOne(t *testing.T, d *Directory, data []byte, wantStatus string) string {
	t.Helper()
	res, err := d.Submit(ctx, data)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if len(res.Keys) != 1 || res.Keys[0].Status != wantStatus {
		t.Fatalf("submit: got %+v, want one key %s", res, wantStatus)
	}
	return res.Keys[0].Fingerprint
}

func TestSubmitAndLookup(t *testing.T) {
	var updates []string
	var mu sync.Mutex
	reg := prometheus.NewRegistry()
	d := newDir(t, Options{Registerer: reg, OnUpdate: func(_ context.Context, fpr string) {
		mu.Lock()
		updates = append(updates, fpr)
		mu.Unlock()
	}})
	alice := newPersona(t, "Alice", "Alice@Example.ORG", persona.Claim{Site: "twitter", Handle: "alice"})
	fpr := submitOne(t, d, publicKey(t, alice), StatusNew)
	if fpr != alice.Fingerprint() {
		t.Fatalf("fingerprint %s, want %s", fpr, alice.Fingerprint())
	}
	// The same key again adds nothing and announces nothing.
	submitOne(t, d, publicKey(t, alice), StatusUnchanged)
	if len(updates) != 1 || updates[0] != fpr {
		t.Fatalf("OnUpdate calls %v, want one for %s", updates, fpr)
	}

	rec, err := d.Get(ctx, strings.ToLower(fpr))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Fingerprint != fpr || len(rec.KeyIDs) != 2 || rec.KeyIDs[0] != persona.KeyIDString(alice.KeyID()) {
		t.Fatalf("record %+v", rec)
	}
	if !slices.Equal(rec.Emails, []string{"alice@example.org"}) || !slices.Equal(rec.UserIDs, []string{"Alice <Alice@Example.ORG>"}) {
		t.Fatalf("emails %v, user IDs %v", rec.Emails, rec.UserIDs)
	}
	if len(rec.Claims) != 1 || !rec.Claims[0].Equal(persona.Claim{Site: "twitter", Handle: "alice"}) {
		t.Fatalf("claims %v", rec.Claims)
	}
	if rec.Revoked || rec.Created.IsZero() || rec.Updated.IsZero() || rec.Algorithm != int(packet.PubKeyAlgoEdDSA) {
		t.Fatalf("record %+v", rec)
	}
	if got := readArmored(t, rec.Armored); persona.Fingerprint(got) != fpr {
		t.Fatal("armored key is another key")
	}
	checkClean(t, storedCert(t, d, fpr))

	for _, q := range []Query{
		{Fingerprint: fpr},
		{Fingerprint: "0x" + strings.ToLower(fpr)},
		{KeyID: rec.KeyIDs[0]},
		{KeyID: rec.KeyIDs[1]}, // the encryption subkey
		{Email: "ALICE@example.org"},
		{Email: "<alice@example.org>"},
		{Site: "twitter", Handle: "Alice"},
		{Site: "x", Handle: "alice"},
	} {
		recs, err := d.Lookup(ctx, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		if len(recs) != 1 || recs[0].Fingerprint != fpr {
			t.Fatalf("%+v: got %d records", q, len(recs))
		}
	}
	// A subkey's fingerprint finds the key too.
	sub := alice.Entity().Subkeys[0].PublicKey
	if recs, err := d.Lookup(ctx, Query{Fingerprint: strings.ToUpper(hex.EncodeToString(sub.Fingerprint))}); err != nil || len(recs) != 1 {
		t.Fatalf("lookup by subkey fingerprint: %v, %d", err, len(recs))
	}
	for _, q := range []Query{{Email: "bob@example.org"}, {KeyID: "0123456789ABCDEF"}, {Site: "facebook", Handle: "alice"}} {
		recs, err := d.Lookup(ctx, q)
		if err != nil || len(recs) != 0 {
			t.Fatalf("%+v: %v, %d records", q, err, len(recs))
		}
	}
	for _, q := range []Query{{}, {Email: "a@b", KeyID: "0123456789ABCDEF"}, {KeyID: "DEADBEEF"}, {Email: "nobody"}, {Site: "myspace", Handle: "a"}, {Fingerprint: "xyz"}} {
		_, err := d.Lookup(ctx, q)
		wantAPIError(t, "bad query", err, ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest)
	}
	_, err = d.Get(ctx, strings.Repeat("AB", 20))
	wantAPIError(t, "get unknown", err, ErrNotFound, http.StatusNotFound, api.CodeNotFound)

	// Returned records are copies.
	rec.Emails[0] = "mallory@example.org"
	if again, _ := d.Get(ctx, fpr); again.Emails[0] != "alice@example.org" {
		t.Fatal("a caller changed the cached record")
	}

	if got := metricValue(t, d.metrics.keys); got != 1 {
		t.Fatalf("veil_directory_keys = %v", got)
	}
	if got := metricValue(t, d.metrics.submitted.WithLabelValues(StatusUnchanged)); got != 1 {
		t.Fatalf("unchanged submissions = %v", got)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, want := range []string{"veil_directory_keys", "veil_directory_submitted_keys_total", "veil_directory_lookups_total", "veil_directory_submit_duration_seconds"} {
		if !names[want] {
			t.Errorf("metric %s not registered (have %v)", want, names)
		}
	}
}

// metricValue reads a gauge or counter.
func metricValue(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	}
	t.Fatal("not a gauge or counter")
	return 0
}

func urlQuery(s string) string { return url.QueryEscape(s) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestMerge(t *testing.T) {
	d := newDir(t, Options{})
	alice := newPersona(t, "Alice", "alice@example.org")
	first := publicKey(t, alice)
	fpr := submitOne(t, d, first, StatusNew)

	// A new subkey is merged in.
	if err := alice.Entity().AddSigningSubkey(nil); err != nil {
		t.Fatal(err)
	}
	submitOne(t, d, serializeEntity(t, alice.Entity()), StatusUpdated)
	rec, _ := d.Get(ctx, fpr)
	if len(rec.KeyIDs) != 3 {
		t.Fatalf("after a new subkey: %d key IDs", len(rec.KeyIDs))
	}
	// An old copy takes nothing away.
	submitOne(t, d, first, StatusUnchanged)
	if rec, _ = d.Get(ctx, fpr); len(rec.KeyIDs) != 3 {
		t.Fatalf("an old copy removed a subkey: %d key IDs", len(rec.KeyIDs))
	}
	// A new user ID is merged in and indexed.
	if err := alice.Entity().AddUserId("Alice", "work", "alice@work.example", nil); err != nil {
		t.Fatal(err)
	}
	submitOne(t, d, serializeEntity(t, alice.Entity()), StatusUpdated)
	if recs, _ := d.Lookup(ctx, Query{Email: "alice@work.example"}); len(recs) != 1 || recs[0].Fingerprint != fpr {
		t.Fatal("the new user ID's address is not indexed")
	}

	// A revocation uploaded later is merged, and the key stays findable.
	revoked := newRevocation(t, alice)
	submitOne(t, d, revoked, StatusUpdated)
	rec, _ = d.Get(ctx, fpr)
	if !rec.Revoked {
		t.Fatal("revocation was not merged")
	}
	// Uploading the key from before the revocation does not undo it.
	submitOne(t, d, first, StatusUnchanged)
	if rec, _ = d.Get(ctx, fpr); !rec.Revoked {
		t.Fatal("an old copy undid the revocation")
	}
	checkClean(t, storedCert(t, d, fpr))

	// Another key claiming the same address does not replace the first;
	// both are returned.
	mallory := newPersona(t, "Alice", "alice@example.org")
	mfpr := submitOne(t, d, publicKey(t, mallory), StatusNew)
	if rec2, _ := d.Get(ctx, fpr); rec2.Armored != rec.Armored {
		t.Fatal("another key changed the first key's record")
	}
	recs, err := d.Lookup(ctx, Query{Email: "alice@example.org"})
	if err != nil || len(recs) != 2 {
		t.Fatalf("lookup by shared address: %v, %d records", err, len(recs))
	}
	got := []string{recs[0].Fingerprint, recs[1].Fingerprint}
	if !slices.Contains(got, fpr) || !slices.Contains(got, mfpr) {
		t.Fatalf("lookup returned %v", got)
	}
}

// newRevocation returns a persona's public key with a key revocation.
func newRevocation(t *testing.T, p *persona.Persona) []byte {
	t.Helper()
	if err := p.Entity().Revoke(packet.KeyRetired, "retired", nil); err != nil {
		t.Fatal(err)
	}
	return serializeEntity(t, p.Entity())
}

func TestRemovedClaimLeavesIndex(t *testing.T) {
	d := newDir(t, Options{})
	tw := persona.Claim{Site: "twitter", Handle: "carol"}
	carol := newPersona(t, "Carol", "carol@example.org", tw)
	fpr := submitOne(t, d, publicKey(t, carol), StatusNew)
	if recs, _ := d.Lookup(ctx, Query{Site: "twitter", Handle: "carol"}); len(recs) != 1 {
		t.Fatal("claim not indexed")
	}
	if err := carol.RemoveClaim(tw); err != nil {
		t.Fatal(err)
	}
	if err := carol.AddClaim(persona.Claim{Site: "facebook", Handle: "carol.c"}); err != nil {
		t.Fatal(err)
	}
	submitOne(t, d, publicKey(t, carol), StatusUpdated)
	if recs, _ := d.Lookup(ctx, Query{Site: "twitter", Handle: "carol"}); len(recs) != 0 {
		t.Fatal("a withdrawn claim still finds the key")
	}
	recs, _ := d.Lookup(ctx, Query{Site: "facebook", Handle: "Carol.C"})
	if len(recs) != 1 || recs[0].Fingerprint != fpr {
		t.Fatal("the new claim is not indexed")
	}
}

func TestHandleLookupReturnsAllClaimants(t *testing.T) {
	s := newServer(t, Options{})
	handle := persona.Claim{Site: "twitter", Handle: "alice"}
	a := newPersona(t, "Alice", "alice@example.org", handle)
	b := newPersona(t, "Not Alice", "imposter@example.net", handle, persona.Claim{Site: "facebook", Handle: "imposter"})
	c := newPersona(t, "Someone", "someone@example.net", persona.Claim{Site: "facebook", Handle: "alice"})
	for _, p := range []*persona.Persona{a, b, c} {
		status, body, _ := s.do(t, "POST", "/v1/keys", "application/pgp-keys", publicKey(t, p))
		if status != http.StatusOK {
			t.Fatalf("upload: %d %s", status, body)
		}
	}
	status, body, ctype := s.do(t, "GET", "/v1/keys?handle=twitter:alice", "", nil)
	if status != http.StatusOK || !strings.HasPrefix(ctype, "application/json") {
		t.Fatalf("lookup: %d %s %s", status, ctype, body)
	}
	var res struct {
		Keys []struct {
			Fingerprint    string          `json:"fingerprint"`
			Claims         []persona.Claim `json:"claims"`
			ClaimsVerified bool            `json:"claims_verified"`
			Armored        string          `json:"armored"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Keys) != 2 {
		t.Fatalf("want both claimants, got %d: %s", len(res.Keys), body)
	}
	for _, k := range res.Keys {
		if k.Fingerprint != a.Fingerprint() && k.Fingerprint != b.Fingerprint() {
			t.Fatalf("unexpected key %s", k.Fingerprint)
		}
		if k.ClaimsVerified || !slices.ContainsFunc(k.Claims, handle.Equal) || k.Armored == "" {
			t.Fatalf("record %+v", k)
		}
		if k.Fingerprint == b.Fingerprint() && len(k.Claims) != 2 {
			t.Fatalf("claims of the second key: %v", k.Claims)
		}
	}
	// The same through the Go API, with @handle and URL forms over HKP.
	recs, err := s.Lookup(ctx, Query{Site: "twitter", Handle: "ALICE"})
	if err != nil || len(recs) != 2 {
		t.Fatalf("Lookup: %v %d", err, len(recs))
	}
	for _, search := range []string{"twitter:alice", "@alice", "https://x.com/alice"} {
		status, body, _ := s.do(t, "GET", "/pks/lookup?op=index&options=mr&search="+urlQuery(search), "", nil)
		if status != http.StatusOK || !strings.HasPrefix(string(body), "info:1:2\n") {
			t.Fatalf("HKP index %q: %d %s", search, status, body)
		}
	}
}

func TestV6Key(t *testing.T) {
	d := newDir(t, Options{})
	p, err := persona.New(persona.Options{Name: "Six", Email: "six@example.org", Profile: persona.ProfileV6, Claims: []persona.Claim{{Site: "twitter", Handle: "six"}}})
	if err != nil {
		t.Fatal(err)
	}
	fpr := submitOne(t, d, publicKey(t, p), StatusNew)
	if len(fpr) != 64 {
		t.Fatalf("v6 fingerprint %s", fpr)
	}
	rec, err := d.Get(ctx, fpr)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Version != 6 || rec.KeyIDs[0] != fpr[:16] || len(rec.Claims) != 1 {
		t.Fatalf("record %+v", rec)
	}
	for _, q := range []Query{{KeyID: fpr[:16]}, {Email: "six@example.org"}, {Site: "twitter", Handle: "six"}, {Fingerprint: fpr}} {
		if recs, err := d.Lookup(ctx, q); err != nil || len(recs) != 1 {
			t.Fatalf("%+v: %v %d", q, err, len(recs))
		}
	}
	checkClean(t, storedCert(t, d, fpr))
	submitOne(t, d, publicKey(t, p), StatusUnchanged)
}

func TestDuplicatePackets(t *testing.T) {
	// A keyring that holds the same key twice, and a key whose packets
	// repeat, are stored once, without duplicate subkeys or signatures.
	d := newDir(t, Options{})
	p := newPersona(t, "Dup", "dup@example.org")
	bin := serializeEntity(t, p.Entity())
	fpr := submitOne(t, d, append(bytes.Clone(bin), bin...), StatusNew)
	once := storedCert(t, d, fpr)
	// Primary key, then user ID and subkey sections twice over.
	_, rest, _ := pgppacket.Next(bin)
	doubled := append(bytes.Clone(bin), rest...)
	submitOne(t, d, doubled, StatusUnchanged)
	if !bytes.Equal(once, storedCert(t, d, fpr)) {
		t.Fatal("repeated packets changed the stored key")
	}
	rec, _ := d.Get(ctx, fpr)
	if len(rec.KeyIDs) != 2 {
		t.Fatalf("key IDs %v", rec.KeyIDs)
	}
}

func TestJSONRoutes(t *testing.T) {
	s := newServer(t, Options{})
	alice := newPersona(t, "Alice", "alice@example.org")
	armored := publicKey(t, alice)

	// Binary upload works as well as armored.
	var bin bytes.Buffer
	if err := alice.PublicKey(&bin); err != nil {
		t.Fatal(err)
	}
	status, body, _ := s.do(t, "POST", "/v1/keys", "application/octet-stream", bin.Bytes())
	var res SubmitResult
	if status != http.StatusOK || json.Unmarshal(body, &res) != nil || len(res.Keys) != 1 || res.Keys[0].Status != StatusNew {
		t.Fatalf("binary upload: %d %s", status, body)
	}
	status, body, _ = s.do(t, "POST", "/v1/keys", "text/plain", armored)
	if status != http.StatusOK || !strings.Contains(string(body), `"status":"unchanged"`) {
		t.Fatalf("armored upload: %d %s", status, body)
	}

	status, body, _ = s.do(t, "GET", "/v1/keys/"+alice.Fingerprint(), "", nil)
	var rec map[string]any
	if status != http.StatusOK || json.Unmarshal(body, &rec) != nil {
		t.Fatalf("get: %d %s", status, body)
	}
	for _, field := range []string{"fingerprint", "key_ids", "user_ids", "emails", "emails_verified", "claims", "created", "updated", "revoked", "armored"} {
		if _, ok := rec[field]; !ok {
			t.Fatalf("record lacks %q: %s", field, body)
		}
	}
	if rec["emails_verified"] != false {
		t.Fatal("emails must be marked unverified")
	}

	for _, q := range []string{"fingerprint=" + alice.Fingerprint(), "keyid=" + persona.KeyIDString(alice.KeyID()), "email=alice%40example.org"} {
		status, body, _ := s.do(t, "GET", "/v1/keys?"+q, "", nil)
		if status != http.StatusOK || !strings.Contains(string(body), alice.Fingerprint()) {
			t.Fatalf("find %s: %d %s", q, status, body)
		}
	}
	status, body, _ = s.do(t, "GET", "/v1/keys?email=nobody%40example.org", "", nil)
	if status != http.StatusOK || string(body) != "{\"keys\":[]}\n" {
		t.Fatalf("find nothing: %d %q", status, body)
	}
	for _, c := range []struct{ path, code string }{
		{"/v1/keys", api.CodeBadRequest},
		{"/v1/keys?email=a%40b.c&keyid=0123456789ABCDEF", api.CodeBadRequest},
		{"/v1/keys?handle=alice", api.CodeBadRequest},
		{"/v1/keys/nothex", api.CodeBadRequest},
	} {
		status, body, _ := s.do(t, "GET", c.path, "", nil)
		wantError(t, c.path, status, body, http.StatusBadRequest, c.code)
	}
	status, body, _ = s.do(t, "GET", "/v1/keys/"+strings.Repeat("0", 40), "", nil)
	wantError(t, "unknown key", status, body, http.StatusNotFound, api.CodeNotFound)
}

func TestBadInputs(t *testing.T) {
	s := newServer(t, Options{})
	alice := newPersona(t, "Alice", "alice@example.org")
	secret, err := alice.ArmoredSecretKey()
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	if err := alice.PublicKey(&pub); err != nil {
		t.Fatal(err)
	}
	noSigs := dropPackets(pub.Bytes(), 2)
	forged := forgeSignatures(t, pub.Bytes())

	cases := []struct {
		name   string
		body   []byte
		status int
		code   string
		kind   error
	}{
		{"garbage", []byte("hello, this is not a key"), 400, api.CodeNotOpenPGP, ErrNotOpenPGP},
		{"binary garbage", []byte{0x99, 0x01, 0x02, 0xff, 0x00}, 400, api.CodeNotOpenPGP, ErrNotOpenPGP},
		{"empty", nil, 400, api.CodeNotOpenPGP, ErrNotOpenPGP},
		{"armored message", []byte("-----BEGIN PGP MESSAGE-----\n\nwcBMA0ZQ\n=AAAA\n-----END PGP MESSAGE-----\n"), 400, api.CodeNotOpenPGP, ErrNotOpenPGP},
		{"secret key", secret, 422, api.CodeBadKey, ErrSecretKey},
		{"secret key, binary", dearmorT(t, secret), 422, api.CodeBadKey, ErrSecretKey},
		{"secret key after a public key", append(append([]byte{}, publicKey(t, newPersona(t, "Bob", "bob@example.org"))...), secret...), 422, api.CodeBadKey, ErrSecretKey},
		{"no self-signature", noSigs, 422, api.CodeBadKey, ErrBadKey},
		{"forged self-signatures", forged, 422, api.CodeBadKey, ErrBadKey},
		{"oversize", bytes.Repeat([]byte{'A'}, DefaultMaxKeySize+1), 413, api.CodeTooLarge, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Submit(ctx, c.body)
			wantAPIError(t, c.name, err, c.kind, c.status, c.code)
			status, body, _ := s.do(t, "POST", "/v1/keys", "application/pgp-keys", c.body)
			wantError(t, c.name, status, body, c.status, c.code)
		})
	}
	// Nothing of the refused uploads was stored.
	if n, _ := s.count(ctx); n != 0 {
		t.Fatalf("%d keys stored from refused uploads", n)
	}
	// A body over the cap is refused by the HTTP layer too (HKP and VKS).
	big := bytes.Repeat([]byte{'A'}, 5*DefaultMaxKeySize)
	status, body, _ := s.do(t, "POST", "/pks/add", "application/x-www-form-urlencoded", append([]byte("keytext="), big...))
	wantError(t, "hkp oversize", status, body, 413, api.CodeTooLarge)
	status, body, _ = s.do(t, "POST", "/vks/v1/upload", "application/json", big)
	wantError(t, "vks oversize", status, body, 413, api.CodeTooLarge)

	// A secret key upload is refused over every protocol.
	status, body, _ = s.do(t, "POST", "/pks/add", "application/x-www-form-urlencoded", []byte("keytext="+urlQuery(string(secret))))
	wantError(t, "hkp secret", status, body, 422, api.CodeBadKey)
	vks, _ := json.Marshal(map[string]string{"keytext": string(secret)})
	status, body, _ = s.do(t, "POST", "/vks/v1/upload", "application/json", vks)
	wantError(t, "vks secret", status, body, 422, api.CodeBadKey)
	if n, _ := s.count(ctx); n != 0 {
		t.Fatalf("%d keys stored from refused uploads", n)
	}
}

// dropPackets removes every top-level packet with this tag.
func dropPackets(bin []byte, tag int) []byte {
	var out []byte
	rest := bin
	for len(rest) > 0 {
		tg, next, ok := pgppacket.Next(rest)
		if !ok {
			break
		}
		if tg != tag {
			out = append(out, rest[:len(rest)-len(next)]...)
		}
		rest = next
	}
	return out
}

// forgeSignatures flips a bit in the last byte of every signature packet,
// so each still parses but none verifies.
func forgeSignatures(t *testing.T, bin []byte) []byte {
	t.Helper()
	out := bytes.Clone(bin)
	rest := out
	for len(rest) > 0 {
		tag, next, ok := pgppacket.Next(rest)
		if !ok {
			t.Fatal("bad framing")
		}
		if tag == 2 {
			pkt := rest[:len(rest)-len(next)]
			pkt[len(pkt)-1] ^= 0x01
		}
		rest = next
	}
	return out
}

func dearmorT(t *testing.T, armored []byte) []byte {
	t.Helper()
	block, err := armor.Decode(bytes.NewReader(armored))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := io.ReadAll(block.Body)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestThirdPartyCertificationStripped(t *testing.T) {
	d := newDir(t, Options{})
	alice := newPersona(t, "Alice", "alice@example.org")
	bob := newPersona(t, "Bob", "bob@example.org")
	uid := alice.UserID()
	if err := alice.Entity().SignIdentity(uid, bob.Entity(), nil); err != nil {
		t.Fatal(err)
	}
	if n := len(alice.Entity().Identities[uid].OtherCertifications); n != 1 {
		t.Fatalf("setup: %d certifications", n)
	}
	fpr := submitOne(t, d, serializeEntity(t, alice.Entity()), StatusNew)
	cert := storedCert(t, d, fpr)
	checkClean(t, cert)
	if bytes.Contains(cert, bob.Entity().PrimaryKey.Fingerprint) {
		t.Fatal("stored key still mentions the certifier")
	}
}

func TestForeignUserIDDropped(t *testing.T) {
	// Mallory splices Alice's user ID and its self-signature after her own
	// key: the signature is over Alice's key, so it does not verify on
	// Mallory's, and the user ID is dropped.
	d := newDir(t, Options{})
	alice := newPersona(t, "Alice", "alice@example.org")
	mallory := newPersona(t, "Mallory", "mallory@example.org")
	a := serializeEntity(t, alice.Entity())
	m := serializeEntity(t, mallory.Entity())
	var spliced []byte
	tag, rest, _ := pgppacket.Next(m)
	if tag != 6 {
		t.Fatal("setup")
	}
	spliced = append(spliced, m[:len(m)-len(rest)]...)
	// Alice's user ID packet and the signature after it.
	r := a
	for len(r) > 0 {
		tg, next, _ := pgppacket.Next(r)
		if tg == 13 {
			_, after, _ := pgppacket.Next(next)
			spliced = append(spliced, r[:len(r)-len(after)]...)
			break
		}
		r = next
	}
	spliced = append(spliced, rest...)
	fpr := submitOne(t, d, spliced, StatusNew)
	rec, _ := d.Get(ctx, fpr)
	if slices.Contains(rec.Emails, "alice@example.org") || len(rec.UserIDs) != 1 {
		t.Fatalf("a foreign user ID was kept: %v", rec.UserIDs)
	}
	if recs, _ := d.Lookup(ctx, Query{Email: "alice@example.org"}); len(recs) != 0 {
		t.Fatal("the foreign address is indexed")
	}
}

func TestMultiKeyUpload(t *testing.T) {
	d := newDir(t, Options{})
	a := newPersona(t, "A", "a@example.org")
	b := newPersona(t, "B", "b@example.org")
	var bad bytes.Buffer
	if err := newPersona(t, "C", "c@example.org").PublicKey(&bad); err != nil {
		t.Fatal(err)
	}
	// Two armored blocks, and a binary keyring with a bad key in it.
	res, err := d.Submit(ctx, append(publicKey(t, a), publicKey(t, b)...))
	if err != nil || len(res.Keys) != 2 {
		t.Fatalf("two blocks: %v %+v", err, res)
	}
	ring := append(serializeEntity(t, a.Entity()), forgeSignatures(t, bad.Bytes())...)
	res, err = d.Submit(ctx, ring)
	if err != nil || len(res.Keys) != 1 || res.Keys[0].Status != StatusUnchanged || len(res.Rejected) != 1 {
		t.Fatalf("keyring with a bad key: %v %+v", err, res)
	}
	// VKS takes one key at a time.
	s := newServer(t, Options{})
	body, _ := json.Marshal(map[string]string{"keytext": string(append(publicKey(t, a), publicKey(t, b)...))})
	status, out, _ := s.do(t, "POST", "/vks/v1/upload", "application/json", body)
	wantError(t, "vks two keys", status, out, 400, api.CodeBadRequest)
}

func TestDurable(t *testing.T) {
	dir := t.TempDir()
	alice := newPersona(t, "Alice", "alice@example.org", persona.Claim{Site: "twitter", Handle: "alice"})
	{
		ds := openStore(t, dir)
		d, err := New(ds, Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		submitOne(t, d, publicKey(t, alice), StatusNew)
		ds.Close()
	}
	ds := openStore(t, dir)
	d, err := New(ds, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if got := metricValue(t, d.metrics.keys); got != 1 {
		t.Fatalf("keys after reopening: %v", got)
	}
	for _, q := range []Query{{Fingerprint: alice.Fingerprint()}, {Email: "alice@example.org"}, {Site: "twitter", Handle: "alice"}} {
		if recs, err := d.Lookup(ctx, q); err != nil || len(recs) != 1 {
			t.Fatalf("%+v after reopening: %v %d", q, err, len(recs))
		}
	}
	// The layout is namespaced.
	if _, err := ds.Get(ctx, datastore.NewKey("/directory/keys/"+alice.Fingerprint())); err != nil {
		t.Fatal(err)
	}
}

func TestCacheEviction(t *testing.T) {
	d := newDir(t, Options{CacheSize: 2})
	var fprs []string
	for range 5 {
		p := newPersona(t, "P", "p@example.org")
		fprs = append(fprs, submitOne(t, d, publicKey(t, p), StatusNew))
	}
	slices.Sort(fprs)
	if n := len(d.cache.m); n > 2 {
		t.Fatalf("cache holds %d entries", n)
	}
	recs, err := d.Lookup(ctx, Query{Email: "p@example.org"})
	if err != nil || len(recs) != 5 {
		t.Fatalf("lookup: %v %d", err, len(recs))
	}
	for i, r := range recs {
		if r.Fingerprint != fprs[i] {
			t.Fatalf("record %d is %s, want %s", i, r.Fingerprint, fprs[i])
		}
	}
}

func TestZBase32(t *testing.T) {
	// Test vectors from the z-base-32 description and the WKD draft.
	for _, c := range []struct {
		in   []byte
		want string
	}{
		{nil, ""},
		{[]byte{0x00}, "yy"},
		{[]byte{0xf0, 0xbf, 0xc7}, "6n9hq"},
		{[]byte{0xd4, 0x7a, 0x04}, "4t7ye"},
	} {
		if got := zbase32(c.in); got != c.want {
			t.Errorf("zbase32(%x) = %q, want %q", c.in, got, c.want)
		}
	}
	// draft-koch-openpgp-webkey-service: "Joe.Doe" → iy9q119eutrkn8s1mk4r39qejnbu3n5q
	sum := sha1.Sum([]byte("joe.doe"))
	if got := zbase32(sum[:]); got != "iy9q119eutrkn8s1mk4r39qejnbu3n5q" {
		t.Errorf("WKD hash of Joe.Doe = %q", got)
	}
	if wkdHash("Joe.Doe") != "iy9q119eutrkn8s1mk4r39qejnbu3n5q" {
		t.Error("wkdHash does not lower-case")
	}
}

func TestVKSAndWKDRoutes(t *testing.T) {
	s := newServer(t, Options{})
	alice := newPersona(t, "Alice", "Alice@Example.org")
	if err := alice.Entity().AddUserId("Alice", "", "alice@other.example", nil); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"keytext": string(publicKey(t, alice))})
	status, out, _ := s.do(t, "POST", "/vks/v1/upload", "application/json", body)
	var up vksUploadResponse
	if status != http.StatusOK || json.Unmarshal(out, &up) != nil {
		t.Fatalf("vks upload: %d %s", status, out)
	}
	if up.KeyFpr != alice.Fingerprint() || up.Status["alice@example.org"] != "published" || up.Token == "" {
		t.Fatalf("vks upload answer %+v", up)
	}
	verify, _ := json.Marshal(map[string]any{"token": up.Token, "addresses": []string{"alice@example.org"}})
	status, out, _ = s.do(t, "POST", "/vks/v1/request-verify", "application/json", verify)
	if status != http.StatusOK || !strings.Contains(string(out), alice.Fingerprint()) {
		t.Fatalf("request-verify: %d %s", status, out)
	}
	for _, path := range []string{
		"/vks/v1/by-fingerprint/" + alice.Fingerprint(),
		"/vks/v1/by-keyid/" + persona.KeyIDString(alice.KeyID()),
		"/vks/v1/by-email/alice%40example.org",
		"/vks/v1/by-email/Alice@Example.org",
	} {
		status, out, ctype := s.do(t, "GET", path, "", nil)
		if status != http.StatusOK || ctype != "application/pgp-keys" {
			t.Fatalf("%s: %d %s %s", path, status, ctype, out)
		}
		if persona.Fingerprint(readArmored(t, string(out))) != alice.Fingerprint() {
			t.Fatalf("%s: wrong key", path)
		}
	}
	status, out, _ = s.do(t, "GET", "/vks/v1/by-email/nobody%40example.org", "", nil)
	wantError(t, "vks unknown", status, out, 404, api.CodeNotFound)

	// WKD, both methods: only the user ID of the address asked for.
	hash := wkdHash("alice")
	for _, path := range []string{
		"/.well-known/openpgpkey/example.org/hu/" + hash + "?l=Alice",
		"/.well-known/openpgpkey/example.org/hu/" + hash,
	} {
		status, out, ctype := s.do(t, "GET", path, "", nil)
		if status != http.StatusOK || ctype != "application/octet-stream" {
			t.Fatalf("%s: %d %s %s", path, status, ctype, out)
		}
		el, err := openpgp.ReadKeyRing(bytes.NewReader(out))
		if err != nil || len(el) != 1 {
			t.Fatalf("%s: %v", path, err)
		}
		if len(el[0].Identities) != 1 || len(el[0].Subkeys) != 1 {
			t.Fatalf("%s: %d user IDs, %d subkeys", path, len(el[0].Identities), len(el[0].Subkeys))
		}
		for _, id := range el[0].Identities {
			if id.UserId.Email != "Alice@Example.org" {
				t.Fatalf("%s: served user ID %q", path, id.Name)
			}
		}
	}
	// The direct method takes the domain from the Host header.
	req, _ := http.NewRequest("GET", s.URL+"/.well-known/openpgpkey/hu/"+wkdHash("alice")+"?l=alice", nil)
	req.Host = "other.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("direct WKD: %d", resp.StatusCode)
	}
	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{"/.well-known/openpgpkey/example.org/hu/" + wkdHash("bob") + "?l=bob", 404, api.CodeNotFound},
		{"/.well-known/openpgpkey/example.org/hu/" + hash + "?l=bob", 400, api.CodeBadRequest},
		{"/.well-known/openpgpkey/example.org/hu/short", 400, api.CodeBadRequest},
		{"/.well-known/openpgpkey/elsewhere.example/hu/" + hash, 404, api.CodeNotFound},
	} {
		status, out, _ := s.do(t, "GET", c.path, "", nil)
		wantError(t, c.path, status, out, c.status, c.code)
	}
	for _, path := range []string{"/.well-known/openpgpkey/policy", "/.well-known/openpgpkey/example.org/policy"} {
		status, out, _ := s.do(t, "GET", path, "", nil)
		if status != http.StatusOK || len(out) != 0 {
			t.Fatalf("%s: %d %q", path, status, out)
		}
	}
	// WKDDomains limits which domains are answered.
	limited := newServer(t, Options{WKDDomains: []string{"example.net"}})
	if _, err := limited.Submit(ctx, publicKey(t, alice)); err != nil {
		t.Fatal(err)
	}
	status, out, _ = limited.do(t, "GET", "/.well-known/openpgpkey/example.org/hu/"+hash, "", nil)
	wantError(t, "WKD outside WKDDomains", status, out, 404, api.CodeNotFound)
}

func TestHKPRoutes(t *testing.T) {
	s := newServer(t, Options{})
	alice := newPersona(t, "Alice: the first", "alice@example.org")
	status, out, _ := s.do(t, "POST", "/pks/add", "application/x-www-form-urlencoded", []byte("keytext="+urlQuery(string(publicKey(t, alice)))))
	if status != http.StatusOK {
		t.Fatalf("pks/add: %d %s", status, out)
	}
	for _, search := range []string{"0x" + alice.Fingerprint(), "0x" + persona.KeyIDString(alice.KeyID()), "alice@example.org", "Alice <alice@example.org>"} {
		status, out, ctype := s.do(t, "GET", "/pks/lookup?op=get&options=mr&search="+urlQuery(search), "", nil)
		if status != http.StatusOK || ctype != "application/pgp-keys" {
			t.Fatalf("get %q: %d %s", search, status, out)
		}
		if persona.Fingerprint(readArmored(t, string(out))) != alice.Fingerprint() {
			t.Fatalf("get %q: wrong key", search)
		}
	}
	status, out, ctype := s.do(t, "GET", "/pks/lookup?op=index&options=mr&search=alice%40example.org", "", nil)
	if status != http.StatusOK || !strings.HasPrefix(ctype, "text/plain") {
		t.Fatalf("index: %d %s", status, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	created := alice.Created().Unix()
	want := []string{
		"info:1:1",
		"pub:" + alice.Fingerprint() + ":22:255:" + itoa(created) + "::",
		"uid:Alice%3A the first <alice@example.org>:",
	}
	if len(lines) != 3 || lines[0] != want[0] || lines[1] != want[1] || !strings.HasPrefix(lines[2], want[2]) {
		t.Fatalf("mr index:\n%s\nwant lines starting\n%s", out, strings.Join(want, "\n"))
	}
	status, out, _ = s.do(t, "GET", "/pks/lookup?op=vindex&search=alice%40example.org", "", nil)
	if status != http.StatusOK || !strings.Contains(string(out), alice.Fingerprint()) || !strings.Contains(string(out), "Alice: the first &lt;alice@example.org&gt;") {
		t.Fatalf("html vindex: %d %s", status, out)
	}
	for _, c := range []struct {
		query  string
		status int
		code   string
	}{
		{"op=get&search=nobody%40example.org", 404, api.CodeNotFound},
		{"op=index&options=mr&search=0x0123456789ABCDEF", 404, api.CodeNotFound},
		{"op=get&search=Alice", 404, api.CodeNotFound},
		{"op=get&search=0xDEADBEEF", 400, api.CodeBadRequest},
		{"op=get", 400, api.CodeBadRequest},
		{"op=stats&search=x", 501, api.CodeBadRequest},
	} {
		status, out, _ := s.do(t, "GET", "/pks/lookup?"+c.query, "", nil)
		wantError(t, c.query, status, out, c.status, c.code)
	}
	status, out, _ = s.do(t, "POST", "/pks/add", "application/x-www-form-urlencoded", []byte("other=1"))
	wantError(t, "pks/add without keytext", status, out, 400, api.CodeBadRequest)
}

func TestConcurrentSubmitAndLookup(t *testing.T) {
	var (
		mu      sync.Mutex
		updates = map[string]int{}
	)
	d := newDir(t, Options{OnUpdate: func(_ context.Context, fpr string) {
		mu.Lock()
		updates[fpr]++
		mu.Unlock()
	}})
	shared := newPersona(t, "Shared", "shared@example.org")
	sharedKey := publicKey(t, shared)
	keys := make([][]byte, 8)
	for i := range keys {
		keys[i] = publicKey(t, newPersona(t, "Writer", "writer@example.org"))
	}
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for _, k := range [][]byte{keys[i], sharedKey} {
				if _, err := d.Submit(ctx, k); err != nil {
					t.Error(err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 20 {
				if _, err := d.Lookup(ctx, Query{Email: "writer@example.org"}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	recs, err := d.Lookup(ctx, Query{Email: "writer@example.org"})
	if err != nil || len(recs) != len(keys) {
		t.Fatalf("lookup: %v %d", err, len(recs))
	}
	if updates[shared.Fingerprint()] != 1 {
		t.Fatalf("the shared key was announced %d times", updates[shared.Fingerprint()])
	}
}

// TestRefreshOnMiss: a lookup that finds nothing calls Refresh and looks
// again, so a directory shared by several processes can catch up first;
// a hit does not call it.
func TestRefreshOnMiss(t *testing.T) {
	alice := newPersona(t, "Alice", "alice@example.org", persona.Claim{Site: "twitter", Handle: "alice"})
	var d *Directory
	refreshed := 0
	d = newDir(t, Options{Refresh: func(ctx context.Context) {
		refreshed++
		if _, err := d.Submit(ctx, publicKey(t, alice)); err != nil {
			t.Error(err)
		}
	}})
	rec, err := d.Get(ctx, alice.Fingerprint())
	if err != nil || rec.Fingerprint != alice.Fingerprint() || refreshed != 1 {
		t.Fatalf("Get after refresh: %v, %d refreshes", err, refreshed)
	}
	recs, err := d.Lookup(ctx, Query{Site: "twitter", Handle: "alice"})
	if err != nil || len(recs) != 1 || refreshed != 1 {
		t.Fatalf("Lookup of a known key: %d records, %v, %d refreshes", len(recs), err, refreshed)
	}
	recs, err = d.Lookup(ctx, Query{Email: "nobody@example.org"})
	if err != nil || len(recs) != 0 || refreshed != 2 {
		t.Fatalf("Lookup of an unknown address: %d records, %v, %d refreshes", len(recs), err, refreshed)
	}
}
