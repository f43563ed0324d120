package directory

import (
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/veilsocial/veil/relay/api"
)

// WKD, the OpenPGP Web Key Directory (draft-koch-openpgp-webkey-service):
//
//	direct:   https://<domain>/.well-known/openpgpkey/hu/<hash>?l=<local>
//	advanced: https://openpgpkey.<domain>/.well-known/openpgpkey/<domain>/hu/<hash>?l=<local>
//
// <hash> is the z-base-32 encoded SHA-1 of the ASCII-lower-cased local part.
// The answer is the binary key (or keys), each with only the user IDs of the
// address asked for. In the direct method the domain is the request's host.

func (d *Directory) handleWKDDirect(c echo.Context) error {
	host := c.Request().Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return d.serveWKD(c, host)
}

func (d *Directory) handleWKDAdvanced(c echo.Context) error {
	return d.serveWKD(c, param(c, "domain"))
}

func (d *Directory) serveWKD(c echo.Context, domain string) error {
	domain = asciiLower(strings.TrimSuffix(strings.Trim(domain, "[]"), "."))
	hash := param(c, "hash")
	if !isWKDHash(hash) {
		return fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "bad WKD hash %q (want 32 z-base-32 characters)", hash)
	}
	if l := c.QueryParam("l"); l != "" && wkdHash(l) != hash {
		return fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "the hash does not match l=%q", l)
	}
	if domain == "" || (d.wkd != nil && !d.wkd[domain]) {
		return fail(ErrNotFound, http.StatusNotFound, api.CodeNotFound, "this relay serves no Web Key Directory for %q", domain)
	}
	ctx := c.Request().Context()
	es, err := d.byIndex(ctx, wkdIndex(domain, hash), nil)
	if err == nil && len(es) == 0 && d.opts.Refresh != nil {
		d.opts.Refresh(ctx)
		es, err = d.byIndex(ctx, wkdIndex(domain, hash), nil)
	}
	if err != nil {
		return err
	}
	d.metrics.lookup("wkd", len(es) > 0)
	var out []byte
	for _, e := range es {
		var addr string
		for _, a := range e.rec.Emails {
			local, dom, _ := strings.Cut(a, "@")
			if dom == domain && wkdHash(local) == hash {
				addr = a
				break
			}
		}
		if addr == "" {
			continue
		}
		cert, err := filterUserIDs(e.cert, addr)
		if err != nil {
			continue
		}
		out = append(out, cert...)
	}
	if len(out) == 0 {
		return fail(ErrNotFound, http.StatusNotFound, api.CodeNotFound, "no key for this address")
	}
	return c.Blob(http.StatusOK, mimeBinary, out)
}

// handleWKDPolicy answers the policy file: empty, no options.
func (d *Directory) handleWKDPolicy(c echo.Context) error {
	return c.Blob(http.StatusOK, mimeText, nil)
}

func isWKDHash(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(zbase32Alphabet, rune(s[i])) {
			return false
		}
	}
	return true
}
