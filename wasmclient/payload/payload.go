package payload

import (
	"errors"

	"github.com/ipfs/go-cid"
)

// Marker is the line that introduces an encrypted post in the feed.
const Marker = "🔒 Encrypted with Veil"

// PublicMarker introduces a public post: signed by its author, readable by
// anyone, and so never labelled as encrypted.
const PublicMarker = "🔓 Signed with Veil"

// MaxInline is the largest message, in bytes, that Inline puts in a link.
//
// Its base64url form is at most 2,731 characters, so an inline link stays
// under about 2,800 characters with a usual relay name. The tweet length is
// not what limits it (Twitter/X counts every link as 23 characters, however
// long): the limit is how long a URL the sites, their link wrappers, the
// clipboard and the browsers carry intact. Links of a couple of thousand
// characters are within what all of them handle; much longer ones risk being
// cut or refused somewhere on the way. A larger message goes to a relay.
const MaxInline = 2048

var (
	// ErrNotVeil means the text is not a Veil link or CID.
	ErrNotVeil = errors.New("payload: not a Veil link")

	// ErrBadCID means a Veil link or a bare CID holds something that is not
	// a valid CID.
	ErrBadCID = errors.New("payload: invalid CID")

	// ErrBadInline means an inline link does not carry a well-formed
	// OpenPGP message, or Inline was given something that is not one.
	ErrBadInline = errors.New("payload: invalid inline message")

	// ErrTruncated means the link was cut short where it was displayed (it
	// ends with an ellipsis) before the CID or message was complete. The full
	// link has to be read from elsewhere, such as the anchor's href.
	ErrTruncated = errors.New("payload: link truncated by the site")

	// ErrTooLarge means a message is larger than MaxInline. Parse returns it
	// together with ErrBadInline.
	ErrTooLarge = errors.New("payload: message too large for an inline link")
)

// Kind is the form a payload takes in page text.
type Kind int

const (
	// KindLink is a link to a message stored on a relay: https://relay/p/<cid>.
	KindLink Kind = iota + 1

	// KindInline is a link that carries the whole message in its fragment:
	// https://relay/p/#v1.<base64url>.
	KindInline

	// KindShortened is a site's short link (t.co, fb.me) that followed a Veil
	// marker. Its target is unknown until the caller resolves it.
	KindShortened
)

func (k Kind) String() string {
	switch k {
	case KindLink:
		return "link"
	case KindInline:
		return "inline"
	case KindShortened:
		return "shortened"
	}
	return "unknown"
}

// Payload is one Veil post found in text.
type Payload struct {
	Kind Kind

	// Relay is the relay's base URL, scheme and host, such as
	// "https://relay.example" or "http://127.0.0.1:8080", in lower case and
	// without a default port. It is empty for a bare CID and for a
	// shortened link.
	//
	// Relays are reached over HTTPS. Plain HTTP is only for a relay on the
	// local machine (localhost, 127.0.0.0/8, [::1]), as in development: a
	// link without a scheme is taken as HTTPS, or as HTTP for a loopback
	// host, and an http:// link to any other host is read as HTTPS.
	Relay string

	// CID addresses the message on the relay, for KindLink. It is undefined
	// when Truncated is set.
	CID cid.Cid

	// Message is the binary OpenPGP message of KindInline. It is nil when
	// Truncated is set.
	Message []byte

	// URL is the link in normal form: the scheme added, the host in lower
	// case, query and fragment of a relay link left out (the fragment of an
	// inline link is kept, re-encoded). It is what Link or Inline would make
	// for this payload. For a truncated link, it is the part that was shown.
	URL string

	// Truncated reports that the site cut the displayed link short before
	// its CID or message was complete, so neither is set. The caller should
	// read the link from the anchor's href instead.
	Truncated bool
}
