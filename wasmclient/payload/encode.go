package payload

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

// inlinePrefix starts the fragment of an inline link. The version leaves room
// for another encoding without confusing readers of this one.
const inlinePrefix = "v1."

// Link returns the link to the message c on relay:
// https://<host[:port]>/p/<cid>, the CID in go-cid's string form (base32 for a
// CIDv1).
//
// relay is a host name with an optional port, or a base URL whose path is
// ignored. Relays are reached over HTTPS; a plain http:// scheme is kept only
// for a loopback relay (local development), as Find would read it.
//
// Link does not validate its arguments: with an undefined CID or a relay that
// is not a host name, the result is not a Veil link, as Parse would report.
func Link(relay string, c cid.Cid) string {
	return relayBase(relay) + "/p/" + c.String()
}

// Inline returns a link that carries msg, a binary OpenPGP message, in its
// fragment: https://<host[:port]>/p/#v1.<base64url, no padding>. Browsers do
// not send the fragment to the relay, so the post can be read with no relay.
//
// Inline returns ErrTooLarge if msg is larger than MaxInline, and
// ErrBadInline if msg is not a whole binary OpenPGP message (a sequence of
// packets shaped like an encrypted or signed message).
func Inline(relay string, msg []byte) (string, error) {
	if len(msg) > MaxInline {
		return "", fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(msg), MaxInline)
	}
	if !pgppacket.IsMessage(msg) {
		return "", fmt.Errorf("%w: not a binary OpenPGP message", ErrBadInline)
	}
	return inlineLink(relayBase(relay), msg), nil
}

func inlineLink(base string, msg []byte) string {
	return base + "/p/#" + inlinePrefix + base64.RawURLEncoding.EncodeToString(msg)
}

// FeedText returns the text to post for an encrypted post: Marker, a space
// and link.
func FeedText(link string) string {
	return Marker + " " + link
}

// PublicFeedText returns the text to post for a public (signed, not
// encrypted) post: PublicMarker, a space and link.
func PublicFeedText(link string) string {
	return PublicMarker + " " + link
}

// relayBase turns the relay argument of Link and Inline into a base URL. It
// normalizes what it can and keeps the rest as given.
func relayBase(relay string) string {
	r := strings.TrimSpace(relay)
	scheme := "https"
	if i := strings.Index(r, "://"); i >= 0 {
		if strings.EqualFold(r[:i], "http") {
			scheme = "http"
		}
		r = r[i+3:]
	}
	if i := strings.IndexAny(r, "/?#"); i >= 0 {
		r = r[:i]
	}
	r = strings.ToLower(r)
	host, port, ok := splitHostPort(r)
	if !ok {
		if scheme == "http" && !isLoopback(r) {
			scheme = "https"
		}
		return scheme + "://" + r
	}
	return origin(scheme, host, port)
}
