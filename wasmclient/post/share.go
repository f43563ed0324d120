package post

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// ShareOptions say who may newly read a post and who shares it.
type ShareOptions struct {
	// Keyring opens the post: the author's persona, unlocked, with the
	// reader's other keys and contacts.
	Keyring openpgp.EntityList
	// To are the new recipients' public keys.
	To []*openpgp.Entity
	// Hidden hides their key IDs.
	Hidden bool
	// Author returns the persona that wrote the post, unlocked. signer is
	// the fingerprint of the post's good signature, "" when it bears none
	// that the keyring can check. An error that matches persona.ErrNotFound
	// means the reader is not the author (ErrNotAuthor).
	Author func(signer string) (*persona.Persona, error)
}

// Shared is a share published on a relay.
type Shared struct {
	CID   cid.Cid
	Relay string
	// Share is the key packets that were published, and whom they name.
	Share *envelope.Share
	// Index is the share's place among the post's shares on the relay.
	Index int
}

// AddRecipients lets more people read a post the reader wrote, without
// touching the message: it fetches the post from the relay c, recovers its
// session key, wraps it for opts.To and publishes those key packets on c as
// a share, signed with the post's share key, which only the author can
// derive. A public post needs no share (ErrPublicPost); a post that the
// reader did not write cannot have one (ErrNotAuthor).
func AddRecipients(ctx context.Context, c *relayclient.Client, t Target, opts ShareOptions) (*Shared, error) {
	if len(opts.To) == 0 {
		return nil, fmt.Errorf("%w: name at least one new recipient", ErrInvalid)
	}
	f, err := Fetch(ctx, c, t)
	if err != nil {
		return nil, err
	}
	msg, err := envelope.Join(bytes.NewReader(f.Message), f.Shares...)
	if err != nil {
		return nil, err
	}
	res, err := envelope.Decrypt(msg, io.Discard, &envelope.OpenOptions{Keyring: opts.Keyring, KeepSessionKey: true})
	if err != nil {
		return nil, err
	}
	if !res.Encrypted {
		return nil, ErrPublicPost
	}
	signer := ""
	if sig, ok := res.Verified(); ok {
		signer = sig.Fingerprint
	}
	me, err := opts.Author(signer)
	if errors.Is(err, persona.ErrNotFound) && signer != "" {
		return nil, fmt.Errorf("%w, and %s is not one of your personas", ErrNotAuthor, signer)
	}
	if err != nil {
		return nil, err
	}
	share, err := envelope.NewShare(res.SessionKey, opts.To, opts.Hidden)
	if err != nil {
		return nil, err
	}
	key, err := shareKey(me, f.Message)
	if err != nil {
		return nil, err
	}
	index, err := f.Client.PublishShare(ctx, f.CID, share.Bytes, key)
	if err != nil {
		return nil, relayError("publishing the share on "+f.Client.BaseURL(), err)
	}
	return &Shared{CID: f.CID, Relay: f.Client.BaseURL(), Share: share, Index: index}, nil
}
