package cli

import (
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/gorilla/websocket"

	"github.com/veilsocial/veil/wasmclient/envelope"
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
