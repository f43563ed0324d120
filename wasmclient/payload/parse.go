package payload

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

const (
	// maxCIDText bounds the text of a CID; the longest real ones (SHA-512
	// in base58 or base32) are about half as long.
	maxCIDText = 256

	// maxInlineText bounds the text of an inline fragment: MaxInline bytes in
	// base64, and room for padding.
	maxInlineText = (MaxInline+2)/3*4 + 2

	// How many lines a CID or an inline fragment may be broken over.
	maxCIDLines    = 8
	maxInlineLines = 64

	// maxRedirect bounds the query of a Facebook redirect, whose target is
	// percent-encoded.
	maxRedirect = 3*maxInlineText + 1024
)

// Parse reads one link or CID, such as the href of an anchor or a CID typed
// by a user. It accepts
//   - a relay link, https://relay/p/<cid>, with or without its scheme;
//   - an inline link, https://relay/p/#v1.<base64url>;
//   - a Facebook redirect (l.facebook.com/l.php?u=…) to either of these;
//   - a t.co or fb.me short link, returned as KindShortened;
//   - a bare CID, returned as KindLink with no Relay and no URL.
//
// Surrounding space, brackets and punctuation are ignored, as are the
// characters that Find ignores.
//
// The error is ErrNotVeil if s is none of these, ErrBadCID or ErrBadInline if
// it is one of them with an invalid CID or message (ErrTooLarge too, for a
// message larger than MaxInline), and ErrTruncated if it was cut short by an
// ellipsis; the Payload returned with ErrTruncated describes what is left.
func Parse(s string) (Payload, error) {
	if len(s) > maxText {
		s = s[:maxText]
	}
	s = strings.TrimLeftFunc(cleaner.Replace(s), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("<([{\"'‘“«‹", r)
	})
	if i := strings.Index(s, needles[needleRedirect]); i >= 0 {
		p, start, end, ok := parseRedirect(s, 0, i)
		if !ok || start != 0 || !onlyClosing(s[end:]) {
			return Payload{}, ErrNotVeil
		}
		return p, nil
	}
	if strings.Contains(s, needles[needleLink]) {
		return parseRelayLink(s)
	}
	for _, k := range []int{needleTwitter, needleFacebook} {
		if i := strings.Index(s, needles[k]); i >= 0 {
			p, start, end, ok := parseShort(s, 0, i, k == needleTwitter)
			if !ok || start != 0 || !onlyClosing(s[end:]) {
				return Payload{}, ErrNotVeil
			}
			return p, nil
		}
	}

	// What is left may be a bare CID.
	t := strings.TrimRightFunc(s, func(r rune) bool { return isClosing(r) || unicode.IsSpace(r) })
	cut := strings.Contains(s[len(t):], "…") || strings.Contains(s[len(t):], "...")
	if t == "" || strings.IndexFunc(t, func(r rune) bool { return r >= 0x80 || !isCIDByte(byte(r)) }) >= 0 {
		return Payload{}, ErrNotVeil
	}
	c, err := cid.Decode(t)
	switch {
	case err == nil:
		return Payload{Kind: KindLink, CID: c}, nil
	case cut:
		return Payload{Kind: KindLink, Truncated: true}, ErrTruncated
	}
	return Payload{}, fmt.Errorf("%w: %v", ErrBadCID, err)
}

// parseRelayLink reads s as one relay or inline link, and nothing else but
// trailing punctuation.
func parseRelayLink(s string) (Payload, error) {
	i := strings.Index(s, needles[needleLink])
	if i < 0 {
		return Payload{}, ErrNotVeil
	}
	p, start, end, err := parseLink(s, 0, i)
	if err != nil && !errors.Is(err, ErrTruncated) {
		return Payload{}, err
	}
	if start != 0 {
		return Payload{}, ErrNotVeil
	}
	if !onlyClosing(s[end:]) {
		if p.Kind == KindInline {
			return Payload{}, fmt.Errorf("%w: unexpected text after the message", ErrBadInline)
		}
		return Payload{}, fmt.Errorf("%w: unexpected text after the CID", ErrBadCID)
	}
	return p, err
}

// onlyClosing reports whether s holds nothing but white space and what
// isClosing accepts.
func onlyClosing(s string) bool {
	return strings.TrimFunc(s, func(r rune) bool { return isClosing(r) || unicode.IsSpace(r) }) == ""
}

// parseLink reads the relay link whose path begins at s[at:] with "/p/". The
// host is read backwards from there, no further back than lo. It returns the
// payload and where the link starts and ends in s. With ErrTruncated, the
// payload describes the part the site showed.
func parseLink(s string, lo, at int) (p Payload, start, end int, err error) {
	// A port, then the host.
	hostEnd, port := at, ""
	j := at
	for j > lo && at-j <= 5 && s[j-1] >= '0' && s[j-1] <= '9' {
		j--
	}
	if j < at && j > lo && s[j-1] == ':' {
		hostEnd, port = j-1, s[j:at]
	}
	h := hostEnd
	if h > lo && s[h-1] == ']' {
		from := max(lo, h-64)
		i := strings.LastIndexByte(s[from:h], '[')
		if i < 0 {
			return Payload{}, 0, 0, ErrNotVeil
		}
		h = from + i
	} else {
		for h > lo && hostEnd-h <= 253 && isHostByte(s[h-1]) {
			h--
		}
	}
	start, scheme, ok := urlStart(s, lo, h)
	if !ok {
		return Payload{}, 0, 0, ErrNotVeil
	}
	host := s[h:hostEnd]
	if scheme == "" {
		// Dots before a bare host name end a sentence, or are an ellipsis.
		t := strings.TrimLeft(host, ".-")
		start += len(host) - len(t)
		host = t
	}
	hp := strings.ToLower(host)
	if port != "" {
		hp += ":" + port
	}
	host, port, ok = splitHostPort(hp)
	if !ok {
		return Payload{}, 0, 0, ErrNotVeil
	}
	if scheme == "" {
		// A relay on the local machine, as in development, speaks plain
		// HTTP; any other, HTTPS.
		scheme = "https"
		if isLoopback(host) {
			scheme = "http"
		}
	}
	base := origin(scheme, host, port)

	i := at + len("/p/")
	if i < len(s) && s[i] == '#' {
		p, end, err = parseInline(s, base, i+1)
	} else {
		p, end, err = parseCID(s, base, i)
	}
	return p, start, end, err
}

// parseCID reads the CID of a relay link from s[i:], which may be broken over
// lines, and returns the payload and the end of the link.
func parseCID(s, base string, i int) (Payload, int, error) {
	var (
		spans = runs(s, i, isCIDByte, maxCIDText, maxCIDLines)
		text  []byte
		err   error
	)
	for _, r := range spans {
		text = append(text, s[r.from:r.to]...)
		if len(text) > maxCIDText {
			err = errors.New("too long")
			break
		}
		var c cid.Cid
		c, err = cid.Decode(string(text))
		if err != nil {
			continue
		}
		if !pathEnds(s[r.to:]) {
			return Payload{}, 0, ErrNotVeil
		}
		p := Payload{Kind: KindLink, Relay: base, CID: c, URL: base + "/p/" + c.String()}
		return p, skipTail(s, r.to), nil
	}
	last := spans[len(spans)-1].to
	if n := hasEllipsis(s[last:]); n > 0 {
		p := Payload{Kind: KindLink, Relay: base, URL: base + "/p/" + string(text), Truncated: true}
		return p, last + n, ErrTruncated
	}
	return Payload{}, 0, fmt.Errorf("%w: %v", ErrBadCID, err)
}

// parseInline reads the fragment of an inline link from s[i:], just after
// its '#', and returns the payload and the end of the link.
func parseInline(s, base string, i int) (Payload, int, error) {
	if !strings.HasPrefix(s[i:], inlinePrefix) {
		// The site may cut the link inside the prefix.
		for n := range len(inlinePrefix) {
			if strings.HasPrefix(s[i:], inlinePrefix[:n]) {
				if e := hasEllipsis(s[i+n:]); e > 0 {
					p := Payload{Kind: KindInline, Relay: base, URL: base + "/p/#" + inlinePrefix[:n], Truncated: true}
					return p, i + n + e, ErrTruncated
				}
			}
		}
		return Payload{}, 0, errInlineFragment
	}
	i += len(inlinePrefix)
	spans := runs(s, i, isBase64Byte, maxInlineText, maxInlineLines)
	msg, k, err := inlineMessage(s, spans)
	if err == nil {
		end := spans[k].to
		if !pathEnds(s[end:]) {
			return Payload{}, 0, errInlineAfter
		}
		p := Payload{Kind: KindInline, Relay: base, Message: msg, URL: inlineLink(base, msg)}
		return p, end + hasEllipsis(s[end:]), nil
	}
	last := spans[len(spans)-1].to
	if n := hasEllipsis(s[last:]); n > 0 && !errors.Is(err, ErrTooLarge) {
		var shown strings.Builder
		for _, r := range spans {
			shown.WriteString(s[r.from:r.to])
		}
		p := Payload{Kind: KindInline, Relay: base, URL: base + "/p/#" + inlinePrefix + shown.String(), Truncated: true}
		return p, last + n, ErrTruncated
	}
	return Payload{}, 0, err
}

var (
	errInlineFragment = fmt.Errorf("%w: unknown fragment", ErrBadInline)
	errInlineAfter    = fmt.Errorf("%w: unexpected text after the message", ErrBadInline)
	errInlineBase64   = fmt.Errorf("%w: not base64", ErrBadInline)
	errInlineMessage  = fmt.Errorf("%w: not a binary OpenPGP message", ErrBadInline)
	errInlineTooLarge = fmt.Errorf("%w: %w", ErrBadInline, ErrTooLarge)
)

// inlineMessage decodes the fragment of an inline link, which may be broken
// over lines: spans are its runs, as runs returns them. It returns the
// message that the fewest runs joined make, and the index of the last run it
// takes. It reads the URL-safe and the standard base64 alphabets, with or
// without padding.
//
// Each run is decoded once: the whole 4-character groups of the runs joined so
// far are decoded as they come, and only the last, partial group of each
// candidate is decoded on its own.
func inlineMessage(s string, spans []span) (msg []byte, k int, err error) {
	total := 0
	for _, r := range spans {
		total += r.to - r.from
	}
	total = min(total, maxInlineText)
	var (
		text = make([]byte, 0, total)                                   // the runs joined, in the URL-safe alphabet
		dec  = make([]byte, 0, base64.RawURLEncoding.DecodedLen(total)) // text's whole groups, decoded
		cand = make([]byte, 0, cap(dec))
	)
	err = errInlineBase64
	for k, r := range spans {
		run := s[r.from:r.to]
		padded := false
		if eq := strings.IndexByte(run, '='); eq >= 0 {
			// Padding ends the fragment: nothing may follow it.
			if len(run)-eq > 2 || strings.Trim(run[eq:], "=") != "" {
				return nil, 0, errInlineBase64
			}
			run, padded = run[:eq], true
		}
		if len(text)+len(run) > base64.RawURLEncoding.EncodedLen(MaxInline) {
			return nil, 0, errInlineTooLarge
		}
		for i := 0; i < len(run); i++ {
			switch c := run[i]; c {
			case '+':
				text = append(text, '-')
			case '/':
				text = append(text, '_')
			default:
				text = append(text, c)
			}
		}
		whole := len(text) / 4 * 4
		if done := len(dec) / 3 * 4; whole > done {
			n, e := base64.RawURLEncoding.Decode(dec[len(dec):cap(dec)], text[done:whole])
			if e != nil {
				return nil, 0, errInlineBase64
			}
			dec = dec[:len(dec)+n]
		}
		if len(dec) > 0 && dec[0]&0x80 == 0 {
			// No packet starts this way, however much text follows.
			return nil, 0, errInlineMessage
		}
		var tail [2]byte
		n, e := base64.RawURLEncoding.Strict().Decode(tail[:], text[whole:])
		switch {
		case e != nil:
			err = errInlineBase64
		case len(dec)+n > MaxInline:
			return nil, 0, errInlineTooLarge
		default:
			cand = append(append(cand[:0], dec...), tail[:n]...)
			if pgppacket.IsMessage(cand) {
				return cand, k, nil
			}
			err = errInlineMessage
		}
		if padded {
			break
		}
	}
	return nil, 0, err
}

// span is the text s[from:to].
type span struct{ from, to int }

// runs returns the run of bytes that in accepts at s[i:], followed by the
// runs that continue it after single line breaks, as a site that wraps a long
// link leaves it. The first run may be empty; the others are not. Reading
// stops after maxRuns runs or once they are longer than maxLen together.
func runs(s string, i int, in func(byte) bool, maxLen, maxRuns int) []span {
	var out []span
	total := 0
	for len(out) < maxRuns {
		j := i
		for j < len(s) && in(s[j]) && total+j-i <= maxLen {
			j++
		}
		out = append(out, span{i, j})
		total += j - i
		if total > maxLen {
			break
		}
		n := lineBreak(s[j:])
		if n == 0 || j+n >= len(s) || !in(s[j+n]) {
			break
		}
		i = j + n
	}
	return out
}

// pathEnds reports whether a relay link's path may end where s starts: s
// does not go on with more path, such as "/x" or ".json".
func pathEnds(s string) bool {
	if s == "" {
		return true
	}
	switch s[0] {
	case '/', '%':
		return false
	case '.':
		return len(s) < 2 || !isAlnum(s[1])
	}
	return true
}

// skipTail returns where a relay link ends that goes on at s[i:] with an
// ellipsis, a query or a fragment.
func skipTail(s string, i int) int {
	if n := hasEllipsis(s[i:]); n > 0 {
		return i + n
	}
	if i < len(s) && (s[i] == '?' || s[i] == '#') {
		i++
		for i < len(s) && isQueryByte(s[i]) {
			i++
		}
		i += hasEllipsis(s[i:])
	}
	return i
}

// isCIDByte reports whether c may appear in a CID's text: the multibase
// alphabets that fit in a URL path.
func isCIDByte(c byte) bool {
	return isAlnum(c) || c == '-' || c == '_' || c == '+' || c == '='
}

// isBase64Byte reports whether c is in the URL-safe or the standard base64
// alphabet, or padding.
func isBase64Byte(c byte) bool {
	return isAlnum(c) || c == '-' || c == '_' || c == '+' || c == '/' || c == '='
}

// isQueryByte reports whether c may appear in a URL's query or fragment as
// they are written in text.
func isQueryByte(c byte) bool {
	switch c {
	case '"', '\'', '<', '>', '\\', '^', '`', '{', '|', '}':
		return false
	}
	return c > ' ' && c < 0x7f
}

// parseShort reads the t.co (twitter) or fb.me link whose host starts at
// s[at:], and returns it with where it starts and ends in s.
func parseShort(s string, lo, at int, twitter bool) (p Payload, start, end int, ok bool) {
	host := "fb.me"
	if twitter {
		host = "t.co"
	}
	if at > lo && isHostByte(s[at-1]) {
		// Part of a longer name, such as "pat.co".
		return Payload{}, 0, 0, false
	}
	start, _, ok = urlStart(s, lo, at)
	if !ok {
		return Payload{}, 0, 0, false
	}
	i := at + len(host) + 1
	j := i
	for j < len(s) && j-i <= 64 && (isAlnum(s[j]) || !twitter && (s[j] == '-' || s[j] == '_')) {
		j++
	}
	if j == i || j-i > 64 || !pathEnds(s[j:]) || j < len(s) && (s[j] == '-' || s[j] == '_') {
		return Payload{}, 0, 0, false
	}
	return Payload{Kind: KindShortened, URL: "https://" + host + "/" + s[i:j]}, start, j, true
}

// parseRedirect reads the Facebook redirect whose "facebook.com/l.php?" is at
// s[at:], and returns the relay link it leads to, with where the redirect
// starts and ends in s. If it is not one, end is still where the redirect's
// query ends, or 0 if it was not read.
func parseRedirect(s string, lo, at int) (p Payload, start, end int, ok bool) {
	h := at
	for h > lo && at-h <= 64 && isHostByte(s[h-1]) {
		h--
	}
	host := strings.ToLower(s[h:at]) + "facebook.com"
	if host != "facebook.com" && !strings.HasSuffix(host, ".facebook.com") || !isHostName(host) {
		return Payload{}, 0, 0, false
	}
	start, _, ok = urlStart(s, lo, h)
	if !ok {
		return Payload{}, 0, 0, false
	}
	i := at + len(needles[needleRedirect])
	j := i
	for j < len(s) && j-i < maxRedirect && isQueryByte(s[j]) {
		j++
	}
	q, _ := url.ParseQuery(s[i:j]) // The pairs that parse are kept.
	target := q.Get("u")
	if target == "" || strings.Contains(target, needles[needleRedirect]) {
		return Payload{}, 0, j, false
	}
	p, err := parseRelayLink(cleaner.Replace(strings.TrimSpace(target)))
	if err != nil {
		return Payload{}, 0, j, false
	}
	return p, start, j, true
}
