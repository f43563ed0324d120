package federation

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/crypto"
	cryptopb "github.com/libp2p/go-libp2p/core/crypto/pb"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/multiformats/go-multihash"
)

// Limits of protocol version 1. They are part of the protocol, not of a
// node's configuration: every relay must agree on them, since a message one
// relay accepts and forwards must not get the forwarder penalized by the
// next.
const (
	// MaxRecipients caps the key IDs of one announcement.
	MaxRecipients = 1000
	// MaxKeySize caps the OpenPGP key of one key record (the directory's
	// own upload cap).
	MaxKeySize = 64 << 10
	// MaxAnnouncementSize caps an encoded announcement entry.
	MaxAnnouncementSize = 32 << 10
	// MaxKeyRecordSize caps an encoded key record entry (the key travels
	// base64-encoded inside the entry).
	MaxKeyRecordSize = 96 << 10
	// maxAddrs caps the origin addresses an announcement carries.
	maxAddrs = 8
	// maxAddrLen caps one of those addresses, in bytes.
	maxAddrLen = 256
)

// Entry kinds.
const (
	kindPost = "post" // an announcement
	kindKey  = "key"  // a directory record
)

// entryVersion is the first byte of an encoded entry.
const entryVersion = 1

// signingContext is prepended to an entry's body before it is signed, so
// that a node key's signature over an entry can never be taken for a
// signature over anything else.
const signingContext = "veil federation entry v1\n"

// Errors of decoding an entry. They are reasons to reject a message: the
// peer that sent it gets penalized.
var (
	ErrMalformed  = errors.New("federation: malformed entry")
	ErrSignature  = errors.New("federation: bad entry signature")
	ErrBadCID     = errors.New("federation: bad CID in announcement")
	ErrRecipients = errors.New("federation: too many or malformed recipients")
	ErrTooLarge   = errors.New("federation: entry over the size cap")
	ErrBadKey     = errors.New("federation: key record is not a valid OpenPGP public key")
)

// Announcement tells the network that a relay stores a post.
type Announcement struct {
	CID        cid.Cid   // the post's blob: CIDv1, raw or dag-pb, sha2-256
	Recipients []uint64  // key IDs of the post's recipients (0 for a hidden recipient)
	Size       int64     // bytes of the blob
	Time       time.Time // when the origin stored it
	Origin     peer.ID   // the relay that stores it (and signed the announcement)
}

// body is an entry as it is signed: JSON, in exactly the form
// encoding/json writes it (a decoder insists).
type body struct {
	Origin     string   `json:"origin"`
	Seq        uint64   `json:"seq"`
	Kind       string   `json:"kind"`
	Time       int64    `json:"time"` // unix milliseconds
	CID        string   `json:"cid,omitempty"`
	Recipients []string `json:"recipients,omitempty"` // 16 upper-case hex digits each
	Size       int64    `json:"size,omitempty"`
	Addrs      []string `json:"addrs,omitempty"` // the origin's multiaddrs, without /p2p
	Key        []byte   `json:"key,omitempty"`   // an OpenPGP public key, armored or binary
}

// entry is one decoded, verified entry of an origin's log.
type entry struct {
	origin peer.ID
	seq    uint64
	kind   string
	time   time.Time
	// for kindPost
	cid        cid.Cid
	recipients []uint64
	size       int64
	addrs      []ma.Multiaddr
	// for kindKey
	key []byte

	raw []byte // the encoded entry, as signed and sent
}

func (e *entry) announcement() Announcement {
	return Announcement{
		CID:        e.cid,
		Recipients: append([]uint64(nil), e.recipients...),
		Size:       e.size,
		Time:       e.time,
		Origin:     e.origin,
	}
}

// maxEntrySize is the size cap of an encoded entry of a kind.
func maxEntrySize(kind string) int {
	if kind == kindKey {
		return MaxKeyRecordSize
	}
	return MaxAnnouncementSize
}

// encodeEntry signs b with the node key and encodes it:
//
//	version (1 byte, 1) | Ed25519 signature (64 bytes) | body (JSON)
//
// The signature covers signingContext followed by the body.
func encodeEntry(key crypto.PrivKey, b *body) ([]byte, error) {
	js, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	sig, err := key.Sign(signedBytes(js))
	if err != nil {
		return nil, fmt.Errorf("federation: failed to sign entry: %w", err)
	}
	if len(sig) != 64 {
		return nil, errors.New("federation: node key is not Ed25519")
	}
	out := make([]byte, 0, 1+len(sig)+len(js))
	out = append(out, entryVersion)
	out = append(out, sig...)
	out = append(out, js...)
	if len(out) > maxEntrySize(b.Kind) {
		return nil, ErrTooLarge
	}
	return out, nil
}

func signedBytes(js []byte) []byte {
	return append([]byte(signingContext), js...)
}

// decodeEntry checks and decodes an encoded entry. want is the kind the
// caller expects ("" for either). The check is strict: the body must be
// exactly what encoding/json makes of its fields, the signature must be the
// origin's, and every field must be well-formed. A key record's key is
// checked by checkKey.
func decodeEntry(data []byte, want string) (*entry, error) {
	if len(data) > MaxKeyRecordSize || (want == kindPost && len(data) > MaxAnnouncementSize) {
		return nil, ErrTooLarge
	}
	if len(data) < 1+64+2 || data[0] != entryVersion {
		return nil, fmt.Errorf("%w: bad header", ErrMalformed)
	}
	sig, js := data[1:65], data[65:]
	var b body
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the body", ErrMalformed)
	}
	// Canonical form: no duplicate fields, no extra white space, no
	// alternative escapes.
	if canon, err := json.Marshal(&b); err != nil || !bytes.Equal(canon, js) {
		return nil, fmt.Errorf("%w: body is not in canonical form", ErrMalformed)
	}
	if want != "" && b.Kind != want {
		return nil, fmt.Errorf("%w: kind %q on the %q topic", ErrMalformed, b.Kind, want)
	}
	if len(data) > maxEntrySize(b.Kind) {
		return nil, ErrTooLarge
	}
	origin, err := peer.Decode(b.Origin)
	if err != nil || origin.String() != b.Origin {
		return nil, fmt.Errorf("%w: bad origin", ErrMalformed)
	}
	pub, err := origin.ExtractPublicKey()
	if err != nil || pub.Type() != cryptopb.KeyType_Ed25519 {
		return nil, fmt.Errorf("%w: origin is not an Ed25519 peer ID", ErrMalformed)
	}
	if ok, err := pub.Verify(signedBytes(js), sig); err != nil || !ok {
		return nil, ErrSignature
	}
	if b.Seq == 0 || b.Time <= 0 {
		return nil, fmt.Errorf("%w: missing seq or time", ErrMalformed)
	}
	e := &entry{origin: origin, seq: b.Seq, kind: b.Kind, time: time.UnixMilli(b.Time).UTC(), raw: data}
	switch b.Kind {
	case kindPost:
		if len(b.Key) != 0 {
			return nil, fmt.Errorf("%w: key in an announcement", ErrMalformed)
		}
		if e.cid, err = parseCID(b.CID); err != nil {
			return nil, err
		}
		if e.recipients, err = parseRecipients(b.Recipients); err != nil {
			return nil, err
		}
		if b.Size < 0 {
			return nil, fmt.Errorf("%w: negative size", ErrMalformed)
		}
		e.size = b.Size
		if len(b.Addrs) > maxAddrs {
			return nil, fmt.Errorf("%w: too many addresses", ErrMalformed)
		}
		for _, s := range b.Addrs {
			a, err := ma.NewMultiaddr(s)
			if err != nil || len(a.Bytes()) > maxAddrLen || a.String() != s {
				return nil, fmt.Errorf("%w: bad address", ErrMalformed)
			}
			if _, err := a.ValueForProtocol(ma.P_P2P); err == nil {
				return nil, fmt.Errorf("%w: address with /p2p", ErrMalformed)
			}
			e.addrs = append(e.addrs, a)
		}
	case kindKey:
		if b.CID != "" || len(b.Recipients) != 0 || b.Size != 0 || len(b.Addrs) != 0 {
			return nil, fmt.Errorf("%w: announcement fields in a key record", ErrMalformed)
		}
		if err := checkKey(b.Key); err != nil {
			return nil, err
		}
		e.key = b.Key
	default:
		return nil, fmt.Errorf("%w: unknown kind %q", ErrMalformed, b.Kind)
	}
	return e, nil
}

// parseCID accepts what the relay's store makes: CIDv1, raw or dag-pb,
// sha2-256, in its canonical string form.
func parseCID(s string) (cid.Cid, error) {
	c, err := cid.Decode(s)
	if err != nil {
		return cid.Undef, fmt.Errorf("%w: %v", ErrBadCID, err)
	}
	if err := checkCID(c); err != nil {
		return cid.Undef, err
	}
	if c.String() != s {
		return cid.Undef, fmt.Errorf("%w: not in canonical form", ErrBadCID)
	}
	return c, nil
}

func checkCID(c cid.Cid) error {
	if !c.Defined() || c.Version() != 1 {
		return fmt.Errorf("%w: want CIDv1", ErrBadCID)
	}
	if t := c.Type(); t != cid.Raw && t != cid.DagProtobuf {
		return fmt.Errorf("%w: codec %#x is neither raw nor dag-pb", ErrBadCID, t)
	}
	if p := c.Prefix(); p.MhType != multihash.SHA2_256 || p.MhLength != 32 {
		return fmt.Errorf("%w: hash is not sha2-256", ErrBadCID)
	}
	return nil
}

func parseRecipients(ss []string) ([]uint64, error) {
	if len(ss) > MaxRecipients {
		return nil, fmt.Errorf("%w: %d recipients (at most %d)", ErrRecipients, len(ss), MaxRecipients)
	}
	out := make([]uint64, 0, len(ss))
	seen := make(map[uint64]bool, len(ss))
	for _, s := range ss {
		if len(s) != 16 || strings.ToUpper(s) != s {
			return nil, fmt.Errorf("%w: key ID %q", ErrRecipients, s)
		}
		id, err := strconv.ParseUint(s, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: key ID %q", ErrRecipients, s)
		}
		if seen[id] && id != 0 {
			return nil, fmt.Errorf("%w: key ID %s twice", ErrRecipients, s)
		}
		seen[id] = true
		out = append(out, id)
	}
	return out, nil
}

func formatRecipients(ids []uint64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strings.ToUpper(hex.EncodeToString([]byte{
			byte(id >> 56), byte(id >> 48), byte(id >> 40), byte(id >> 32),
			byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id),
		}))
	}
	return out
}
