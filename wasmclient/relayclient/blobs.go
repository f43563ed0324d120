package relayclient

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

// BlobCID is the CID of a blob of up to the relay's raw-block limit
// (1 MiB by default): CIDv1, raw codec, SHA-256 of the bytes ("bafkrei…").
// A client knows it before uploading, to derive the post's share key.
func BlobCID(data []byte) cid.Cid {
	h, err := multihash.Sum(data, multihash.SHA2_256, -1)
	if err != nil {
		panic("relayclient: sha2-256 multihash: " + err.Error()) // cannot happen
	}
	return cid.NewCidV1(cid.Raw, h)
}

// VerifyBlob checks that data is the blob c names. A raw CID (the relay's
// form for blobs up to its raw-block limit) is checked against the hash of
// data: ErrMismatch when it differs, an error too when the hash function is
// unknown. Other CIDs (chunked DAGs) cannot be checked from the bytes alone,
// and VerifyBlob reports whether it checked.
func VerifyBlob(c cid.Cid, data []byte) (checked bool, err error) {
	if !c.Defined() {
		return false, fmt.Errorf("relayclient: undefined CID")
	}
	if c.Prefix().Codec != cid.Raw {
		return false, nil
	}
	got, err := c.Prefix().Sum(data)
	if err != nil {
		return false, fmt.Errorf("relayclient: cannot check %s: %w", c, err)
	}
	if !got.Equals(c) {
		return false, fmt.Errorf("%w: the bytes for %s hash to %s", ErrMismatch, c, got)
	}
	return true, nil
}

// UploadOptions tune Upload.
type UploadOptions struct {
	// ShareKey is the public key that may publish shares for this blob
	// (the post's persona.ShareKey, derived from BlobCID of the message).
	ShareKey ed25519.PublicKey
	// Signer, when set, signs the upload (a detached OpenPGP signature over
	// the body, in Veil-Signer and Veil-Signature) so the relay applies the
	// persona's quotas and rate limits. Its secret key must be unlocked and
	// its public key in the relay's directory.
	Signer *openpgp.Entity
}

// Upload stores msg, one binary OpenPGP message (encrypted, or signed for a
// public post), and returns its CID once the relay has it on disk. The CID
// is checked against msg (see VerifyBlob): for a blob within the raw-block
// limit it is BlobCID(msg).
func (c *Client) Upload(ctx context.Context, msg []byte, opts UploadOptions) (cid.Cid, error) {
	h := Header{}
	if opts.ShareKey != nil {
		if len(opts.ShareKey) != ed25519.PublicKeySize {
			return cid.Undef, fmt.Errorf("relayclient: share key of %d bytes", len(opts.ShareKey))
		}
		h.Set(HeaderShareKey, ShareKeyHeader(opts.ShareKey))
	}
	if opts.Signer != nil {
		fpr, sig, err := UploadSignature(opts.Signer, msg)
		if err != nil {
			return cid.Undef, err
		}
		h.Set(HeaderSigner, fpr)
		h.Set(HeaderSignature, sig)
	}
	var out struct {
		CID  string `json:"cid"`
		Size int64  `json:"size"`
	}
	r := request{method: "POST", path: "/v1/blobs", header: h, body: msg, ctype: "application/octet-stream"}
	if err := c.doJSON(ctx, r, &out); err != nil {
		return cid.Undef, err
	}
	got, err := cid.Decode(out.CID)
	if err != nil {
		return cid.Undef, fmt.Errorf("%w: upload answered CID %q: %v", ErrBadResponse, out.CID, err)
	}
	if _, err := VerifyBlob(got, msg); err != nil {
		return cid.Undef, err
	}
	if out.Size != 0 && out.Size != int64(len(msg)) {
		return cid.Undef, fmt.Errorf("%w: uploaded %d bytes, the relay stored %d", ErrMismatch, len(msg), out.Size)
	}
	return got, nil
}

// Get fetches the blob c. A raw CID is checked against the bytes (see
// VerifyBlob); ErrNotFound (an *Error) when the relay does not have it.
func (c *Client) Get(ctx context.Context, id cid.Cid) ([]byte, error) {
	if !id.Defined() {
		return nil, fmt.Errorf("relayclient: undefined CID")
	}
	resp, err := c.do(ctx, request{method: "GET", path: "/v1/blobs/" + id.String(), want: 200})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.ContentLength > c.maxBlob {
		return nil, fmt.Errorf("%w: blob of %d bytes, the limit is %d", ErrTooLarge, resp.ContentLength, c.maxBlob)
	}
	data, err := readAll(resp.Body, c.maxBlob)
	if err != nil {
		return nil, err
	}
	if _, err := VerifyBlob(id, data); err != nil {
		return nil, err
	}
	return data, nil
}

// Header names of the blob API.
const (
	HeaderShareKey       = "Veil-Share-Key"
	HeaderShareSignature = "Veil-Share-Signature"
	HeaderSigner         = "Veil-Signer"
	HeaderSignature      = "Veil-Signature"
)

// UploadSignature signs an upload body for the Veil-Signer and
// Veil-Signature headers: the signer's primary fingerprint (upper-case hex)
// and a detached binary OpenPGP signature over body, in standard base64.
func UploadSignature(signer *openpgp.Entity, body []byte) (fingerprint, signature string, err error) {
	if signer == nil || signer.PrivateKey == nil {
		return "", "", fmt.Errorf("relayclient: the upload signer has no secret key")
	}
	var sig bytes.Buffer
	if err := openpgp.DetachSign(&sig, []*openpgp.Entity{signer}, bytes.NewReader(body), &packet.Config{}); err != nil {
		return "", "", fmt.Errorf("relayclient: failed to sign the upload: %w", err)
	}
	return fmt.Sprintf("%X", signer.PrimaryKey.Fingerprint), base64.StdEncoding.EncodeToString(sig.Bytes()), nil
}
