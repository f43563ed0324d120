package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/post"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// ContactInfo describes a contact (veil.d.ts ContactInfo).
type ContactInfo struct {
	Fingerprint string          `json:"fingerprint"`
	Name        string          `json:"name"`
	Email       string          `json:"email,omitempty"`
	Handles     []persona.Claim `json:"handles"`
	// Verified says how the key was verified: "proof" (a profile's
	// openpgp4fpr: link was checked, see CheckProof), "manual", or "".
	Verified string `json:"verified"`
}

func contactInfo(c *persona.Contact) *ContactInfo {
	info := &ContactInfo{
		Fingerprint: c.Fingerprint(),
		Name:        persona.Name(c.Key),
		Email:       persona.Email(c.Key),
		Handles:     nonNil(c.Handles),
	}
	switch {
	case len(c.Verified) > 0:
		info.Verified = "proof"
	case c.Source == "manual":
		info.Verified = "manual"
	}
	return info
}

// AddContact stores friends' public keys (armored or binary; secret parts
// are dropped), with the account they are known by here, and describes the
// first.
func (s *Session) AddContact(ctx context.Context, armored string, handle *persona.Claim) (*ContactInfo, error) {
	el, err := persona.ReadKeys([]byte(armored))
	if err != nil {
		return nil, err
	}
	info := persona.ContactInfo{Source: "import"}
	if handle != nil {
		if err := handle.Validate(); err != nil {
			return nil, err
		}
		info.Handles = []persona.Claim{*handle}
	}
	for _, e := range el {
		if err := s.store.AddContact(&persona.Contact{Key: e, ContactInfo: info}); err != nil {
			return nil, err
		}
	}
	c, err := s.contact(persona.Fingerprint(el[0]))
	if err != nil {
		return nil, err
	}
	return contactInfo(c), nil
}

// contact finds a contact by its fingerprint.
func (s *Session) contact(fingerprint string) (*persona.Contact, error) {
	fpr, err := checkFingerprint(fingerprint)
	if err != nil {
		return nil, err
	}
	return s.store.ContactByFingerprint(fpr)
}

// ListContacts lists the stored contacts.
func (s *Session) ListContacts(ctx context.Context) ([]*ContactInfo, error) {
	cs, err := s.store.Contacts()
	if err != nil {
		return nil, err
	}
	out := []*ContactInfo{}
	for _, c := range cs {
		out = append(out, contactInfo(c))
	}
	return out, nil
}

// RemoveContact forgets a contact.
func (s *Session) RemoveContact(ctx context.Context, fingerprint string) error {
	c, err := s.contact(fingerprint)
	if err != nil {
		return err
	}
	return s.store.RemoveContact(c.Fingerprint())
}

// KeyQuery selects keys in the relay's directory: exactly one field.
type KeyQuery struct {
	Handle      *persona.Claim `json:"handle,omitempty"`
	Email       string         `json:"email,omitempty"`
	Fingerprint string         `json:"fingerprint,omitempty"`
}

// KeyInfo is a key found in the directory (veil.d.ts KeyInfo). Its email and
// handles are the key's own say-so.
type KeyInfo struct {
	Fingerprint string          `json:"fingerprint"`
	Name        string          `json:"name"`
	Email       string          `json:"email,omitempty"`
	Handles     []persona.Claim `json:"handles"`
	Armored     string          `json:"armored"`
}

// ResolveKeys looks keys up in the relay's directory. Finding none is no
// error.
func (s *Session) ResolveKeys(ctx context.Context, q KeyQuery) ([]*KeyInfo, error) {
	var rq relayclient.Query
	n := 0
	if q.Handle != nil {
		if err := q.Handle.Validate(); err != nil {
			return nil, err
		}
		rq.Handle, n = q.Handle.String(), n+1
	}
	if q.Email != "" {
		rq.Email, n = q.Email, n+1
	}
	if q.Fingerprint != "" {
		fpr, err := checkFingerprint(q.Fingerprint)
		if err != nil {
			return nil, err
		}
		rq.Fingerprint, n = fpr, n+1
	}
	if n != 1 {
		return nil, fmt.Errorf("%w: look keys up by exactly one of handle, email and fingerprint", ErrBadInput)
	}
	recs, err := s.relay.LookupKeys(ctx, rq)
	if err != nil {
		return nil, &post.RelayError{Op: "looking keys up on " + s.relay.BaseURL(), Err: err}
	}
	out := []*KeyInfo{}
	for _, r := range recs {
		armored, err := persona.ArmorPublic(r.Key)
		if err != nil {
			return nil, err
		}
		out = append(out, &KeyInfo{
			Fingerprint: persona.Fingerprint(r.Key),
			Name:        persona.Name(r.Key),
			Email:       persona.Email(r.Key),
			Handles:     nonNil(persona.Claims(r.Key)),
			Armored:     string(armored),
		})
	}
	return out, nil
}

// CheckProof reports whether profile text carries the openpgp4fpr: link to
// the key (persona.ProfileProves). When it does and the key is a contact
// known by handle (its own claim or the person's say-so), the handle is
// recorded as verified for the contact.
func (s *Session) CheckProof(ctx context.Context, profileText, fingerprint string, handle *persona.Claim) (bool, error) {
	fpr, err := checkFingerprint(fingerprint)
	if err != nil {
		return false, err
	}
	if !persona.ProfileProves(profileText, fpr) {
		return false, nil
	}
	if handle == nil {
		return true, nil
	}
	if err := handle.Validate(); err != nil {
		return false, err
	}
	c, err := s.contact(fpr)
	if errors.Is(err, persona.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	for _, h := range c.Handles {
		if h.Equal(*handle) {
			proved := &persona.Contact{Key: c.Key, ContactInfo: persona.ContactInfo{Verified: []persona.Claim{*handle}, Source: "proof"}}
			return true, s.store.AddContact(proved)
		}
	}
	return true, nil
}
