package relayclient

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/persona"
)

// SubmitResult is what the directory did with a published key.
type SubmitResult struct {
	Keys []KeyStatus `json:"keys"`
	// Rejected lists keys of a multi-key upload that were refused while
	// others were taken.
	Rejected []Rejected `json:"rejected,omitempty"`
}

// KeyStatus is what became of one key: Status is "new", "updated" (something
// was merged into a known key) or "unchanged".
type KeyStatus struct {
	Fingerprint string `json:"fingerprint"`
	Status      string `json:"status"`
}

// Rejected is a key the directory did not take, and why.
type Rejected struct {
	Fingerprint string `json:"fingerprint,omitempty"`
	Reason      string `json:"reason"`
}

// PublishKey publishes public keys, armored or binary, in the relay's
// directory. The relay refuses secret key material (the whole upload) and
// keys without valid self-signatures (code "bad_key").
func (c *Client) PublishKey(ctx context.Context, key []byte) (SubmitResult, error) {
	ctype := "application/pgp-keys"
	if len(key) > 0 && key[0]&0x80 != 0 {
		ctype = "application/octet-stream"
	}
	var res SubmitResult
	err := c.doJSON(ctx, request{method: "POST", path: "/v1/keys", body: key, ctype: ctype}, &res)
	return res, err
}

// Query selects keys in a directory. Set exactly one field.
type Query struct {
	// Fingerprint of the primary key or of a subkey, hex.
	Fingerprint string
	// KeyID of the primary key or of a subkey, 16 hex digits.
	KeyID string
	// Email in a user ID (nobody checked the key's owner reads it).
	Email string
	// Handle claimed by the key, "site:handle" as persona.ParseClaim reads
	// it ("twitter:alice", "@alice"). The claim is the key's say-so: verify
	// it against the profile before trusting it.
	Handle string
}

func (q Query) values() (url.Values, error) {
	v := url.Values{}
	set := func(name, val string) {
		if val = strings.TrimSpace(val); val != "" {
			v.Set(name, val)
		}
	}
	set("fingerprint", q.Fingerprint)
	set("keyid", q.KeyID)
	set("email", q.Email)
	if h := strings.TrimSpace(q.Handle); h != "" {
		c, err := persona.ParseClaim(h)
		if err != nil {
			return nil, fmt.Errorf("relayclient: %w", err)
		}
		v.Set("handle", c.String())
	}
	if len(v) != 1 {
		return nil, errors.New("relayclient: a key query sets exactly one of fingerprint, key ID, email and handle")
	}
	return v, nil
}

// KeyRecord is what a directory knows about a key. Everything but Key is the
// relay's say-so; Key is the certificate parsed by the client, and what the
// record's identity fields are checked against.
type KeyRecord struct {
	Fingerprint string   `json:"fingerprint"`
	KeyIDs      []string `json:"key_ids"`
	UserIDs     []string `json:"user_ids"`
	// Emails and Claims are what the key says; neither is verified.
	Emails  []string        `json:"emails"`
	Claims  []persona.Claim `json:"claims"`
	Created time.Time       `json:"created"`
	Expires time.Time       `json:"expires,omitzero"`
	Added   time.Time       `json:"added"`
	Updated time.Time       `json:"updated"`
	Revoked bool            `json:"revoked"`
	Armored string          `json:"armored"`

	// Key is the parsed certificate (public only).
	Key *openpgp.Entity `json:"-"`
}

// LookupKeys asks the directory for every key that matches q. No match is an
// empty list. Each key returned is parsed and checked: it must be the key
// its record names, public only, and match the query (the fingerprint or key
// ID is the key's or a subkey's, the email is in a user ID, the handle is
// claimed by the key); otherwise LookupKeys fails with ErrMismatch.
func (c *Client) LookupKeys(ctx context.Context, q Query) ([]KeyRecord, error) {
	v, err := q.values()
	if err != nil {
		return nil, err
	}
	var out struct {
		Keys []KeyRecord `json:"keys"`
	}
	err = c.doJSON(ctx, request{method: "GET", path: "/v1/keys", query: v}, &out)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for i := range out.Keys {
		if err := out.Keys[i].check(q); err != nil {
			return nil, err
		}
	}
	return out.Keys, nil
}

// GetKey fetches the record of the key with this primary fingerprint
// (ErrNotFound when the directory does not have it).
func (c *Client) GetKey(ctx context.Context, fingerprint string) (*KeyRecord, error) {
	fpr := normalizeHex(fingerprint)
	if len(fpr) != 40 && len(fpr) != 64 {
		return nil, fmt.Errorf("relayclient: fingerprint %q: want 40 or 64 hex digits", fingerprint)
	}
	var rec KeyRecord
	if err := c.doJSON(ctx, request{method: "GET", path: "/v1/keys/" + fpr}, &rec); err != nil {
		return nil, err
	}
	if err := rec.check(Query{Fingerprint: fpr}); err != nil {
		return nil, err
	}
	if persona.Fingerprint(rec.Key) != fpr {
		return nil, fmt.Errorf("%w: asked for key %s, got %s", ErrMismatch, fpr, persona.Fingerprint(rec.Key))
	}
	return &rec, nil
}

// check parses the record's certificate into Key and checks it against the
// record and the query.
func (r *KeyRecord) check(q Query) error {
	el, err := persona.ReadKeys([]byte(r.Armored))
	if err != nil || len(el) != 1 {
		return fmt.Errorf("%w: the record of %s does not hold one key", ErrMismatch, r.Fingerprint)
	}
	e := el[0]
	if e.PrivateKey != nil {
		return fmt.Errorf("%w: the record of %s holds a secret key", ErrMismatch, r.Fingerprint)
	}
	fpr := persona.Fingerprint(e)
	if fpr != normalizeHex(r.Fingerprint) {
		return fmt.Errorf("%w: the record of %s holds key %s", ErrMismatch, r.Fingerprint, fpr)
	}
	if !matches(e, q) {
		return fmt.Errorf("%w: key %s does not match the query", ErrMismatch, fpr)
	}
	r.Fingerprint = fpr
	r.Key = e
	return nil
}

// matches reports whether the key e answers q.
func matches(e *openpgp.Entity, q Query) bool {
	switch {
	case q.Fingerprint != "":
		want := normalizeHex(q.Fingerprint)
		if persona.Fingerprint(e) == want {
			return true
		}
		for _, s := range e.Subkeys {
			if fmt.Sprintf("%X", s.PublicKey.Fingerprint) == want {
				return true
			}
		}
	case q.KeyID != "":
		want := normalizeHex(q.KeyID)
		if persona.KeyIDString(e.PrimaryKey.KeyId) == want {
			return true
		}
		for _, s := range e.Subkeys {
			if persona.KeyIDString(s.PublicKey.KeyId) == want {
				return true
			}
		}
	case q.Email != "":
		want := strings.ToLower(strings.TrimSpace(q.Email))
		for _, id := range e.Identities {
			if id.UserId != nil && strings.ToLower(id.UserId.Email) == want {
				return true
			}
		}
	case q.Handle != "":
		want, err := persona.ParseClaim(q.Handle)
		if err != nil {
			return false
		}
		for _, c := range persona.Claims(e) {
			if c.Equal(want) {
				return true
			}
		}
	}
	return false
}

// normalizeHex upper-cases hex and drops a 0x prefix and spaces.
func normalizeHex(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
	}
	return strings.ToUpper(s)
}
