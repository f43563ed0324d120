package directory

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/veilsocial/veil/relay/api"
	"github.com/veilsocial/veil/wasmclient/persona"
)

// HKP, as in draft-gallagher-openpgp-hkp and as gpg's dirmngr speaks it:
//
//	GET  /pks/lookup?op=get&options=mr&search=0x<FPR or KEYID>   (--recv-keys)
//	GET  /pks/lookup?op=index&options=mr&search=<text>          (--search-keys)
//	POST /pks/add  keytext=<armored keys>                       (--send-keys)
//
// dirmngr looks only at the status of a failed request (404 is "no data",
// 501 "not implemented", anything else a failure), so errors here are the
// relay's usual JSON documents.

// handleHKPLookup answers op=get, op=index and op=vindex.
func (d *Directory) handleHKPLookup(c echo.Context) error {
	q := c.QueryParams()
	op := q.Get("op")
	search := q.Get("search")
	if op == "" {
		op = "index"
	}
	switch op {
	case "get", "index", "vindex":
	default:
		return fail(ErrBadQuery, http.StatusNotImplemented, api.CodeBadRequest, "HKP operation %q is not supported (want get, index or vindex)", op)
	}
	if strings.TrimSpace(search) == "" {
		return fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "HKP lookup without search")
	}
	es, err := d.hkpSearch(c.Request().Context(), search)
	if err != nil {
		return err
	}
	if op == "get" {
		return serveKeys(c, es, search)
	}
	if len(es) == 0 {
		return fail(ErrNotFound, http.StatusNotFound, api.CodeNotFound, "no key found for %s", search)
	}
	if hasOption(q.Get("options"), "mr") {
		return c.Blob(http.StatusOK, mimeText, []byte(machineIndex(es, time.Now())))
	}
	return c.Blob(http.StatusOK, mimeHTML, []byte(htmlIndex(es, search)))
}

// hkpSearch resolves an HKP search string: 0x-prefixed key IDs and
// fingerprints, email addresses (bare, in angle brackets or in a whole
// user ID), and Veil handles (twitter:alice). The directory has no free
// text search: anything else finds nothing.
func (d *Directory) hkpSearch(ctx context.Context, search string) ([]*entry, error) {
	s := strings.TrimSpace(search)
	if h, ok := normalizeHex(s); ok && (strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") || len(h) >= 16) {
		switch len(h) {
		case 16:
			return d.lookup(ctx, Query{KeyID: h})
		case 40, 64:
			return d.lookup(ctx, Query{Fingerprint: h})
		case 8:
			return nil, fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "short key IDs are not accepted (they collide); use the fingerprint")
		default:
			return nil, fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "bad key ID or fingerprint %q", s)
		}
	}
	if i := strings.LastIndexByte(s, '<'); i >= 0 && strings.HasSuffix(s, ">") {
		s = s[i:]
	}
	if strings.Contains(s, "@") && !strings.HasPrefix(s, "@") {
		if addr, ok := normalizeEmail(s); ok {
			return d.lookup(ctx, Query{Email: addr})
		}
		return nil, nil
	}
	if cl, err := persona.ParseClaim(s); err == nil && (strings.Contains(s, ":") || strings.HasPrefix(s, "@")) {
		return d.lookup(ctx, Query{Site: cl.Site, Handle: cl.Handle})
	}
	d.metrics.lookup("text", false)
	return nil, nil
}

func hasOption(options, want string) bool {
	for _, o := range strings.Split(options, ",") {
		if strings.TrimSpace(o) == want {
			return true
		}
	}
	return false
}

// machineIndex is the "mr" index:
//
//	info:1:<count>
//	pub:<fingerprint>:<algo>:<bits>:<created>:<expires>:<flags>
//	uid:<escaped user ID>:<created>:<expires>:<flags>
//
// Times are Unix seconds (empty when none); flags are r (revoked) and e
// (expired).
func machineIndex(es []*entry, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "info:1:%d\n", len(es))
	for _, e := range es {
		r := e.rec
		flags := ""
		if r.Revoked {
			flags += "r"
		}
		if !r.Expires.IsZero() && now.After(r.Expires) {
			flags += "e"
		}
		bits := ""
		if r.Bits > 0 {
			bits = fmt.Sprint(r.Bits)
		}
		fmt.Fprintf(&b, "pub:%s:%d:%s:%d:%s:%s\n", r.Fingerprint, r.Algorithm, bits, r.Created.Unix(), unixOrEmpty(r.Expires), flags)
		for _, u := range e.uids {
			uflags := ""
			if u.revoked {
				uflags += "r"
			}
			if !u.expires.IsZero() && now.After(u.expires) {
				uflags += "e"
			}
			fmt.Fprintf(&b, "uid:%s:%d:%s:%s\n", escapeUID(u.id), u.created.Unix(), unixOrEmpty(u.expires), uflags)
		}
	}
	return b.String()
}

func unixOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprint(t.Unix())
}

// escapeUID percent-encodes ':' and '%', and every byte outside printable
// ASCII, as the HKP index format asks.
func escapeUID(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ':' || c == '%' || c < 0x20 || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// htmlIndex is the human-readable index.
func htmlIndex(es []*entry, search string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Search results for %s</title></head><body>\n", html.EscapeString(search))
	fmt.Fprintf(&b, "<h1>Search results for %s</h1>\n<p>User IDs and claims are not verified by this directory.</p>\n<pre>\n", html.EscapeString(search))
	for _, e := range es {
		r := e.rec
		state := ""
		if r.Revoked {
			state = " [revoked]"
		}
		fmt.Fprintf(&b, "pub  <a href=\"/pks/lookup?op=get&amp;search=0x%s\">%s</a>  %s%s\n", r.Fingerprint, r.Fingerprint, r.Created.Format(time.DateOnly), state)
		for _, u := range e.uids {
			mark := ""
			if u.revoked {
				mark = " [revoked]"
			}
			fmt.Fprintf(&b, "uid  %s%s\n", html.EscapeString(u.id), mark)
		}
		for _, cl := range r.Claims {
			fmt.Fprintf(&b, "claim  %s\n", html.EscapeString(cl.String()))
		}
		b.WriteString("\n")
	}
	b.WriteString("</pre></body></html>\n")
	return b.String()
}

// handleHKPAdd takes keytext=<armored keys> (form-encoded, as gpg sends it).
func (d *Directory) handleHKPAdd(c echo.Context) error {
	// Form encoding grows the armored text; armor grows the binary key.
	body, err := readBody(c.Request().Body, 4*d.opts.MaxKeySize+4096)
	if err != nil {
		return err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "bad form body: %v", err)
	}
	keytext := form.Get("keytext")
	if keytext == "" {
		return fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "missing keytext")
	}
	res, err := d.Submit(c.Request().Context(), []byte(keytext))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
