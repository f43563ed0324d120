package persona

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
)

// Notation names a persona's key carries in its primary user ID
// self-signature.
const (
	// ProofNotation is the Keyoxide (Ariadne) identity claim.
	ProofNotation = "proof@ariadne.id"
	// WalletNotation holds the bound wallet account as a CAIP-10 string
	// (eip155:<chain id>:<0x address>).
	WalletNotation = "wallet@veil.social"
	// WalletSigNotation holds the account's EIP-191 signature over the
	// key's fingerprint, hex encoded; with WalletNotation it makes the
	// binding two-way.
	WalletSigNotation = "wallet-sig@veil.social"
)

// Sites a claim can name.
const (
	SiteTwitter  = "twitter"
	SiteFacebook = "facebook"
)

// Claim is a social account that a persona says is its own.
type Claim struct {
	Site   string `json:"site"`
	Handle string `json:"handle"`
}

// ErrBadClaim is returned for a claim Veil cannot express.
var ErrBadClaim = errors.New("persona: invalid claim")

// handleOK reports whether h is 1 to max ASCII letters, digits and the
// extra characters a site allows: [A-Za-z0-9_]{1,15} on Twitter/X,
// [A-Za-z0-9.]{1,50} on Facebook. (Written out rather than as regexps:
// the client's wasm then carries no regexp engine.)
func handleOK(h string, max int, extra byte) bool {
	if len(h) == 0 || len(h) > max {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == extra) {
			return false
		}
	}
	return true
}

// ParseClaim reads "twitter:alice", "facebook:alice.smith", "@alice" (a
// Twitter handle) or a profile URL such as https://x.com/alice.
func ParseClaim(s string) (Claim, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		return claimFromURI(s)
	}
	if strings.HasPrefix(s, "@") {
		c := Claim{Site: SiteTwitter, Handle: s[1:]}
		return c, c.Validate()
	}
	site, handle, ok := strings.Cut(s, ":")
	if !ok {
		return Claim{}, fmt.Errorf("%w: %q (want site:handle, e.g. twitter:alice)", ErrBadClaim, s)
	}
	site = strings.ToLower(site)
	if site == "x" {
		site = SiteTwitter
	}
	c := Claim{Site: site, Handle: strings.TrimPrefix(handle, "@")}
	return c, c.Validate()
}

func claimFromURI(s string) (Claim, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Claim{}, fmt.Errorf("%w: %v", ErrBadClaim, err)
	}
	host := strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	handle := strings.Trim(u.Path, "/")
	var c Claim
	switch host {
	case "twitter.com", "x.com", "mobile.twitter.com":
		c = Claim{Site: SiteTwitter, Handle: handle}
	case "facebook.com", "m.facebook.com":
		c = Claim{Site: SiteFacebook, Handle: handle}
	default:
		return Claim{}, fmt.Errorf("%w: unsupported site %q", ErrBadClaim, u.Host)
	}
	return c, c.Validate()
}

// Validate checks that the handle is well formed for its site.
func (c Claim) Validate() error {
	switch c.Site {
	case SiteTwitter:
		if handleOK(c.Handle, 15, '_') {
			return nil
		}
	case SiteFacebook:
		if handleOK(c.Handle, 50, '.') {
			return nil
		}
	default:
		return fmt.Errorf("%w: unsupported site %q (want twitter or facebook)", ErrBadClaim, c.Site)
	}
	return fmt.Errorf("%w: bad %s handle %q", ErrBadClaim, c.Site, c.Handle)
}

// URI is the profile URL that the Keyoxide notation carries.
func (c Claim) URI() string {
	switch c.Site {
	case SiteTwitter:
		return "https://twitter.com/" + c.Handle
	case SiteFacebook:
		return "https://www.facebook.com/" + c.Handle
	}
	return ""
}

// String is the site:handle form.
func (c Claim) String() string { return c.Site + ":" + c.Handle }

// Equal compares claims; handles are case-insensitive on both sites.
func (c Claim) Equal(o Claim) bool {
	return c.Site == o.Site && strings.EqualFold(c.Handle, o.Handle)
}

func (c Claim) notation() *packet.Notation {
	return &packet.Notation{Name: ProofNotation, Value: []byte(c.URI()), IsHumanReadable: true}
}

// WalletBinding is the persona's half of a persona ↔ wallet binding: the
// account (CAIP-10) and the account's signature over the fingerprint. The
// wallet package checks the signature; this package only carries it.
type WalletBinding struct {
	Account   string `json:"account"`
	Signature []byte `json:"signature,omitempty"`
}

// selfCertification is the latest valid self-signature of the primary user
// ID, where claims live.
func selfCertification(e *openpgp.Entity) (*openpgp.Identity, *packet.Signature) {
	_, id := e.PrimaryIdentity(time.Now(), nil)
	if id == nil {
		return nil, nil
	}
	sig, err := id.LatestValidSelfCertification(time.Now(), nil)
	if err != nil {
		return id, nil
	}
	return id, sig
}

// Claims lists the social claims in an entity's primary self-signature.
// Proofs Veil does not understand are skipped.
func Claims(e *openpgp.Entity) []Claim {
	_, sig := selfCertification(e)
	if sig == nil {
		return nil
	}
	var out []Claim
	for _, n := range sig.Notations {
		if n.Name != ProofNotation {
			continue
		}
		if c, err := claimFromURI(string(n.Value)); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// Wallet returns the wallet binding an entity carries, if any.
func Wallet(e *openpgp.Entity) (WalletBinding, bool) {
	_, sig := selfCertification(e)
	if sig == nil {
		return WalletBinding{}, false
	}
	var b WalletBinding
	for _, n := range sig.Notations {
		switch n.Name {
		case WalletNotation:
			b.Account = string(n.Value)
		case WalletSigNotation:
			b.Signature, _ = hex.DecodeString(string(n.Value))
		}
	}
	return b, b.Account != ""
}

// Claims lists the persona's social claims.
func (p *Persona) Claims() []Claim { return Claims(p.entity) }

// Wallet returns the persona's wallet binding, if any.
func (p *Persona) Wallet() (WalletBinding, bool) { return Wallet(p.entity) }

// AddClaim adds a social claim (a no-op if the key already claims it). The
// persona must be unlocked.
func (p *Persona) AddClaim(c Claim) error {
	if err := c.Validate(); err != nil {
		return err
	}
	for _, have := range p.Claims() {
		if have.Equal(c) {
			return nil
		}
	}
	return p.resign(func(ns []*packet.Notation) []*packet.Notation {
		return append(ns, c.notation())
	})
}

// RemoveClaim drops a social claim. The persona must be unlocked.
func (p *Persona) RemoveClaim(c Claim) error {
	found := false
	err := p.resign(func(ns []*packet.Notation) []*packet.Notation {
		out := ns[:0:0]
		for _, n := range ns {
			if n.Name == ProofNotation {
				if have, err := claimFromURI(string(n.Value)); err == nil && have.Equal(c) {
					found = true
					continue
				}
			}
			out = append(out, n)
		}
		return out
	})
	if err == nil && !found {
		return fmt.Errorf("%w: claim %s", ErrNotFound, c)
	}
	return err
}

// SetWallet writes the wallet binding slot (replacing any earlier one); an
// empty account removes it. The persona must be unlocked.
func (p *Persona) SetWallet(b WalletBinding) error {
	return p.resign(func(ns []*packet.Notation) []*packet.Notation {
		out := ns[:0:0]
		for _, n := range ns {
			if n.Name != WalletNotation && n.Name != WalletSigNotation {
				out = append(out, n)
			}
		}
		if b.Account == "" {
			return out
		}
		out = append(out, &packet.Notation{Name: WalletNotation, Value: []byte(b.Account), IsHumanReadable: true})
		if len(b.Signature) > 0 {
			out = append(out, &packet.Notation{Name: WalletSigNotation, Value: []byte(hex.EncodeToString(b.Signature)), IsHumanReadable: true})
		}
		return out
	})
}

// resign replaces the primary user ID self-signature with a newer one whose
// notations are edit(old notations). The newer signature is the one every
// OpenPGP implementation picks.
func (p *Persona) resign(edit func([]*packet.Notation) []*packet.Notation) error {
	if p.Locked() {
		return ErrLocked
	}
	id, old := selfCertification(p.entity)
	if old == nil {
		return fmt.Errorf("%w: no valid user ID self-signature", ErrInvalidKey)
	}
	sig := *old
	var kept []*packet.Notation
	for _, n := range old.Notations {
		if n.Name != packet.SaltNotationName {
			kept = append(kept, n)
		}
	}
	sig.Notations = edit(kept)
	// The new signature must be strictly newer (OpenPGP times are whole
	// seconds) and not in the future, or readers would ignore it.
	now := time.Now().Truncate(time.Second)
	if !now.After(old.CreationTime) {
		time.Sleep(time.Until(old.CreationTime.Add(time.Second)))
		now = old.CreationTime.Add(time.Second)
	}
	sig.CreationTime = now
	if sig.Version == 6 {
		// v6 signatures are salted; a copied salt must not be reused.
		salt, err := packet.SignatureSaltForHash(sig.Hash, rand.Reader)
		if err != nil {
			return err
		}
		if err := sig.SetSalt(salt); err != nil {
			return err
		}
	}
	config := keyConfig(p.Profile(), func() time.Time { return now }, nil)
	if err := sig.SignUserId(id.UserId.Id, p.entity.PrimaryKey, p.entity.PrivateKey, config); err != nil {
		return fmt.Errorf("persona: failed to sign claims: %w", err)
	}
	id.SelfCertifications = []*packet.VerifiableSignature{packet.NewVerifiableSig(&sig)}
	p.changed()
	return nil
}

// ProofPrefix starts the Keyoxide link from a profile to a key:
// openpgp4fpr:<fingerprint>, in a bio or a pinned post.
const ProofPrefix = "openpgp4fpr:"

// ProfileProves reports whether profile text (a bio, a pinned post) carries
// the Keyoxide link to the key with this fingerprint: openpgp4fpr: and the
// whole fingerprint, in either case, not followed by another hex digit. With
// the key's own claim of the profile (Claims), it makes the proof two-way.
func ProfileProves(profile, fingerprint string) bool {
	fpr := strings.ToLower(strings.ReplaceAll(fingerprint, " ", ""))
	if (len(fpr) != 40 && len(fpr) != 64) || !isHex(strings.ToUpper(fpr)) {
		return false
	}
	text := strings.ToLower(profile)
	want := ProofPrefix + fpr
	for {
		i := strings.Index(text, want)
		if i < 0 {
			return false
		}
		text = text[i+len(want):]
		if text == "" || !strings.ContainsRune("0123456789abcdef", rune(text[0])) {
			return true
		}
	}
}
