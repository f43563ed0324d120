package relay

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/ipfs/go-cid"
	"github.com/ipfs/go-datastore"
	"github.com/labstack/echo/v4"

	"github.com/veilsocial/veil/relay/api"
	"github.com/veilsocial/veil/storage"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/pgppacket"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// Errors of the upload validator.
var (
	errNotOpenPGP = api.Errorf(http.StatusBadRequest, api.CodeNotOpenPGP, "the body is not an OpenPGP message")
	errPlaintext  = api.Errorf(http.StatusBadRequest, api.CodePlaintext, "the body is neither encrypted nor signed: relays host no plaintext")
)

// validator passes an upload through while checking that it is exactly one
// OpenPGP message, encrypted or signed. At the end of the stream it returns
// an error instead of io.EOF if the message is not acceptable, so the store
// pins nothing. It keeps the head of the message for routing notifications.
type validator struct {
	fr   *pgppacket.Framing
	head bytes.Buffer
	max  int
	kind pgppacket.MessageKind
	seen bool
}

func newValidator(r io.Reader) *validator {
	return &validator{fr: pgppacket.NewFraming(r), max: 256 << 10}
}

func (v *validator) Read(p []byte) (int, error) {
	n, err := v.fr.Read(p)
	if n > 0 {
		if !v.seen && p[0]&0x80 == 0 {
			return 0, errNotOpenPGP // not a packet header: stop at once
		}
		v.seen = true
		if room := v.max - v.head.Len(); room > 0 {
			v.head.Write(p[:min(n, room)])
		}
	}
	if err == io.EOF {
		if !v.seen || v.fr.Finish() != nil {
			return n, errNotOpenPGP
		}
		kind, ok := pgppacket.KindOf(v.fr.Tags())
		switch {
		case !ok:
			return n, errNotOpenPGP
		case kind == pgppacket.Literal:
			return n, errPlaintext
		}
		v.kind = kind
	}
	return n, err
}

// recipients returns the key IDs named by the key packets at the head of
// the upload (hidden recipients, key ID 0, are left out).
func (v *validator) recipients() []uint64 {
	if v.kind != pgppacket.Encrypted {
		return nil
	}
	s, err := pgppacket.SplitMessage(bytes.NewReader(v.head.Bytes()))
	if err != nil {
		return nil
	}
	var ids []uint64
	for _, kp := range s.KeyPackets {
		if ek, err := packet.Read(bytes.NewReader(kp)); err == nil {
			if k, ok := ek.(*packet.EncryptedKey); ok && k.KeyId != 0 {
				ids = append(ids, k.KeyId)
			}
		}
	}
	return ids
}

// uploadRate rate-limits uploads: by persona when the upload claims one
// (it is verified once the body is read), and always by client IP.
func (n *Node) uploadRate(c echo.Context) error {
	if signer := c.Request().Header.Get("Veil-Signer"); signer != "" {
		return RateLimit(n.personaLimit, func(echo.Context) string { return "key:" + strings.ToUpper(signer) })(c)
	}
	return RateLimit(n.anonLimit, ClientIP)(c)
}

func (n *Node) postBlob(c echo.Context) error {
	ctx := c.Request().Context()
	r := c.Request()
	shareKey := r.Header.Get("Veil-Share-Key")
	if _, err := relayclient.ParseShareKey(shareKey); shareKey != "" && err != nil {
		return api.Errorf(http.StatusBadRequest, api.CodeBadRequest, "Veil-Share-Key must be ed25519:<base64url of 32 bytes>")
	}
	owner := "ip:" + c.RealIP()
	var body io.Reader = r.Body
	if signer := r.Header.Get("Veil-Signer"); signer != "" {
		key, err := n.signerKey(ctx, signer)
		if err != nil {
			return err
		}
		sig, err := base64.StdEncoding.DecodeString(r.Header.Get("Veil-Signature"))
		if err != nil || len(sig) == 0 {
			return api.Errorf(http.StatusUnauthorized, api.CodeUnauthorized, "Veil-Signature must be a base64 detached OpenPGP signature")
		}
		vr := verifyWhileReading(body, key, sig)
		defer vr.abort()
		body = vr
		owner = "key:" + persona.Fingerprint(key)
	} else if r.ContentLength > 0 && n.store.Usage(owner)+r.ContentLength > n.cfg.QuotaAnon {
		return api.Errorf(http.StatusTooManyRequests, api.CodeQuota, "anonymous quota of %d bytes used up: sign uploads with a persona", n.cfg.QuotaAnon)
	}
	v := newValidator(body)
	blob, err := n.store.Put(ctx, v, owner)
	if err != nil {
		return uploadError(err)
	}
	n.metrics.uploads.Inc()
	n.metrics.uploadBytes.Add(float64(blob.Size))
	if shareKey != "" {
		if err := n.setOwnerKey(ctx, blob.CID, shareKey); err != nil {
			return err
		}
	}
	if err := n.replicateBlob(ctx, blob.CID, owner, shareKey); err != nil {
		return err
	}
	recipients := v.recipients()
	for _, id := range recipients {
		n.publish(ctx, relayclient.InboxChannel(id), map[string]any{"type": "post", "cid": blob.CID.String(), "size": blob.Size})
	}
	n.announce(ctx, blob, recipients)
	return c.JSON(http.StatusCreated, map[string]any{"cid": blob.CID.String(), "size": blob.Size})
}

// uploadError maps a failed Put to an API error.
func uploadError(err error) error {
	var ae *api.Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &mbe), errors.Is(err, storage.ErrTooLarge):
		return api.Errorf(http.StatusRequestEntityTooLarge, api.CodeTooLarge, "blob is too large")
	case errors.Is(err, storage.ErrQuota):
		return api.Errorf(http.StatusTooManyRequests, api.CodeQuota, "storage quota used up")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.Canceled):
		return api.Errorf(http.StatusBadRequest, api.CodeBadRequest, "upload ended early")
	}
	return err
}

// signerKey finds the key of a persona that signs an upload.
func (n *Node) signerKey(ctx context.Context, fpr string) (*openpgp.Entity, error) {
	rec, err := n.dir.Get(ctx, strings.ToUpper(fpr))
	if err != nil || rec == nil {
		return nil, api.Errorf(http.StatusUnauthorized, api.CodeUnauthorized, "signer %s is not in this relay's directory: publish the key first", fpr)
	}
	el, err := persona.ReadKeys([]byte(rec.Armored))
	if err != nil {
		return nil, err
	}
	return el[0], nil
}

// errBadUploadSignature ends an upload whose signature does not verify.
var errBadUploadSignature = api.Errorf(http.StatusUnauthorized, api.CodeUnauthorized, "upload signature does not verify")

// verifyWhileReading checks a detached signature over everything read
// from r, in a goroutine fed as the body streams by. At the end of r the
// returned reader yields errBadUploadSignature instead of io.EOF when the
// signature does not verify, so the store pins nothing.
func verifyWhileReading(r io.Reader, key *openpgp.Entity, sig []byte) *verifyingReader {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, _, err := openpgp.VerifyDetachedSignature(openpgp.EntityList{key}, pr, bytes.NewReader(sig), nil)
		pr.CloseWithError(errors.New("signature check finished")) // unblock a writer if it stopped early
		done <- err
	}()
	return &verifyingReader{r: r, pw: pw, done: done}
}

// verifyingReader feeds what it reads to the signature check and reports
// the check's outcome at the end.
type verifyingReader struct {
	r    io.Reader
	pw   *io.PipeWriter
	done chan error
	err  error // outcome once known
}

// abort ends the check if the body was not read to its end, so its
// goroutine does not outlive the request.
func (v *verifyingReader) abort() {
	if v.err == nil {
		v.pw.CloseWithError(errors.New("upload aborted"))
		<-v.done
		v.err = io.ErrUnexpectedEOF
	}
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	if n > 0 {
		v.pw.Write(p[:n]) // fails only once the check has ended; the outcome says why
	}
	switch {
	case err == io.EOF:
		v.pw.Close()
		if verr := <-v.done; verr != nil {
			v.err = errBadUploadSignature
			return n, v.err
		}
		v.err = io.EOF
	case err != nil:
		v.pw.CloseWithError(err)
		<-v.done
		v.err = err
	}
	return n, err
}

func (n *Node) getBlob(c echo.Context) error {
	id, err := parseCID(c.Param("cid"))
	if err != nil {
		return err
	}
	rd, size, err := n.store.Open(c.Request().Context(), id)
	if errors.Is(err, storage.ErrNotFound) && n.cluster != nil {
		// It may have been uploaded to another process just now.
		n.catchUp(c.Request().Context())
		rd, size, err = n.store.Open(c.Request().Context(), id)
	}
	if errors.Is(err, storage.ErrNotFound) && n.libp2p() != nil {
		if ferr := n.fetchRemote(c.Request().Context(), id); ferr == nil {
			rd, size, err = n.store.Open(c.Request().Context(), id)
		}
	}
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return api.Errorf(http.StatusNotFound, api.CodeNotFound, "no blob %s here", id)
	case errors.Is(err, storage.ErrCorrupt):
		n.log.Error("corrupt blob refused", "cid", id.String())
		return api.Errorf(http.StatusInternalServerError, api.CodeInternal, "blob %s failed its integrity check", id)
	case err != nil:
		return err
	}
	defer rd.Close()
	h := c.Response().Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("ETag", `"`+id.String()+`"`)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	_ = size
	http.ServeContent(c.Response(), c.Request(), "", time.Time{}, rd)
	return nil
}

func parseCID(s string) (cid.Cid, error) {
	id, err := cid.Decode(s)
	if err != nil {
		return cid.Undef, api.Errorf(http.StatusBadRequest, api.CodeBadCID, "malformed CID %q", truncate(s, 80))
	}
	return id, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// publish sends an event to a channel's subscribers; failures are logged,
// never returned (the write they follow has succeeded).
func (n *Node) publish(ctx context.Context, channel string, v any) {
	data, err := json.Marshal(v)
	if err == nil {
		_, err = n.hub.Publish(context.WithoutCancel(ctx), channel, data)
	}
	if err != nil {
		n.log.Warn("publish failed", "channel", channel, "err", err)
	}
}

// ownerKey is where a blob's share key is kept.
func ownerKey(id cid.Cid) datastore.Key { return datastore.NewKey("/owner/" + id.String()) }

func (n *Node) setOwnerKey(ctx context.Context, id cid.Cid, key string) error {
	// The first upload's key stands; a later upload of the same bytes
	// cannot take the post over.
	if has, err := n.meta.Has(ctx, ownerKey(id)); err != nil || has {
		return err
	}
	return n.meta.Put(ctx, ownerKey(id), []byte(key))
}

// probeCID is a CID the health check asks the store about.
var probeCID = cid.MustParse("bafkqaaa") // the identity CID of empty data
