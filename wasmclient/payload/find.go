package payload

import (
	"errors"
	"strings"
)

const (
	// maxText is how much of a text Find reads; the rest is ignored.
	maxText = 1 << 20

	// maxFound is the most payloads Find returns.
	maxFound = 64

	// markerReach is how far after a marker, in characters, a short link
	// may start and still be taken for the marked post's link.
	markerReach = 200
)

// What Find looks for. The markers are matched without their emoji, which
// sites sometimes replace with images.
var needles = [...]string{
	"/p/",                 // a relay link, found from the middle out
	"t.co/",               // Twitter/X's short links
	"fb.me/",              // Facebook's short links
	"facebook.com/l.php?", // Facebook's redirect, which names its target
	"Encrypted with Veil", // Marker
	"Signed with Veil",    // PublicMarker
}

const (
	needleLink = iota
	needleTwitter
	needleFacebook
	needleRedirect
	needleMarker
	needlePublicMarker
)

// cleaner removes what sites insert into long words to let them wrap (and
// which no link contains), and decodes the HTML escapes of '#' and '&' that
// survive in text taken from markup.
var cleaner = strings.NewReplacer(
	"\u200b", "", // zero width space
	"\u200c", "", // zero width non-joiner
	"\u200d", "", // zero width joiner
	"\u2060", "", // word joiner
	"\ufeff", "", // zero width no-break space
	"\u00ad", "", // soft hyphen
	"&amp;#35;", "#",
	"&amp;#x23;", "#",
	"&amp;num;", "#",
	"&#35;", "#",
	"&#x23;", "#",
	"&#X23;", "#",
	"&num;", "#",
	"&amp;", "&",
)

// Find returns the Veil payloads in text, in the order they appear, each only
// once. It reads
//   - relay links, https://relay/p/<cid>, also without their scheme, wrapped
//     over lines or with invisible characters inside, and in parentheses,
//     angle brackets or quotes or followed by punctuation;
//   - inline links, https://relay/p/#v1.<base64url>, likewise;
//   - Facebook redirects (l.facebook.com/l.php?u=…) to either of these;
//   - links the site cut short with an ellipsis, reported as Truncated;
//   - the sites' short links (t.co, fb.me) that follow a Veil marker closely,
//     reported as KindShortened.
//
// Links whose CID or message does not validate are skipped. Find reads at most
// the first MiB of text and returns at most 64 payloads.
func Find(text string) []Payload {
	if len(text) > maxText {
		text = text[:maxText]
	}
	s := cleaner.Replace(text)

	var (
		found []Payload
		seen  = make(map[string]bool)
		next  [len(needles)]int
		lo    = 0  // the end of the last payload found: text before it is taken
		armed = -1 // the end of a marker whose link has not been found yet
	)
	for i, n := range needles {
		next[i] = index(s, 0, n)
	}
	add := func(p Payload, end int) {
		armed = -1
		key := p.Kind.String() + " " + p.URL
		if p.Truncated {
			key += " …"
		}
		if !seen[key] {
			seen[key] = true
			found = append(found, p)
		}
		lo = end
		for i, n := range next {
			if n >= 0 && n < end {
				next[i] = index(s, end, needles[i])
			}
		}
	}
	for len(found) < maxFound {
		k := -1
		for i, n := range next {
			if n >= 0 && (k < 0 || n < next[k]) {
				k = i
			}
		}
		if k < 0 {
			break
		}
		at := next[k]
		next[k] = index(s, at+1, needles[k])
		switch k {
		case needleLink:
			if p, _, end, err := parseLink(s, lo, at); err == nil || errors.Is(err, ErrTruncated) {
				add(p, end)
			}
		case needleRedirect:
			p, _, end, ok := parseRedirect(s, lo, at)
			switch {
			case ok:
				add(p, end)
			case end > at:
				// Redirects inside the query of one are not read again.
				next[k] = index(s, end, needles[k])
			}
		case needleTwitter, needleFacebook:
			p, start, end, ok := parseShort(s, lo, at, k == needleTwitter)
			if ok && armed >= 0 && armed <= start && within(s[armed:start], markerReach) {
				add(p, end)
			}
		case needleMarker, needlePublicMarker:
			armed = at + len(needles[k])
		}
	}
	return found
}

// index is strings.Index from i on, in s's indices.
func index(s string, i int, sub string) int {
	j := strings.Index(s[i:], sub)
	if j < 0 {
		return -1
	}
	return i + j
}

// within reports whether s is at most n characters long.
func within(s string, n int) bool {
	if len(s) <= n {
		return true
	}
	for range s {
		if n == 0 {
			return false
		}
		n--
	}
	return true
}

// isHostByte reports whether c may appear in a host name.
func isHostByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// urlStart finds where the URL whose host starts at h begins: at its scheme
// if "http://" or "https://" precedes the host, else at the host itself. ok
// is false if what precedes the host shows it is not one: a path segment, an
// e-mail address, a query value, another scheme. lo bounds the search.
func urlStart(s string, lo, h int) (start int, scheme string, ok bool) {
	if h-lo >= 3 && s[h-3:h] == "://" {
		i := h - 3
		j := i
		for j > lo && i-j < len("https") && isAlnum(s[j-1]) {
			j--
		}
		scheme = strings.ToLower(s[j:i])
		if scheme != "http" && scheme != "https" || j > lo && isAlnum(s[j-1]) {
			return 0, "", false
		}
		return j, scheme, true
	}
	if h > lo {
		switch s[h-1] {
		case '/', '\\', '@', '=', '%', '&', '?', '#', '_', '~', '+', '$', '*', '|', '^':
			return 0, "", false
		}
	}
	return h, "", true
}

// hasEllipsis reports how long the ellipsis at the start of s is, if there is
// one: "…" or "...".
func hasEllipsis(s string) int {
	switch {
	case strings.HasPrefix(s, "…"):
		return len("…")
	case strings.HasPrefix(s, "..."):
		return len("...")
	}
	return 0
}

// lineBreak returns the length of the line break at the start of s, if any.
func lineBreak(s string) int {
	switch {
	case strings.HasPrefix(s, "\r\n"):
		return 2
	case strings.HasPrefix(s, "\n"), strings.HasPrefix(s, "\r"):
		return 1
	}
	return 0
}

// isClosing reports whether r may follow a link in running text without
// being part of it.
func isClosing(r rune) bool {
	switch r {
	case '.', ',', ';', ':', '!', '?', ')', ']', '}', '>', '"', '\'',
		'’', '”', '»', '›', '…', '。', '、', '，', '！', '？', '）':
		return true
	}
	return false
}
