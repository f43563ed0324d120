package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/gorilla/websocket"
	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/payload"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// DefaultRelay is the relay the commands use without --relay or $VEIL_RELAY:
// a `veil relay` on this machine.
const DefaultRelay = "http://127.0.0.1:8080"

// requestTimeout bounds each command's calls to a relay (not veil watch).
const requestTimeout = 2 * time.Minute

// relayFlags is the --relay option of the commands that talk to a relay.
type relayFlags struct {
	url string
}

func (r *relayFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.url, "relay", "", "relay base URL (default $VEIL_RELAY or "+DefaultRelay+")")
}

// base is the relay to use: --relay, else linked (the relay a link names),
// else $VEIL_RELAY, else DefaultRelay.
func (r *relayFlags) base(env Env, linked string) string {
	switch {
	case r.url != "":
		return r.url
	case linked != "":
		return linked
	case env.Getenv("VEIL_RELAY") != "":
		return env.Getenv("VEIL_RELAY")
	}
	return DefaultRelay
}

// client returns a client of the relay base chooses.
func (r *relayFlags) client(env Env, linked string) (*relayclient.Client, error) {
	c, err := relayclient.New(r.base(env, linked), relayclient.WithUserAgent("veil/"+Version))
	if err != nil {
		return nil, usagef("%v", err)
	}
	return c, nil
}

// commandContext is the context of a command that talks to a relay: it ends
// on an interrupt, and after timeout when that is not zero.
func commandContext(timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if timeout <= 0 {
		return ctx, stop
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	return tctx, func() { cancel(); stop() }
}

// dialWebSocket opens a relay's event stream with gorilla/websocket: the
// command line's relayclient.Dialer. A refused upgrade becomes the relay's
// *relayclient.Error.
func dialWebSocket(ctx context.Context, url string) (relayclient.Conn, error) {
	d := websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 30 * time.Second,
	}
	h := http.Header{}
	h.Set("User-Agent", "veil/"+Version)
	ws, resp, err := d.DialContext(ctx, url, h)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			defer resp.Body.Close()
			return nil, relayclient.ResponseError(resp)
		}
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	return ws, nil
}

// target is a post a command was pointed at: on a relay, or inline.
type target struct {
	relay   string  // the relay the link names; "" for a bare CID
	id      cid.Cid // the relay's CID; for an inline message, BlobCID of it
	inline  []byte  // the message of an inline link
	display string  // how to name it to the user
}

// parseTarget reads a link, an inline link or a CID, or feed text holding
// one of them. A site's short link is followed to its target (one request,
// no redirect followed beyond it).
func parseTarget(ctx context.Context, s string) (target, error) {
	p, err := payload.Parse(s)
	if err != nil && !errors.Is(err, payload.ErrTruncated) {
		ps := payload.Find(s)
		if len(ps) != 1 {
			return target{}, err
		}
		p = ps[0]
	}
	return payloadTarget(ctx, p)
}

// payloadTarget turns a payload found in text into a target.
func payloadTarget(ctx context.Context, p payload.Payload) (target, error) {
	if p.Truncated {
		return target{}, fmt.Errorf("the link %s… was cut short where it was shown: copy the link itself", p.URL)
	}
	switch p.Kind {
	case payload.KindLink:
		d := p.URL
		if d == "" {
			d = p.CID.String()
		}
		return target{relay: p.Relay, id: p.CID, display: d}, nil
	case payload.KindInline:
		return target{relay: p.Relay, id: relayclient.BlobCID(p.Message), inline: p.Message, display: "inline post " + relayclient.BlobCID(p.Message).String()}, nil
	case payload.KindShortened:
		to, err := resolveShortLink(ctx, p.URL)
		if err != nil {
			return target{}, err
		}
		q, err := payload.Parse(to)
		if err != nil || q.Kind == payload.KindShortened {
			return target{}, fmt.Errorf("%s leads to %s, not a Veil post", p.URL, to)
		}
		return payloadTarget(ctx, q)
	}
	return target{}, payload.ErrNotVeil
}

// resolveShortLink asks a link shortener (t.co, fb.me) where a link goes,
// without going there.
func resolveShortLink(ctx context.Context, link string) (string, error) {
	hc := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, link, nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", link, err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", fmt.Errorf("%s does not redirect anywhere (%s)", link, resp.Status)
	}
	return loc, nil
}

// fetched is a post message with the shares the relay has for it.
type fetched struct {
	target
	msg    []byte
	shares [][]byte
	client *relayclient.Client
}

// fetch gets a target's message (unless it is inline) and its shares. An
// inline post's shares are looked for on its relay, and that failing is
// only a warning: the post itself is in hand.
func fetch(ctx context.Context, env Env, rf *relayFlags, t target) (*fetched, error) {
	c, err := rf.client(env, t.relay)
	if err != nil {
		return nil, err
	}
	f := &fetched{target: t, msg: t.inline, client: c}
	if f.msg == nil {
		if f.msg, err = c.Get(ctx, t.id); err != nil {
			return nil, fmt.Errorf("fetching %s from %s: %w", t.id, c.BaseURL(), err)
		}
	}
	f.shares, err = c.Shares(ctx, t.id)
	if err != nil {
		if t.inline == nil {
			return nil, fmt.Errorf("fetching the shares of %s from %s: %w", t.id, c.BaseURL(), err)
		}
		fmt.Fprintf(env.Stderr, "veil: no shares for the inline post (%v)\n", err)
	}
	return f, nil
}

// open decrypts and verifies a fetched post. Should the relay's shares break
// the message, it is opened again without them: a relay can withhold shares,
// not stop a reader the post itself names.
func (f *fetched) open(opts *envelope.OpenOptions) (*envelope.OpenedPost, error) {
	op, err := envelope.OpenPost(bytes.NewReader(f.msg), opts, f.shares...)
	if err != nil && len(f.shares) > 0 && errors.Is(err, envelope.ErrCorrupt) {
		op, err = envelope.OpenPost(bytes.NewReader(f.msg), opts)
	}
	return op, err
}

// postReport is what read prints about a post: decrypt's report and where
// the post came from.
func postReport(op *envelope.OpenedPost) decryptReport {
	rep := decryptReport{Public: op.Audience == envelope.Public, Signature: op.Signature.Status.String()}
	post := op.Post
	rep.Post = &post
	rep.Signer = op.Signature.Fingerprint
	if op.Signature.Signer != nil {
		rep.SignerUID = persona.UserID(op.Signature.Signer)
	}
	if rep.Signer == "" {
		rep.Signer = persona.KeyIDString(op.Signature.IssuerKeyID)
	}
	for _, r := range op.Recipients {
		if r.Hidden {
			rep.Hidden++
			continue
		}
		rep.Recipients = append(rep.Recipients, persona.KeyIDString(r.KeyID))
	}
	if op.SessionKey != nil {
		rep.SessionKey = op.SessionKey.String()
	}
	return rep
}

// encryptionKeyIDs are the key IDs a persona's posts are encrypted to: its
// valid encryption subkeys (or, for an odd key, all of its keys).
func encryptionKeyIDs(e *openpgp.Entity) []uint64 {
	var ids []uint64
	now := time.Now()
	for _, sk := range e.Subkeys {
		sig, err := sk.Verify(now, nil)
		if err == nil && sig.FlagsValid && (sig.FlagEncryptCommunications || sig.FlagEncryptStorage) {
			ids = append(ids, sk.PublicKey.KeyId)
		}
	}
	if len(ids) == 0 {
		ids = append(ids, e.PrimaryKey.KeyId)
		for _, sk := range e.Subkeys {
			ids = append(ids, sk.PublicKey.KeyId)
		}
	}
	return ids
}

// readText reads the text argument of a command: the arguments joined, or
// stdin without any (at most 1 MiB, what payload.Find reads).
func readText(env Env, args []string) (string, error) {
	if len(args) > 0 && !(len(args) == 1 && args[0] == "-") {
		return strings.Join(args, " "), nil
	}
	b, err := io.ReadAll(io.LimitReader(env.Stdin, 1<<20))
	return string(b), err
}
