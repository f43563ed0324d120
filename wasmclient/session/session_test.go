//go:build !js

package session_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/internal/relaytest"
	"github.com/veilsocial/veil/relay"
	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/payload"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/post"
	"github.com/veilsocial/veil/wasmclient/relayclient"
	"github.com/veilsocial/veil/wasmclient/session"
)

func startRelay(t *testing.T) string {
	t.Helper()
	return relaytest.Start(t, relay.Config{}).URL()
}

func newSession(t *testing.T, relayURL string) *session.Session {
	t.Helper()
	s, err := session.New(session.Config{Storage: persona.NewMemStorage(), Relay: relayURL})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// must fails the test on err, else returns v: must(f())(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// wantCode checks that err has the stable code want.
func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := session.Code(err); got != want {
		t.Errorf("%s: code %q (%v), want %q", what, got, err, want)
	}
}

// TestSession walks Alice, Bob and Carol through what the extension does:
// personas, keys through the directory, a post, a share, a proof, a backup.
func TestSession(t *testing.T) {
	url := startRelay(t)
	ctx := t.Context()
	alice, bob, carol := newSession(t, url), newSession(t, url), newSession(t, url)
	twitterAlice := &persona.Claim{Site: "twitter", Handle: "alice"}

	a := must(alice.CreatePersona(ctx, session.CreatePersonaRequest{Name: "Alice", Email: "alice@example.org", Handles: []persona.Claim{*twitterAlice}}))(t)
	b := must(bob.CreatePersona(ctx, session.CreatePersonaRequest{Name: "Bob", Email: "bob@example.org", Passphrase: "bob's secret", Profile: "v6"}))(t)
	c := must(carol.CreatePersona(ctx, session.CreatePersonaRequest{Name: "Carol"}))(t)
	if a.Profile != "v4" || a.Locked || len(a.Handles) != 1 || b.Profile != "v6" || b.Locked || c.Email != "" || a.Protected || !b.Protected {
		t.Errorf("personas %+v %+v %+v", a, b, c)
	}
	for _, s := range []*session.Session{alice, bob, carol} {
		ps := must(s.ListPersonas(ctx))(t)
		if len(ps) != 1 {
			t.Fatalf("personas: %+v", ps)
		}
		if err := s.PublishKey(ctx, ps[0].Fingerprint); err != nil {
			t.Fatal(err)
		}
	}

	// Bob finds Alice by handle, Carol by email; Alice finds both.
	keys := must(bob.ResolveKeys(ctx, session.KeyQuery{Handle: twitterAlice}))(t)
	if len(keys) != 1 || keys[0].Fingerprint != a.Fingerprint || keys[0].Name != "Alice" || len(keys[0].Handles) != 1 {
		t.Fatalf("resolve by handle: %+v", keys)
	}
	must(bob.AddContact(ctx, keys[0].Armored, twitterAlice))(t)
	keys = must(carol.ResolveKeys(ctx, session.KeyQuery{Email: "alice@example.org"}))(t)
	must(carol.AddContact(ctx, keys[0].Armored, nil))(t)
	for _, fpr := range []string{b.Fingerprint, c.Fingerprint} {
		keys = must(alice.ResolveKeys(ctx, session.KeyQuery{Fingerprint: strings.ToLower(fpr)}))(t)
		must(alice.AddContact(ctx, keys[0].Armored, nil))(t)
	}
	if keys := must(alice.ResolveKeys(ctx, session.KeyQuery{Email: "nobody@example.org"}))(t); len(keys) != 0 {
		t.Errorf("nobody's keys: %+v", keys)
	}
	_, err := alice.ResolveKeys(ctx, session.KeyQuery{Email: "bob@example.org", Fingerprint: b.Fingerprint})
	wantCode(t, "two queries", err, session.CodeBadInput)

	// Alice posts to Bob.
	res := must(alice.Compose(ctx, session.ComposeRequest{Author: a.Fingerprint, Text: "hello bob", Audience: "contacts", To: []string{b.Fingerprint}, Site: "twitter", Handle: "alice"}))(t)
	if !strings.HasPrefix(res.FeedText, payload.Marker) || !strings.HasSuffix(res.Link, res.CID) {
		t.Fatalf("composed %+v", res)
	}
	found := bob.FindPayloads("Alice @alice · 2h\n" + res.FeedText + "\nand " + res.Link[:len(res.Link)-8] + "…\n" + payload.Marker + " https://t.co/AbC123")
	if len(found) != 1 || found[0] != res.Link {
		t.Fatalf("FindPayloads: %q", found)
	}
	r := must(bob.Read(ctx, found[0]))(t)
	if r.Status != "ok" || r.Text != "hello bob" || r.CID != res.CID || r.Public || !sameSet(r.Audience, b.Fingerprint, a.Fingerprint) ||
		r.Author == nil || r.Author.Status != "good" || r.Author.Fingerprint != a.Fingerprint || r.Author.Name != "Alice" || r.Author.Verified {
		t.Errorf("bob reads %+v %+v", r, r.Author)
	}
	// Locked, Bob's key cannot open it.
	if err := bob.Lock(ctx, b.Fingerprint); err != nil {
		t.Fatal(err)
	}
	if ps := must(bob.ListPersonas(ctx))(t); !ps[0].Locked {
		t.Errorf("locked persona listed as %+v", ps[0])
	}
	if r := must(bob.Read(ctx, res.Link))(t); r.Status != "key-unavailable" || r.Text != "" || len(r.Audience) != 2 {
		t.Errorf("bob reads while locked: %+v", r)
	}
	_, err = bob.Compose(ctx, session.ComposeRequest{Author: b.Fingerprint, Text: "x", Audience: "self"})
	wantCode(t, "compose while locked", err, session.CodeLocked)
	wantCode(t, "wrong passphrase", bob.Unlock(ctx, b.Fingerprint, "guess"), session.CodeWrongPassphrase)
	if err := bob.Unlock(ctx, b.Fingerprint, "bob's secret"); err != nil {
		t.Fatal(err)
	}
	if r := must(bob.Read(ctx, res.Link))(t); r.Status != "ok" {
		t.Errorf("bob reads after unlocking: %+v", r)
	}

	// Carol cannot read it until Alice adds her; Bob cannot add anyone.
	// Carol knows Alice's key, not Bob's: his is named by its key ID.
	if r := must(carol.Read(ctx, res.FeedText))(t); r.Status != "not-for-you" || r.CID != res.CID || len(r.Audience) != 2 ||
		!slices.Contains(r.Audience, a.Fingerprint) || slices.Contains(r.Audience, b.Fingerprint) || r.Message == "" {
		t.Errorf("carol reads %+v", r)
	}
	must(bob.AddContact(ctx, must(alice.ExportPublicKey(ctx, c.Fingerprint))(t), nil))(t)
	_, err = bob.AddRecipients(ctx, res.CID, b.Fingerprint, []string{c.Fingerprint})
	wantCode(t, "bob adds carol", err, session.CodeBadInput)
	if !errors.Is(err, post.ErrNotAuthor) {
		t.Errorf("bob adds carol: %v", err)
	}
	sh := must(alice.AddRecipients(ctx, res.CID, a.Fingerprint, []string{c.Fingerprint}))(t)
	if sh.Index != 0 {
		t.Errorf("share index %d", sh.Index)
	}
	if r := must(carol.Read(ctx, res.Link))(t); r.Status != "ok" || r.Text != "hello bob" || len(r.Audience) != 3 || r.Author.Status != "good" {
		t.Errorf("carol after the share: %+v", r)
	}

	// A public post; a post only for oneself.
	pub := must(alice.Compose(ctx, session.ComposeRequest{Author: a.Fingerprint, Text: "hello world", Audience: "public"}))(t)
	if r := must(newSession(t, url).Read(ctx, pub.FeedText))(t); r.Status != "ok" || !r.Public || r.Author.Status != "unknown-key" || r.Author.Fingerprint != a.Fingerprint {
		t.Errorf("a stranger reads the public post: %+v %+v", r, r.Author)
	}
	_, err = alice.AddRecipients(ctx, pub.Link, a.Fingerprint, []string{b.Fingerprint})
	wantCode(t, "share of a public post", err, session.CodeBadInput)
	self := must(alice.Compose(ctx, session.ComposeRequest{Author: a.Fingerprint, Text: "note to self", Audience: "self", Inline: true}))(t)
	if r := must(bob.Read(ctx, self.Link))(t); r.Status != "not-for-you" {
		t.Errorf("bob reads alice's note: %+v", r)
	}
	if r := must(alice.Read(ctx, self.Link))(t); r.Status != "ok" || !sameSet(r.Audience, a.Fingerprint) {
		t.Errorf("alice reads her note: %+v", r)
	}
	hidden := must(alice.Compose(ctx, session.ComposeRequest{Author: a.Fingerprint, Text: "quiet", Audience: "contacts", To: []string{b.Fingerprint}, Hidden: true}))(t)
	if r := must(bob.Read(ctx, hidden.Link))(t); r.Status != "ok" || !sameSet(r.Audience, "hidden", "hidden") {
		t.Errorf("bob reads a post with hidden recipients: %+v", r)
	}
	for what, req := range map[string]session.ComposeRequest{
		"no recipients":       {Author: a.Fingerprint, Text: "x", Audience: "contacts"},
		"public with to":      {Author: a.Fingerprint, Text: "x", Audience: "public", To: []string{b.Fingerprint}},
		"unknown audience":    {Author: a.Fingerprint, Text: "x", Audience: "friends"},
		"author not a fpr":    {Author: "alice", Text: "x", Audience: "self"},
		"public and hidden":   {Author: a.Fingerprint, Text: "x", Audience: "public", Hidden: true},
		"unknown recipient":   {Author: a.Fingerprint, Text: "x", Audience: "contacts", To: []string{strings.Repeat("A", 40)}},
		"recipient not a fpr": {Author: a.Fingerprint, Text: "x", Audience: "contacts", To: []string{"bob"}},
	} {
		_, err := alice.Compose(ctx, req)
		want := session.CodeBadInput
		if what == "unknown recipient" {
			want = session.CodeNotFound
		}
		wantCode(t, what, err, want)
	}

	// A post the relay does not have; not a payload at all.
	if r := must(bob.Read(ctx, relayclient.BlobCID([]byte("gone")).String()))(t); r.Status != "not-found" {
		t.Errorf("a post the relay does not have: %+v", r)
	}
	_, err = bob.Read(ctx, "hello")
	wantCode(t, "read of no payload", err, session.CodeBadInput)

	// Bob's profile links Alice's key: a proof, and Alice's contact is
	// verified now.
	bio := "Alice. Keys: openpgp4fpr:" + strings.ToLower(a.Fingerprint)
	if ok := must(bob.CheckProof(ctx, "no proof here", a.Fingerprint, twitterAlice))(t); ok {
		t.Error("a bio without a proof proves")
	}
	if ok := must(bob.CheckProof(ctx, bio, a.Fingerprint, twitterAlice))(t); !ok {
		t.Error("the proof was not found")
	}
	cs := must(bob.ListContacts(ctx))(t)
	var aliceContact *session.ContactInfo
	for _, c := range cs {
		if c.Fingerprint == a.Fingerprint {
			aliceContact = c
		}
	}
	if aliceContact == nil || aliceContact.Verified != "proof" || aliceContact.Name != "Alice" || len(aliceContact.Handles) != 1 {
		t.Fatalf("alice as bob's contact: %+v", aliceContact)
	}
	if r := must(bob.Read(ctx, res.Link))(t); !r.Author.Verified {
		t.Errorf("a verified author: %+v", r.Author)
	}

	// Bob's backup restores into a new session; his persona stays
	// protected.
	backup := must(bob.Backup(ctx, "backup pass"))(t)
	other := newSession(t, url)
	_, err = other.Restore(ctx, backup, "wrong")
	wantCode(t, "restore with a wrong passphrase", err, session.CodeWrongPassphrase)
	rr := must(other.Restore(ctx, backup, "backup pass"))(t)
	if rr.Personas != 1 || rr.Contacts != 2 {
		t.Errorf("restored %+v", rr)
	}
	if ps := must(other.ListPersonas(ctx))(t); len(ps) != 1 || !ps[0].Locked || ps[0].Fingerprint != b.Fingerprint {
		t.Errorf("restored personas %+v", ps)
	}
	if err := other.Unlock(ctx, b.Fingerprint, "bob's secret"); err != nil {
		t.Fatal(err)
	}
	if r := must(other.Read(ctx, res.Link))(t); r.Status != "ok" || !r.Author.Verified {
		t.Errorf("restored bob reads %+v", r)
	}
	_, err = other.Restore(ctx, []byte("not a backup"), "x")
	wantCode(t, "restore of garbage", err, session.CodeCorrupt)

	// Removing a contact; the wallet binding of a key without one.
	if err := bob.RemoveContact(ctx, c.Fingerprint); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "removing twice", bob.RemoveContact(ctx, c.Fingerprint), session.CodeNotFound)
	if w := must(alice.WalletBinding(ctx, a.Fingerprint))(t); w.Address != "" {
		t.Errorf("wallet %+v", w)
	}
}

// TestImportPersona: a protected secret key from elsewhere, unlocked at once
// or later.
func TestImportPersona(t *testing.T) {
	ctx := t.Context()
	p, err := persona.New(persona.Options{Name: "Dave", Passphrase: []byte("pw")})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetWallet(persona.WalletBinding{Account: "eip155:1:0x00000000000000000000000000000000000000aa"}); !errors.Is(err, persona.ErrLocked) {
		t.Fatalf("SetWallet on a locked key: %v", err)
	}
	if err := p.Unlock([]byte("pw")); err != nil {
		t.Fatal(err)
	}
	if err := p.SetWallet(persona.WalletBinding{Account: "eip155:1:0x00000000000000000000000000000000000000aa"}); err != nil {
		t.Fatal(err)
	}
	if err := p.Protect([]byte("pw")); err != nil {
		t.Fatal(err)
	}
	armored := string(must(p.ArmoredSecretKey())(t))

	s := newSession(t, "http://127.0.0.1:1")
	_, err = s.ImportPersona(ctx, armored, "nope")
	wantCode(t, "import with a wrong passphrase", err, session.CodeWrongPassphrase)
	info := must(s.ImportPersona(ctx, armored, ""))(t)
	if !info.Locked || info.Name != "Dave" {
		t.Errorf("imported %+v", info)
	}
	_, err = s.Compose(ctx, session.ComposeRequest{Author: info.Fingerprint, Text: "x", Audience: "self"})
	wantCode(t, "compose as a locked import", err, session.CodeLocked)
	info = must(s.ImportPersona(ctx, armored, "pw"))(t)
	if info.Locked {
		t.Errorf("imported with its passphrase: %+v", info)
	}
	// The relay is down.
	_, err = s.Compose(ctx, session.ComposeRequest{Author: info.Fingerprint, Text: "x", Audience: "self"})
	wantCode(t, "compose to a relay that is down", err, session.CodeRelayUnreachable)
	if w := must(s.WalletBinding(ctx, info.Fingerprint))(t); w.Address != "0x00000000000000000000000000000000000000aa" {
		t.Errorf("wallet %+v", w)
	}
	pub := must(s.ExportPublicKey(ctx, info.Fingerprint))(t)
	if !strings.Contains(pub, "PUBLIC KEY") || strings.Contains(pub, "PRIVATE") {
		t.Errorf("exported %q", pub)
	}
	_, err = s.ImportPersona(ctx, pub, "")
	wantCode(t, "import of a public key", err, session.CodeBadInput)
	_, err = s.ImportPersona(ctx, "junk", "")
	wantCode(t, "import of junk", err, session.CodeCorrupt)
}

// TestSealOpen: seal and open do what compose and read do, with the message
// in hand and no relay; a sealed message a relay stores reads the same.
func TestSealOpen(t *testing.T) {
	ctx := t.Context()
	const down = "http://127.0.0.1:1" // neither method may need a relay
	alice, bob, carol := newSession(t, down), newSession(t, down), newSession(t, down)
	a := must(alice.CreatePersona(ctx, session.CreatePersonaRequest{Name: "Alice"}))(t)
	bp := must(persona.New(persona.Options{Name: "Bob", Passphrase: []byte("pw")}))(t)
	bobSecret := string(must(bp.ArmoredSecretKey())(t))
	b := must(bob.ImportPersona(ctx, bobSecret, "pw"))(t)
	must(carol.CreatePersona(ctx, session.CreatePersonaRequest{Name: "Carol"}))(t)
	must(alice.AddContact(ctx, must(bob.ExportPublicKey(ctx, b.Fingerprint))(t), nil))(t)
	must(bob.AddContact(ctx, must(alice.ExportPublicKey(ctx, a.Fingerprint))(t), nil))(t)

	msg := must(alice.Seal(ctx, session.ComposeRequest{Author: a.Fingerprint, Text: "sealed for bob", Audience: "contacts",
		To: []string{b.Fingerprint}, Site: "twitter", Handle: "@alice", Inline: true}))(t)
	cid := relayclient.BlobCID(msg).String()
	r := must(bob.Open(ctx, msg))(t)
	if r.Status != "ok" || r.Text != "sealed for bob" || r.CID != cid || r.Public || !sameSet(r.Audience, a.Fingerprint, b.Fingerprint) ||
		r.Author == nil || r.Author.Status != "good" || r.Author.Fingerprint != a.Fingerprint || r.Author.Name != "Alice" || r.Created == "" {
		t.Errorf("bob opens %+v %+v", r, r.Author)
	}
	// The document is the one compose writes: the handle without its "@".
	if err := bp.Unlock([]byte("pw")); err != nil {
		t.Fatal(err)
	}
	op, err := envelope.OpenPost(bytes.NewReader(msg), &envelope.OpenOptions{Keyring: openpgp.EntityList{bp.Entity()}})
	if err != nil || op.Site != "twitter" || op.Handle != "alice" || op.Author != a.Fingerprint {
		t.Errorf("the sealed document: %+v %v", op, err)
	}
	if r := must(alice.Open(ctx, msg))(t); r.Status != "ok" || r.Text != "sealed for bob" {
		t.Errorf("alice opens her own post: %+v", r)
	}
	if r := must(carol.Open(ctx, msg))(t); r.Status != "not-for-you" || r.CID != cid || len(r.Audience) != 2 || r.Text != "" || r.Message == "" {
		t.Errorf("carol opens %+v", r)
	}
	if err := bob.Lock(ctx, b.Fingerprint); err != nil {
		t.Fatal(err)
	}
	if r := must(bob.Open(ctx, msg))(t); r.Status != "key-unavailable" {
		t.Errorf("bob opens while locked: %+v", r)
	}
	if err := bob.Unlock(ctx, b.Fingerprint, "pw"); err != nil {
		t.Fatal(err)
	}

	// Public and self posts; broken messages.
	pub := must(alice.Seal(ctx, session.ComposeRequest{Author: a.Fingerprint, Text: "hello world", Audience: "public"}))(t)
	if r := must(carol.Open(ctx, pub))(t); r.Status != "ok" || !r.Public || r.Text != "hello world" || r.Author.Status != "unknown-key" {
		t.Errorf("carol opens a public post: %+v %+v", r, r.Author)
	}
	self := must(alice.Seal(ctx, session.ComposeRequest{Author: a.Fingerprint, Text: "note", Audience: "self"}))(t)
	if r := must(bob.Open(ctx, self))(t); r.Status != "not-for-you" {
		t.Errorf("bob opens alice's note: %+v", r)
	}
	tampered := bytes.Clone(msg)
	tampered[len(tampered)-30] ^= 1
	if r := must(bob.Open(ctx, tampered))(t); r.Status == "ok" {
		t.Errorf("bob opens a tampered post: %+v", r)
	}
	if r := must(bob.Open(ctx, []byte("not a message")))(t); r.Status != "corrupt" {
		t.Errorf("bob opens junk: %+v", r)
	}
	_, err = bob.Open(ctx, nil)
	wantCode(t, "open of nothing", err, session.CodeBadInput)
	_, err = alice.Seal(ctx, session.ComposeRequest{Author: a.Fingerprint, Text: "x", Audience: "contacts"})
	wantCode(t, "seal to no one", err, session.CodeBadInput)
	_, err = bob.Seal(ctx, session.ComposeRequest{Author: a.Fingerprint, Text: "x", Audience: "self"})
	wantCode(t, "seal as a persona one does not have", err, session.CodeNotFound)

	// A relay that stores the sealed message serves what read opens the
	// same way.
	url := startRelay(t)
	c := must(relayclient.New(url))(t)
	if id := must(c.Upload(ctx, msg, relayclient.UploadOptions{}))(t); id.String() != cid {
		t.Errorf("the relay stored the message as %s, open named it %s", id, cid)
	}
	reader := newSession(t, url)
	must(reader.ImportPersona(ctx, bobSecret, "pw"))(t)
	must(reader.AddContact(ctx, must(alice.ExportPublicKey(ctx, a.Fingerprint))(t), nil))(t)
	read, opened := must(reader.Read(ctx, cid))(t), must(reader.Open(ctx, msg))(t)
	if !reflect.DeepEqual(read, opened) {
		t.Errorf("read gives %+v %+v, open gives %+v %+v", read, read.Author, opened, opened.Author)
	}
}

// sameSet reports whether got holds exactly want, in any order.
func sameSet(got []string, want ...string) bool {
	return slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
}

func TestCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&post.RelayError{Op: "x", Err: &relayclient.Error{Status: 503}}, session.CodeRelayUnreachable},
		{&post.RelayError{Op: "x", Err: &relayclient.Error{Status: 404}}, session.CodeNotFound},
		{&post.RelayError{Op: "x", Err: &relayclient.Error{Status: 429}}, session.CodeInternal},
		{&envelope.Error{Kind: envelope.ErrNotForMe, Op: "decrypt"}, session.CodeNotForYou},
		{&envelope.Error{Kind: envelope.ErrLocked, Op: "decrypt"}, session.CodeLocked},
		{&envelope.Error{Kind: envelope.ErrBadSignature, Op: "verify"}, session.CodeBadSignature},
		{&envelope.Error{Kind: envelope.ErrCorrupt, Op: "decrypt"}, session.CodeCorrupt},
		{&envelope.Error{Kind: envelope.ErrUnsupported, Op: "post"}, session.CodeUnsupported},
		{fmt.Errorf("x: %w", persona.ErrBadPassphrase), session.CodeWrongPassphrase},
		{fmt.Errorf("x: %w", persona.ErrLocked), session.CodeLocked},
		{fmt.Errorf("x: %w", session.ErrBadInput), session.CodeBadInput},
		{payload.ErrTruncated, session.CodeBadInput},
		{errors.New("something else"), session.CodeInternal},
	} {
		if got := session.Code(tc.err); got != tc.want {
			t.Errorf("Code(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
