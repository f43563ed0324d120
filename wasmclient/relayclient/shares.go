package relayclient

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

// ErrBadShareSignature means a share's signature is missing, malformed, or
// does not verify with the post's share key (or that key is malformed). A
// relay answers it with 401 unauthorized.
var ErrBadShareSignature = errors.New("relayclient: bad share signature")

// shareKeyPrefix starts the Veil-Share-Key header.
const shareKeyPrefix = "ed25519:"

// shareContext starts the signed message of a share.
const shareContext = "veil-share-v1\n"

// ShareKeyHeader formats a share key for the Veil-Share-Key header:
// "ed25519:" and the key in base64url without padding.
func ShareKeyHeader(pub ed25519.PublicKey) string {
	return shareKeyPrefix + base64.RawURLEncoding.EncodeToString(pub)
}

// ParseShareKey reads a Veil-Share-Key header. It wraps ErrBadShareSignature
// when the header is not "ed25519:" and a 32-byte key in base64url (padding
// allowed).
func ParseShareKey(header string) (ed25519.PublicKey, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(header), shareKeyPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: share key is not %q and a key", ErrBadShareSignature, shareKeyPrefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(rest, "="))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: share key is not a base64url Ed25519 public key", ErrBadShareSignature)
	}
	return ed25519.PublicKey(b), nil
}

// shareMessage is what a share signature signs:
// "veil-share-v1\n" + cid + "\n" + hex(sha256(body)), the CID in canonical
// string form.
func shareMessage(c string, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(shareContext + c + "\n" + hex.EncodeToString(sum[:]))
}

// canonicalCID writes a CID string in go-cid's canonical form (base32 for a
// CIDv1), so that signer and verifier sign the same bytes whatever spelling
// either was given. A string that is not a CID stays as it is.
func canonicalCID(s string) (string, bool) {
	c, err := cid.Decode(s)
	if err != nil {
		return s, false
	}
	return c.String(), true
}

// ShareSignature signs a share (body: its key packets) of the post c with
// the post's share key, for the Veil-Share-Signature header: an Ed25519
// signature over "veil-share-v1\n" + cid + "\n" + hex(sha256(body)), in
// base64url without padding. c is put in canonical form first.
func ShareSignature(priv ed25519.PrivateKey, c string, body []byte) string {
	cs, _ := canonicalCID(c)
	return base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, shareMessage(cs, body)))
}

// VerifyShareSignature checks a Veil-Share-Signature (sig) over a share body
// of the post c against the post's Veil-Share-Key header as the upload gave
// it. It returns nil when the signature is good, and an error wrapping
// ErrBadShareSignature otherwise (c not a CID included).
func VerifyShareSignature(header, sig string, c string, body []byte) error {
	pub, err := ParseShareKey(header)
	if err != nil {
		return err
	}
	cs, ok := canonicalCID(c)
	if !ok {
		return fmt.Errorf("%w: invalid CID %q", ErrBadShareSignature, c)
	}
	s, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(sig), "="))
	if err != nil || len(s) != ed25519.SignatureSize {
		return fmt.Errorf("%w: signature is not a base64url Ed25519 signature", ErrBadShareSignature)
	}
	if !ed25519.Verify(pub, shareMessage(cs, body), s) {
		return fmt.Errorf("%w: signature does not verify", ErrBadShareSignature)
	}
	return nil
}

// IsShare reports whether b is a share as a relay keeps it: one or more
// whole PKESK packets and nothing else.
func IsShare(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for len(b) > 0 {
		tag, rest, ok := pgppacket.Next(b)
		if !ok || tag != pgppacket.TagPKESK {
			return false
		}
		b = rest
	}
	return true
}

// ShareRecord is one share as the relay lists it.
type ShareRecord struct {
	Index int       `json:"index"`
	Data  []byte    `json:"data"` // base64 in JSON
	Time  time.Time `json:"time"`
}

// ShareList lists the shares of a post.
func (c *Client) ShareList(ctx context.Context, id cid.Cid) ([]ShareRecord, error) {
	if !id.Defined() {
		return nil, fmt.Errorf("relayclient: undefined CID")
	}
	var out struct {
		CID    string        `json:"cid"`
		Shares []ShareRecord `json:"shares"`
	}
	err := c.doJSON(ctx, request{method: "GET", path: "/v1/shares/" + id.String()}, &out)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if out.CID != "" {
		if got, err := cid.Decode(out.CID); err != nil || !got.Equals(id) {
			return nil, fmt.Errorf("%w: asked for the shares of %s, got those of %q", ErrMismatch, id, out.CID)
		}
	}
	sort.SliceStable(out.Shares, func(i, j int) bool { return out.Shares[i].Index < out.Shares[j].Index })
	return out.Shares, nil
}

// Shares returns the key packets published for the post id after it, in
// the order they were added, ready for envelope.OpenPost. What is not a
// share (see IsShare) is dropped: a relay could not make a real one, only
// break the message it is put in front of. A post with no shares (or that
// the relay does not know) has none.
func (c *Client) Shares(ctx context.Context, id cid.Cid) ([][]byte, error) {
	recs, err := c.ShareList(ctx, id)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, r := range recs {
		if IsShare(r.Data) {
			out = append(out, r.Data)
		}
	}
	return out, nil
}

// AddShare publishes a share (key packets made with envelope.NewShare or
// envelope.AddRecipients) of the post id, signed with the post's share key
// (persona.ShareKey). The relay refuses it with ErrUnauthorized unless the
// key is the one the upload named. PublishShare does the same and returns
// the share's index.
func (c *Client) AddShare(ctx context.Context, id cid.Cid, share []byte, key ed25519.PrivateKey) error {
	_, err := c.PublishShare(ctx, id, share, key)
	return err
}

// PublishShare publishes a share as AddShare does and returns the index the
// relay gave it among the post's shares (0 for the first).
func (c *Client) PublishShare(ctx context.Context, id cid.Cid, share []byte, key ed25519.PrivateKey) (int, error) {
	if !id.Defined() {
		return 0, fmt.Errorf("relayclient: undefined CID")
	}
	if !IsShare(share) {
		return 0, fmt.Errorf("relayclient: a share is key packets (PKESK) only")
	}
	if len(key) != ed25519.PrivateKeySize {
		return 0, fmt.Errorf("relayclient: share key of %d bytes", len(key))
	}
	sig := ShareSignature(key, id.String(), share)
	h := Header{}
	h.Set(HeaderShareSignature, sig)
	var out struct {
		CID   string `json:"cid"`
		Index int    `json:"index"`
	}
	r := request{method: "POST", path: "/v1/shares/" + id.String(), header: h, body: share, ctype: "application/octet-stream"}
	if err := c.doJSON(ctx, r, &out); err != nil {
		return 0, err
	}
	return out.Index, nil
}
