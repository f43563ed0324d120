package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
)

// PostVersion is the version of the post document this package writes.
const PostVersion = 1

// Limits on a post document.
const (
	// MaxPostSize caps the document inside a post message.
	MaxPostSize = 1 << 20
	// MaxAttachments caps the attachment CIDs a post may list.
	MaxAttachments = 64
)

// Post is the document inside a post message. It is JSON in the literal
// data packet, so `gpg -d` shows it as it is.
type Post struct {
	Version int       `json:"v"`
	Text    string    `json:"text"`
	Created time.Time `json:"created"`
	// Author is the fingerprint (upper-case hex) of the key that signs the
	// post. Opening a post checks that it is the signer's.
	Author string `json:"author"`
	// Site and Handle say where the post was published and by whom there
	// ("twitter", "alice").
	Site   string `json:"site,omitempty"`
	Handle string `json:"handle,omitempty"`
	// ReplyTo is the CID of the post this one answers.
	ReplyTo string `json:"reply_to,omitempty"`
	// Attachments are CIDs of separately stored encrypted files.
	Attachments []string `json:"attachments,omitempty"`
}

// Validate checks a post document's fields.
func (p *Post) Validate() error {
	switch {
	case p.Version != PostVersion:
		return fmt.Errorf("post version %d", p.Version)
	case !utf8.ValidString(p.Text):
		return errors.New("post text is not UTF-8")
	case p.Author == "" || !isUpperHex(p.Author) || (len(p.Author) != 40 && len(p.Author) != 64):
		return fmt.Errorf("bad author fingerprint %q", p.Author)
	case len(p.Attachments) > MaxAttachments:
		return fmt.Errorf("more than %d attachments", MaxAttachments)
	}
	return nil
}

func isUpperHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789ABCDEF", r) {
			return false
		}
	}
	return true
}

// Audience says who may read a post.
type Audience int

const (
	// Private: encrypted to the chosen recipients and the author.
	Private Audience = iota
	// Public: signed, not encrypted; anyone can read it.
	Public
)

// PostOptions tune SealPost.
type PostOptions struct {
	Audience Audience
	// Hidden hides the recipients' key IDs (private posts only).
	Hidden bool
}

// SealPost writes a post as one OpenPGP message, signed by author. A
// private post is encrypted to the recipients and to the author (added if
// missing); a public one is only signed. The post's Version, Author and
// (if zero) Created are filled in.
func SealPost(w io.Writer, post Post, author *openpgp.Entity, to []*openpgp.Entity, opts *PostOptions) error {
	if opts == nil {
		opts = &PostOptions{}
	}
	if author == nil {
		return newError("post", ErrNoSigner, nil)
	}
	post.Version = PostVersion
	post.Author = hexFingerprint(author.PrimaryKey.Fingerprint)
	if post.Created.IsZero() {
		post.Created = time.Now().UTC().Truncate(time.Second)
	}
	if err := post.Validate(); err != nil {
		return newError("post", ErrUnsupported, err)
	}
	doc, err := json.Marshal(post)
	if err != nil {
		return err
	}
	if len(doc) > MaxPostSize {
		return newError("post", ErrTooLarge, fmt.Errorf("%d bytes", len(doc)))
	}
	seal := &SealOptions{Hidden: opts.Hidden, Time: post.Created}
	var pw io.WriteCloser
	if opts.Audience == Public {
		pw, err = Sign(w, author, seal)
	} else {
		pw, err = Encrypt(w, withAuthor(to, author), author, seal)
	}
	if err != nil {
		return err
	}
	if _, err := pw.Write(doc); err != nil {
		return err
	}
	return pw.Close()
}

func withAuthor(to []*openpgp.Entity, author *openpgp.Entity) []*openpgp.Entity {
	for _, e := range to {
		if bytes.Equal(e.PrimaryKey.Fingerprint, author.PrimaryKey.Fingerprint) {
			return to
		}
	}
	return append(append([]*openpgp.Entity(nil), to...), author)
}

// OpenedPost is a decrypted post with what is known about it.
type OpenedPost struct {
	Post
	// Audience is Public for signed-only posts.
	Audience Audience
	// Signature is the author's signature: SigGood when the author's key
	// is in the keyring, SigUnknownSigner when it is not (the reader
	// should fetch the key named by Post.Author and open again).
	Signature Signature
	// Recipients are the key packets of the message and shares.
	Recipients []Recipient
	// SessionKey is set when asked for, to add recipients later.
	SessionKey *SessionKey
}

// OpenPost decrypts and verifies a post message. shares are key packets
// published after the post (see Share); they are put in front of the
// message. It fails with ErrBadSignature if the post is not signed by the
// author it names, and with ErrUnsupported for a document it does not
// understand. A post with an unknown signer is returned with
// Signature.Status == SigUnknownSigner.
func OpenPost(msg io.Reader, opts *OpenOptions, shares ...[]byte) (*OpenedPost, error) {
	if opts == nil {
		opts = &OpenOptions{}
	}
	o := *opts
	if o.MaxSize == 0 || o.MaxSize > MaxPostSize {
		o.MaxSize = MaxPostSize
	}
	in, err := Join(msg, shares...)
	if err != nil {
		return nil, err
	}
	var doc bytes.Buffer
	res, err := Decrypt(in, &doc, &o)
	if err != nil {
		return nil, err
	}
	if !res.Signed || len(res.Signatures) == 0 {
		return nil, newError("verify", ErrBadSignature, errors.New("post is not signed"))
	}
	var p Post
	dec := json.NewDecoder(&doc)
	if err := dec.Decode(&p); err != nil {
		return nil, newError("post", ErrUnsupported, fmt.Errorf("not a post document: %v", err))
	}
	if p.Version != PostVersion {
		return nil, newError("post", ErrUnsupported, fmt.Errorf("post version %d", p.Version))
	}
	if err := p.Validate(); err != nil {
		return nil, newError("post", ErrUnsupported, err)
	}
	op := &OpenedPost{Post: p, Recipients: res.Recipients, SessionKey: res.SessionKey}
	if !res.Encrypted {
		op.Audience = Public
	}
	op.Signature = res.Signatures[0]
	if good, ok := res.Verified(); ok {
		op.Signature = good
		if good.Fingerprint != p.Author {
			return nil, newError("verify", ErrBadSignature, fmt.Errorf("post names author %s but is signed by %s", p.Author, good.Fingerprint))
		}
	}
	return op, nil
}
