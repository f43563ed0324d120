package post

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/payload"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// Target is a post that text points at: a message on a relay, or one that
// an inline link carries whole.
type Target struct {
	// Relay is the base URL of the relay the link names; "" for a bare CID,
	// which the caller's relay is asked for.
	Relay string
	// CID is the message's CID on the relay; for an inline message, its
	// relayclient.BlobCID (under which its shares are published).
	CID cid.Cid
	// Inline is the message an inline link carries.
	Inline []byte
	// Display names the post to a person: its link or CID.
	Display string
}

// Find returns the posts in text: every Veil payload in it, or else the
// whole text read as a link or CID. Short links are resolved (see
// TargetOf). It fails with ErrNoPost when there is none, and when one
// cannot be read (payload.ErrTruncated for a link the site cut short).
func Find(ctx context.Context, text string) ([]Target, error) {
	ps := payload.Find(text)
	if len(ps) == 0 {
		t, err := ParseTarget(ctx, strings.TrimSpace(text))
		if err != nil {
			return nil, fmt.Errorf("%w in the input (%w)", ErrNoPost, err)
		}
		return []Target{t}, nil
	}
	var out []Target
	for _, p := range ps {
		t, err := TargetOf(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// ParseTarget reads one link, inline link or CID, or text holding exactly
// one of them.
func ParseTarget(ctx context.Context, s string) (Target, error) {
	p, err := payload.Parse(s)
	if err != nil && !errors.Is(err, payload.ErrTruncated) {
		ps := payload.Find(s)
		if len(ps) != 1 {
			return Target{}, err
		}
		p = ps[0]
	}
	return TargetOf(ctx, p)
}

// TargetOf turns a payload found in text into a target. A site's short link
// (payload.KindShortened) is followed one step to where it leads, which must
// be a Veil link; a link the site cut short (Truncated) fails with
// payload.ErrTruncated.
func TargetOf(ctx context.Context, p payload.Payload) (Target, error) {
	if p.Truncated {
		return Target{}, fmt.Errorf("%w: the link %s… was cut short where it was shown: copy the link itself", payload.ErrTruncated, p.URL)
	}
	switch p.Kind {
	case payload.KindLink:
		d := p.URL
		if d == "" {
			d = p.CID.String()
		}
		return Target{Relay: p.Relay, CID: p.CID, Display: d}, nil
	case payload.KindInline:
		id := relayclient.BlobCID(p.Message)
		return Target{Relay: p.Relay, CID: id, Inline: p.Message, Display: "inline post " + id.String()}, nil
	case payload.KindShortened:
		to, err := resolveShortLink(ctx, p.URL)
		if err != nil {
			return Target{}, err
		}
		q, err := payload.Parse(to)
		if err != nil || q.Kind == payload.KindShortened {
			return Target{}, fmt.Errorf("%w: %s leads to %s, not a Veil post", payload.ErrNotVeil, p.URL, to)
		}
		return TargetOf(ctx, q)
	}
	return Target{}, payload.ErrNotVeil
}

// Fetched is a post's message with the shares its relay has for it.
type Fetched struct {
	Target
	Message []byte
	Shares  [][]byte
	// SharesErr says why the shares of an inline post could not be had
	// (the post itself is in hand, so that is no failure).
	SharesErr error
	// Client is the relay the post and its shares came from.
	Client *relayclient.Client
}

// Fetch gets a target's message from the relay c (unless the target carries
// it inline) and the shares c has for it.
func Fetch(ctx context.Context, c *relayclient.Client, t Target) (*Fetched, error) {
	f := &Fetched{Target: t, Message: t.Inline, Client: c}
	if f.Message == nil {
		msg, err := c.Get(ctx, t.CID)
		if err != nil {
			return nil, relayError(fmt.Sprintf("fetching %s from %s", t.CID, c.BaseURL()), err)
		}
		f.Message = msg
	}
	shares, err := c.Shares(ctx, t.CID)
	if err != nil {
		err = relayError(fmt.Sprintf("fetching the shares of %s from %s", t.CID, c.BaseURL()), err)
		if t.Inline == nil {
			return nil, err
		}
		f.SharesErr = err
	}
	f.Shares = shares
	return f, nil
}

// Open decrypts and verifies the post. Should the relay's shares break the
// message, it is opened again without them: a relay can withhold shares,
// not stop a reader the post itself names.
func (f *Fetched) Open(opts *envelope.OpenOptions) (*envelope.OpenedPost, error) {
	op, err := envelope.OpenPost(bytes.NewReader(f.Message), opts, f.Shares...)
	if err != nil && len(f.Shares) > 0 && errors.Is(err, envelope.ErrCorrupt) {
		op, err = envelope.OpenPost(bytes.NewReader(f.Message), opts)
	}
	return op, err
}

// ReadOptions say what Read opens and verifies posts with.
type ReadOptions struct {
	// Keyring holds the reader's keys (unlocked personas decrypt) and the
	// public keys of people whose signatures are checked.
	Keyring openpgp.EntityList
	// FetchKey looks the author's key up in the relay's directory when the
	// keyring lacks it, to check the signature; the key is not kept.
	FetchKey bool
}

// Opened is a post that was read.
type Opened struct {
	*Fetched
	// Post is the opened post; nil when Read failed to open it.
	Post *envelope.OpenedPost
	// Recipients are the message's key packets (and its shares'): the
	// post's audience as far as a reader can tell, also when it could not
	// be opened.
	Recipients []envelope.Recipient
	// KeyFrom says where the author's key came from when the keyring did not
	// have it: "directory" (ReadOptions.FetchKey).
	KeyFrom string
}

// Read fetches the target from the relay c (see Fetch), decrypts and
// verifies it. Once the message is in hand, the Opened it returns says what
// is known about the post even when it cannot be opened (the error says
// why: envelope.ErrNotForMe, ErrBadSignature, ErrCorrupt, ErrUnsupported,
// ErrLocked). A post whose author's key is unknown is opened, with
// Post.Signature.Status envelope.SigUnknownSigner.
func Read(ctx context.Context, c *relayclient.Client, t Target, opts ReadOptions) (*Opened, error) {
	f, err := Fetch(ctx, c, t)
	if err != nil {
		return nil, err
	}
	return f.Read(ctx, opts)
}

// Held is a message in hand, to be read with no relay: its target is named by
// its relayclient.BlobCID (the CID a relay stores a small message under) and
// it has no shares.
func Held(msg []byte) *Fetched {
	id := relayclient.BlobCID(msg)
	return &Fetched{Target: Target{CID: id, Display: "post " + id.String()}, Message: msg}
}

// Read decrypts and verifies a fetched (or held) post, as the function Read
// does once the message is in hand. ReadOptions.FetchKey asks f.Client, and
// is ignored without one.
func (f *Fetched) Read(ctx context.Context, opts ReadOptions) (*Opened, error) {
	c := f.Client
	o := &Opened{Fetched: f}
	op, err := f.Open(&envelope.OpenOptions{Keyring: opts.Keyring})
	if err != nil {
		o.Recipients, _ = envelope.ListRecipients(bytes.NewReader(f.Message), f.Shares...)
		return o, err
	}
	if op.Signature.Status == envelope.SigUnknownSigner && opts.FetchKey && c != nil {
		recs, err := c.LookupKeys(ctx, relayclient.Query{Fingerprint: op.Author})
		if err != nil {
			return o, relayError("looking up the author's key "+op.Author, err)
		}
		if len(recs) == 1 {
			withKey := append(append(openpgp.EntityList(nil), opts.Keyring...), recs[0].Key)
			if op, err = f.Open(&envelope.OpenOptions{Keyring: withKey}); err != nil {
				return o, err
			}
			o.KeyFrom = "directory"
		}
	}
	o.Post, o.Recipients = op, op.Recipients
	return o, nil
}
