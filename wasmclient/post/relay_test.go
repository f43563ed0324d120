//go:build !js

package post_test

import (
	"errors"
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
)

// startRelay runs a real relay on 127.0.0.1:0 and returns a client of it.
func startRelay(t *testing.T) *relayclient.Client {
	t.Helper()
	c, err := relayclient.New(relaytest.Start(t, relay.Config{}).URL())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newPersona(t *testing.T, name string) *persona.Persona {
	t.Helper()
	p, err := persona.New(persona.Options{Name: name, Email: strings.ToLower(name) + "@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func public(t *testing.T, ps ...*persona.Persona) []*openpgp.Entity {
	t.Helper()
	var out []*openpgp.Entity
	for _, p := range ps {
		pub, err := persona.PublicOnly(p.Entity())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pub)
	}
	return out
}

// keyring is what a reader opens posts with: their own persona and the
// public keys of the others.
func keyring(t *testing.T, me *persona.Persona, others ...*persona.Persona) openpgp.EntityList {
	return append(openpgp.EntityList{me.Entity()}, public(t, others...)...)
}

// authorIs is a ShareOptions.Author that knows one persona.
func authorIs(me *persona.Persona) func(string) (*persona.Persona, error) {
	return func(signer string) (*persona.Persona, error) {
		if signer != me.Fingerprint() {
			return nil, persona.ErrNotFound
		}
		return me, nil
	}
}

// TestComposeReadShare: Alice composes a post to Bob on a real relay; Bob
// reads it from the feed text; Carol cannot until Alice adds her; Bob may
// not add anyone.
func TestComposeReadShare(t *testing.T) {
	c := startRelay(t)
	ctx := t.Context()
	alice, bob, carol := newPersona(t, "Alice"), newPersona(t, "Bob"), newPersona(t, "Carol")

	res, err := post.Compose(ctx, c, &post.Draft{
		Post:   envelope.Post{Text: "hello bob", Site: "twitter", Handle: "@alice"},
		Author: alice, To: public(t, bob),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.FeedText, payload.Marker+" "+c.BaseURL()+"/p/") || res.Inline || res.Relay != c.BaseURL() ||
		!res.CID.Equals(relayclient.BlobCID(mustGet(t, c, res))) {
		t.Fatalf("composed %+v", res)
	}
	ts, err := post.Find(ctx, "Alice @alice · 2h\n"+res.FeedText+"\n3 replies")
	if err != nil || len(ts) != 1 || !ts[0].CID.Equals(res.CID) || ts[0].Relay != c.BaseURL() {
		t.Fatalf("Find: %v %+v", err, ts)
	}

	o, err := post.Read(ctx, c, ts[0], post.ReadOptions{Keyring: keyring(t, bob, alice)})
	if err != nil {
		t.Fatal(err)
	}
	if o.Post.Text != "hello bob" || o.Post.Handle != "alice" || o.Post.Signature.Status != envelope.SigGood ||
		o.Post.Signature.Fingerprint != alice.Fingerprint() || len(o.Recipients) != 2 || o.Post.Audience != envelope.Private {
		t.Errorf("bob reads %+v", o.Post)
	}

	o, err = post.Read(ctx, c, ts[0], post.ReadOptions{Keyring: keyring(t, carol, alice)})
	if !errors.Is(err, envelope.ErrNotForMe) || o == nil || o.Post != nil || len(o.Recipients) != 2 {
		t.Fatalf("carol before the share: %v %+v", err, o)
	}

	_, err = post.AddRecipients(ctx, c, ts[0], post.ShareOptions{Keyring: keyring(t, bob, alice), To: public(t, carol), Author: authorIs(bob)})
	if !errors.Is(err, post.ErrNotAuthor) || !strings.Contains(err.Error(), alice.Fingerprint()) {
		t.Errorf("bob adds carol: %v", err)
	}
	sh, err := post.AddRecipients(ctx, c, ts[0], post.ShareOptions{Keyring: keyring(t, alice), To: public(t, carol), Author: authorIs(alice)})
	if err != nil {
		t.Fatal(err)
	}
	if sh.Index != 0 || !sh.CID.Equals(res.CID) || len(sh.Share.Recipients) != 1 {
		t.Errorf("shared %+v", sh)
	}
	o, err = post.Read(ctx, c, ts[0], post.ReadOptions{Keyring: keyring(t, carol, alice)})
	if err != nil || o.Post.Text != "hello bob" || o.Post.Signature.Status != envelope.SigGood || len(o.Recipients) != 3 {
		t.Fatalf("carol after the share: %v %+v", err, o)
	}
	sh, err = post.AddRecipients(ctx, c, ts[0], post.ShareOptions{Keyring: keyring(t, alice), To: public(t, bob), Hidden: true, Author: authorIs(alice)})
	if err != nil || sh.Index != 1 || !sh.Share.Recipients[0].Hidden {
		t.Errorf("second share: %v %+v", err, sh)
	}
	if _, err := post.AddRecipients(ctx, c, ts[0], post.ShareOptions{Keyring: keyring(t, alice), Author: authorIs(alice)}); !errors.Is(err, post.ErrInvalid) {
		t.Errorf("a share to nobody: %v", err)
	}
}

func mustGet(t *testing.T, c *relayclient.Client, res *post.Composed) []byte {
	t.Helper()
	msg, err := c.Get(t.Context(), res.CID)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// TestPublicAndInline: a public post is signed, not encrypted, and needs no
// share; an inline post is read from its link, with the relay's shares.
func TestPublicAndInline(t *testing.T) {
	c := startRelay(t)
	ctx := t.Context()
	alice, dave := newPersona(t, "Alice"), newPersona(t, "Dave")

	res, err := post.Compose(ctx, c, &post.Draft{Post: envelope.Post{Text: "hello world"}, Author: alice, Public: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.FeedText, payload.PublicMarker+" ") {
		t.Errorf("public feed text %q", res.FeedText)
	}
	ts, err := post.Find(ctx, res.FeedText)
	if err != nil {
		t.Fatal(err)
	}
	o, err := post.Read(ctx, c, ts[0], post.ReadOptions{Keyring: keyring(t, dave)})
	if err != nil || o.Post.Audience != envelope.Public || o.Post.Signature.Status != envelope.SigUnknownSigner || o.Post.Author != alice.Fingerprint() {
		t.Fatalf("dave reads the public post: %v %+v", err, o)
	}
	// With the key from the relay's directory the signature checks out.
	armored, _ := alice.ArmoredPublicKey()
	if _, err := c.PublishKey(ctx, armored); err != nil {
		t.Fatal(err)
	}
	o, err = post.Read(ctx, c, ts[0], post.ReadOptions{Keyring: keyring(t, dave), FetchKey: true})
	if err != nil || o.Post.Signature.Status != envelope.SigGood || o.KeyFrom != "directory" {
		t.Fatalf("dave with the directory's key: %v %+v", err, o)
	}
	if _, err := post.AddRecipients(ctx, c, ts[0], post.ShareOptions{Keyring: keyring(t, alice), To: public(t, dave), Author: authorIs(alice)}); !errors.Is(err, post.ErrPublicPost) {
		t.Errorf("a share of a public post: %v", err)
	}

	res, err = post.Compose(ctx, c, &post.Draft{Post: envelope.Post{Text: "short"}, Author: alice, Inline: true})
	if err != nil || !res.Inline {
		t.Fatalf("inline: %v %+v", err, res)
	}
	ts, err = post.Find(ctx, res.FeedText)
	if err != nil || ts[0].Inline == nil {
		t.Fatalf("inline target: %v %+v", err, ts)
	}
	if _, err := post.AddRecipients(ctx, c, ts[0], post.ShareOptions{Keyring: keyring(t, alice), To: public(t, dave), Author: authorIs(alice)}); err != nil {
		t.Fatal(err)
	}
	o, err = post.Read(ctx, c, ts[0], post.ReadOptions{Keyring: keyring(t, dave, alice)})
	if err != nil || o.Post.Text != "short" || o.SharesErr != nil {
		t.Fatalf("dave reads the inline post: %v %+v", err, o)
	}

	big := strings.Repeat("x", 4*payload.MaxInline)
	res, err = post.Compose(ctx, c, &post.Draft{Post: envelope.Post{Text: big}, Author: alice, Inline: true})
	if err != nil || res.Inline || res.Link != payload.Link(c.BaseURL(), res.CID) {
		t.Errorf("too large for inline: %v %+v", err, res)
	}
}

// TestRefusals: what cannot be composed, and a relay that is not there.
func TestRefusals(t *testing.T) {
	ctx := t.Context()
	alice, bob := newPersona(t, "Alice"), newPersona(t, "Bob")
	down, err := relayclient.New("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = post.Compose(ctx, down, &post.Draft{Post: envelope.Post{Text: "x"}, Author: alice, To: public(t, bob)})
	var re *post.RelayError
	if !errors.Is(err, post.ErrUnreachable) || !errors.As(err, &re) || !strings.HasPrefix(err.Error(), "uploading to http://127.0.0.1:1: ") {
		t.Errorf("compose to a relay that is down: %v", err)
	}
	ts, err := post.Find(ctx, relayclient.BlobCID([]byte("x")).String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := post.Read(ctx, down, ts[0], post.ReadOptions{}); !errors.Is(err, post.ErrUnreachable) {
		t.Errorf("read from a relay that is down: %v", err)
	}
	c := startRelay(t)
	if _, err := post.Read(ctx, c, ts[0], post.ReadOptions{}); !errors.Is(err, relayclient.ErrNotFound) || errors.Is(err, post.ErrUnreachable) {
		t.Errorf("read a post the relay does not have: %v", err)
	}

	if _, err := post.Compose(ctx, c, &post.Draft{Post: envelope.Post{Text: "x"}, Author: alice, Public: true, To: public(t, bob)}); !errors.Is(err, post.ErrInvalid) {
		t.Errorf("public post with recipients: %v", err)
	}
	if _, err := post.Compose(ctx, c, &post.Draft{Post: envelope.Post{Text: "x"}}); !errors.Is(err, post.ErrInvalid) {
		t.Errorf("post without author: %v", err)
	}
	locked, err := persona.New(persona.Options{Name: "Locked", Passphrase: []byte("secret")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := post.Compose(ctx, c, &post.Draft{Post: envelope.Post{Text: "x"}, Author: locked}); !errors.Is(err, persona.ErrLocked) {
		t.Errorf("locked author: %v", err)
	}
}
