package session

import (
	"bytes"
	"context"
	"fmt"
	"time"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/payload"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/post"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// Audiences of a ComposeRequest.
const (
	AudienceContacts = "contacts"
	AudienceSelf     = "self"
	AudiencePublic   = "public"
)

// ComposeRequest is a post to write (veil.d.ts ComposeRequest).
type ComposeRequest struct {
	// Author is the fingerprint of the persona that writes the post.
	Author string `json:"author"`
	Text   string `json:"text"`
	// Audience is "contacts" (To and the author), "self" (only the author)
	// or "public" (signed, not encrypted).
	Audience string   `json:"audience"`
	To       []string `json:"to,omitempty"`
	Site     string   `json:"site,omitempty"`
	Handle   string   `json:"handle,omitempty"`
	Hidden   bool     `json:"hidden,omitempty"`
	// Inline carries the whole message in the link when it fits.
	Inline bool `json:"inline,omitempty"`
}

// ComposeResult is a post stored on the relay (veil.d.ts ComposeResult).
type ComposeResult struct {
	CID      string `json:"cid"`
	Link     string `json:"link"`
	FeedText string `json:"feedText"`
}

// Compose writes a post as an unlocked persona, stores it on the relay and
// returns the feed text (post.Compose).
func (s *Session) Compose(ctx context.Context, req ComposeRequest) (*ComposeResult, error) {
	d, err := s.draft(req)
	if err != nil {
		return nil, err
	}
	res, err := post.Compose(ctx, s.relay, d)
	if err != nil {
		return nil, err
	}
	return &ComposeResult{CID: res.CID.String(), Link: res.Link, FeedText: res.FeedText}, nil
}

// Seal writes a post as Compose does and returns the message, without
// storing it anywhere (post.Seal): the bytes Compose would upload. Req's
// Inline has no say here.
func (s *Session) Seal(ctx context.Context, req ComposeRequest) ([]byte, error) {
	d, err := s.draft(req)
	if err != nil {
		return nil, err
	}
	var msg bytes.Buffer
	if err := post.Seal(&msg, d); err != nil {
		return nil, err
	}
	return msg.Bytes(), nil
}

// draft is the post a ComposeRequest asks for.
func (s *Session) draft(req ComposeRequest) (*post.Draft, error) {
	me, err := s.persona(req.Author)
	if err != nil {
		return nil, err
	}
	d := &post.Draft{
		Post:   envelope.Post{Text: req.Text, Site: req.Site, Handle: req.Handle},
		Author: me,
		Hidden: req.Hidden,
		Inline: req.Inline,
	}
	switch req.Audience {
	case AudienceContacts:
		if len(req.To) == 0 {
			return nil, fmt.Errorf("%w: a post to contacts names at least one", ErrBadInput)
		}
		if d.To, err = s.recipients(req.To); err != nil {
			return nil, err
		}
	case AudienceSelf, AudiencePublic:
		if len(req.To) > 0 {
			return nil, fmt.Errorf("%w: a post to %q names no recipients", ErrBadInput, req.Audience)
		}
		d.Public = req.Audience == AudiencePublic
	default:
		return nil, fmt.Errorf("%w: audience %q (want contacts, self or public)", ErrBadInput, req.Audience)
	}
	return d, nil
}

// recipients are the public keys of contacts (or of the person's own
// personas) by fingerprint.
func (s *Session) recipients(fingerprints []string) ([]*openpgp.Entity, error) {
	var out []*openpgp.Entity
	for _, f := range fingerprints {
		fpr, err := checkFingerprint(f)
		if err != nil {
			return nil, err
		}
		pub, err := s.store.PublicKey(fpr)
		if err != nil {
			return nil, err
		}
		out = append(out, pub)
	}
	return out, nil
}

// FindPayloads returns the Veil payloads in text, in order, as Read takes
// them: relay links and inline links. Links the site cut short, and the
// site's own short links (t.co) after a Veil marker, are left out: a browser
// cannot follow a short link's redirect (fetch hides it), so the caller
// reads the link the page shows for it, or the anchor's href.
func (s *Session) FindPayloads(text string) []string {
	out := []string{}
	for _, p := range payload.Find(text) {
		if p.Truncated || p.Kind == payload.KindShortened {
			continue
		}
		if p.URL != "" {
			out = append(out, p.URL)
		} else if p.CID.Defined() {
			out = append(out, p.CID.String())
		}
	}
	return out
}

// Read statuses, in ReadResult.Status.
const StatusOK = "ok"

// readStatuses are the codes a post can have as a ReadResult's status.
var readStatuses = map[string]bool{
	CodeNotForYou: true, CodeKeyUnavailable: true, CodeRelayUnreachable: true, CodeBadSignature: true,
	CodeCorrupt: true, CodeUnsupported: true, CodeNotFound: true,
}

// Signer is who signed a post (veil.d.ts Signer).
type Signer struct {
	Fingerprint string `json:"fingerprint"`
	Name        string `json:"name,omitempty"`
	// Status is "good" (valid, from a known key), "unknown-key" or "bad".
	Status string `json:"status"`
	// Verified is set when the signer is a contact whose key was verified.
	Verified bool `json:"verified"`
}

// ReadResult is what became of reading a post (veil.d.ts ReadResult).
type ReadResult struct {
	Status   string   `json:"status"`
	CID      string   `json:"cid,omitempty"`
	Text     string   `json:"text,omitempty"`
	Created  string   `json:"created,omitempty"`
	Author   *Signer  `json:"author,omitempty"`
	Audience []string `json:"audience,omitempty"`
	Public   bool     `json:"public,omitempty"`
	Message  string   `json:"message,omitempty"`
}

// Read fetches (or decodes, for an inline link), decrypts and verifies the
// post a payload points at, from the relay its link names (the session's for
// a bare CID). Why a post cannot be shown is its Status, not an error: Read
// fails only for a payload that is none and for what no post causes.
func (s *Session) Read(ctx context.Context, p string) (*ReadResult, error) {
	t, err := post.ParseTarget(ctx, p)
	if err != nil {
		return statusOf(err)
	}
	c, err := s.client(t.Relay)
	if err != nil {
		return nil, err
	}
	kr, err := s.keyring()
	if err != nil {
		return nil, err
	}
	o, err := post.Read(ctx, c, t, post.ReadOptions{Keyring: kr})
	return s.readResult(t.CID.String(), o, err, kr)
}

// Open decrypts and verifies a post's message in hand (as Seal returns it, or
// as a relay stores it), as Read does once it has fetched one: the same
// ReadResult, with the message's CID as a relay would store it
// (relayclient.BlobCID) and no shares. Nothing is fetched.
func (s *Session) Open(ctx context.Context, msg []byte) (*ReadResult, error) {
	if len(msg) == 0 {
		return nil, fmt.Errorf("%w: no message", ErrBadInput)
	}
	kr, err := s.keyring()
	if err != nil {
		return nil, err
	}
	f := post.Held(msg)
	o, err := f.Read(ctx, post.ReadOptions{Keyring: kr})
	return s.readResult(f.CID.String(), o, err, kr)
}

// readResult is the ReadResult of the post cid that post.Read (or
// Fetched.Read) gave as o and err, with kr the keyring it was opened with.
func (s *Session) readResult(cid string, o *post.Opened, err error, kr openpgp.EntityList) (*ReadResult, error) {
	if err != nil {
		res, rerr := statusOf(err)
		if res != nil {
			res.CID = cid
			if o != nil {
				res.Audience = audience(o.Recipients, kr)
			}
		}
		return res, rerr
	}
	op := o.Post
	res := &ReadResult{
		Status:   StatusOK,
		CID:      cid,
		Text:     op.Text,
		Created:  op.Created.UTC().Format(time.RFC3339),
		Audience: audience(o.Recipients, kr),
		Public:   op.Audience == envelope.Public,
		Author:   &Signer{Fingerprint: op.Signature.Fingerprint, Status: "good"},
	}
	switch op.Signature.Status {
	case envelope.SigUnknownSigner:
		res.Author = &Signer{Fingerprint: op.Author, Status: "unknown-key"}
	case envelope.SigBad:
		res.Author.Status = "bad"
	}
	if op.Signature.Signer != nil {
		res.Author.Name = persona.Name(op.Signature.Signer)
	}
	if c, ok, err := s.store.KnownContact(res.Author.Fingerprint); err == nil && ok {
		res.Author.Verified = len(c.Verified) > 0
	}
	return res, nil
}

// statusOf turns a failure to read a post into its ReadResult, or returns
// the error when it is no status of a post.
func statusOf(err error) (*ReadResult, error) {
	code := Code(err)
	if code == CodeLocked {
		// The key that opens the post is there, but locked.
		code = CodeKeyUnavailable
	}
	if !readStatuses[code] {
		return nil, err
	}
	return &ReadResult{Status: code, Message: err.Error()}, nil
}

// audience names a post's recipients: by the fingerprint of a key in kr
// (a persona or contact) that holds the recipient's key, else by key ID,
// and "hidden" for a hidden one.
func audience(rs []envelope.Recipient, kr openpgp.EntityList) []string {
	out := []string{}
	for _, r := range rs {
		if r.Hidden {
			out = append(out, "hidden")
		} else if es := kr.EntitiesById(r.KeyID); len(es) > 0 {
			out = append(out, persona.Fingerprint(es[0]))
		} else {
			out = append(out, persona.KeyIDString(r.KeyID))
		}
	}
	return out
}

// client is the client of the relay a link names, or the session's.
func (s *Session) client(relay string) (*relayclient.Client, error) {
	if relay == "" || relay == s.relay.BaseURL() {
		return s.relay, nil
	}
	c, err := relayclient.New(relay, s.opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	return c, nil
}

// keyring is what posts are opened with: the store's (every persona and
// every contact), with the personas unlocked in this session unlocked.
func (s *Session) keyring() (openpgp.EntityList, error) {
	kr, err := s.store.Keyring()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range kr {
		if u, ok := s.unlocked[persona.Fingerprint(e)]; ok && e.PrivateKey != nil {
			kr[i] = u.Entity()
		}
	}
	return kr, nil
}

// AddRecipientsResult is the share AddRecipients published.
type AddRecipientsResult struct {
	Index int `json:"index"`
}

// AddRecipients lets contacts read a post the persona author wrote: it
// publishes a share on the relay (post.AddRecipients). p is the post's CID
// or link.
func (s *Session) AddRecipients(ctx context.Context, p, author string, to []string) (*AddRecipientsResult, error) {
	me, err := s.persona(author)
	if err != nil {
		return nil, err
	}
	if me.Locked() {
		return nil, fmt.Errorf("%w: %s needs its passphrase", persona.ErrLocked, me.Fingerprint())
	}
	rcpts, err := s.recipients(to)
	if err != nil {
		return nil, err
	}
	t, err := post.ParseTarget(ctx, p)
	if err != nil {
		return nil, err
	}
	c, err := s.client(t.Relay)
	if err != nil {
		return nil, err
	}
	kr, err := s.keyring()
	if err != nil {
		return nil, err
	}
	isMe := func(signer string) (*persona.Persona, error) {
		if signer != "" && signer != me.Fingerprint() {
			return nil, persona.ErrNotFound
		}
		return me, nil
	}
	sh, err := post.AddRecipients(ctx, c, t, post.ShareOptions{Keyring: kr, To: rcpts, Author: isMe})
	if err != nil {
		return nil, err
	}
	return &AddRecipientsResult{Index: sh.Index}, nil
}
