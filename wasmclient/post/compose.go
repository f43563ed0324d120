package post

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strings"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/payload"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// Draft is a post to seal or compose.
type Draft struct {
	// Post is the document: Text, and where it goes (Site, Handle, with or
	// without "@"), ReplyTo, Attachments. Version, Author and a zero
	// Created are filled in.
	Post envelope.Post
	// Author writes and signs the post; its key must be unlocked.
	Author *persona.Persona
	// To are the recipients' public keys. The author is always added; no
	// recipients makes a post only the author can read. A public post has
	// none.
	To []*openpgp.Entity
	// Public makes a post that is signed, not encrypted.
	Public bool
	// Hidden hides the recipients' key IDs (wildcard key packets).
	Hidden bool
	// Inline carries the whole message in the link when it fits
	// (payload.MaxInline); it is stored on the relay all the same.
	Inline bool
	// SignUpload signs the upload with the author's key, for the persona's
	// quota on the relay (its key must be in the relay's directory).
	SignUpload bool
}

// check refuses drafts that cannot be sealed as asked.
func (d *Draft) check() error {
	switch {
	case d.Author == nil:
		return fmt.Errorf("%w: a post needs an author", ErrInvalid)
	case d.Public && (len(d.To) > 0 || d.Hidden):
		return fmt.Errorf("%w: public posts have no recipients", ErrInvalid)
	case d.Author.Locked():
		return fmt.Errorf("%w: %s needs its passphrase", persona.ErrLocked, d.Author.Fingerprint())
	}
	return nil
}

// Seal writes the draft as one binary OpenPGP message, signed by its
// author: encrypted to the recipients and the author, or only signed for a
// public post.
func Seal(w io.Writer, d *Draft) error {
	if err := d.check(); err != nil {
		return err
	}
	p := d.Post
	p.Handle = strings.TrimPrefix(p.Handle, "@")
	opts := &envelope.PostOptions{Hidden: d.Hidden}
	if d.Public {
		opts.Audience = envelope.Public
	}
	return envelope.SealPost(w, p, d.Author.Entity(), d.To, opts)
}

// Composed is a post stored on a relay.
type Composed struct {
	// CID is the relay's CID of the message; Size its length in bytes.
	CID  cid.Cid
	Size int
	// Relay is the base URL of the relay that stores it.
	Relay string
	// Link goes into the feed: to the message on the relay, or carrying
	// it whole when Inline.
	Link   string
	Inline bool
	// FeedText is what to post: a marker line (encrypted or public) and Link.
	FeedText string
}

// Compose seals the draft, stores the message on the relay c and returns
// the feed text that points at it. A private post is uploaded with its share
// key, so that its author can add recipients later (AddRecipients). When
// the draft asks for an inline link and the message is too large for one,
// the link goes to the relay and Composed.Inline is false.
func Compose(ctx context.Context, c *relayclient.Client, d *Draft) (*Composed, error) {
	var msg bytes.Buffer
	if err := Seal(&msg, d); err != nil {
		return nil, err
	}
	var opts relayclient.UploadOptions
	if !d.Public {
		key, err := shareKey(d.Author, msg.Bytes())
		if err != nil {
			return nil, err
		}
		opts.ShareKey = key.Public().(ed25519.PublicKey)
	}
	if d.SignUpload {
		opts.Signer = d.Author.Entity()
	}
	id, err := c.Upload(ctx, msg.Bytes(), opts)
	if err != nil {
		return nil, relayError("uploading to "+c.BaseURL(), err)
	}
	out := &Composed{CID: id, Size: msg.Len(), Relay: c.BaseURL(), Link: payload.Link(c.BaseURL(), id)}
	if d.Inline {
		l, err := payload.Inline(c.BaseURL(), msg.Bytes())
		switch {
		case err == nil:
			out.Link, out.Inline = l, true
		case !errors.Is(err, payload.ErrTooLarge):
			return nil, err
		}
	}
	out.FeedText = payload.FeedText(out.Link)
	if d.Public {
		out.FeedText = payload.PublicFeedText(out.Link)
	}
	return out, nil
}

// shareKey is the key that authorizes shares of the post msg. It is derived
// from the hash of the message (its CID as a raw block), which the author
// can always compute again from the bytes, whatever CID the relay gives a
// large blob.
func shareKey(author *persona.Persona, msg []byte) (ed25519.PrivateKey, error) {
	return author.ShareKey(relayclient.BlobCID(msg).String())
}
