package directory

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/veilsocial/veil/relay/api"
	"github.com/veilsocial/veil/wasmclient/persona"
)

// Content types of key responses.
const (
	mimeJSON    = "application/json"
	mimePGPKeys = "application/pgp-keys"
	mimeBinary  = "application/octet-stream"
	mimeText    = "text/plain; charset=utf-8"
	mimeHTML    = "text/html; charset=utf-8"
)

// Register mounts the directory's routes on e: the JSON API under /v1/keys,
// HKP (/pks/…), VKS (/vks/v1/…) and WKD (/.well-known/openpgpkey/…). Errors
// are *api.Error values, answered as JSON by the relay's api.ErrorHandler.
func (d *Directory) Register(e *echo.Echo) {
	get := []string{http.MethodGet, http.MethodHead}

	e.Match(get, "/v1/keys/:fingerprint", d.handleGetKey)
	e.Match(get, "/v1/keys", d.handleFindKeys)
	e.POST("/v1/keys", d.handlePostKey)

	e.Match(get, "/pks/lookup", d.handleHKPLookup)
	e.POST("/pks/add", d.handleHKPAdd)

	e.Match(get, "/vks/v1/by-fingerprint/:fingerprint", d.handleVKSByFingerprint)
	e.Match(get, "/vks/v1/by-keyid/:keyid", d.handleVKSByKeyID)
	e.Match(get, "/vks/v1/by-email/:email", d.handleVKSByEmail)
	e.POST("/vks/v1/upload", d.handleVKSUpload)
	e.POST("/vks/v1/request-verify", d.handleVKSRequestVerify)

	e.Match(get, "/.well-known/openpgpkey/hu/:hash", d.handleWKDDirect)
	e.Match(get, "/.well-known/openpgpkey/:domain/hu/:hash", d.handleWKDAdvanced)
	e.Match(get, "/.well-known/openpgpkey/policy", d.handleWKDPolicy)
	e.Match(get, "/.well-known/openpgpkey/:domain/policy", d.handleWKDPolicy)
}

// GET /v1/keys/{fingerprint} → the record (with the armored key).
func (d *Directory) handleGetKey(c echo.Context) error {
	fp, ok := normalizeFingerprint(param(c, "fingerprint"))
	if !ok {
		return fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "bad fingerprint %q (want 40 or 64 hex digits)", param(c, "fingerprint"))
	}
	e, err := d.find(c.Request().Context(), fp)
	d.metrics.lookup("fingerprint", err == nil)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, mimeJSON, e.json)
}

// GET /v1/keys?fingerprint=|keyid=|email=|handle=site:handle → {"keys": […]}.
func (d *Directory) handleFindKeys(c echo.Context) error {
	params := c.QueryParams()
	var q Query
	n := 0
	for name, vals := range params {
		if len(vals) == 0 {
			continue
		}
		v := vals[0]
		switch name {
		case "fingerprint":
			q.Fingerprint = v
		case "keyid":
			q.KeyID = v
		case "email":
			q.Email = v
		case "handle":
			cl, err := persona.ParseClaim(v)
			if err != nil {
				return fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "bad handle %q: want site:handle, e.g. twitter:alice", v)
			}
			q.Site, q.Handle = cl.Site, cl.Handle
		default:
			continue
		}
		n++
	}
	if n != 1 {
		return fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "give exactly one of fingerprint, keyid, email or handle")
	}
	es, err := d.lookup(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, mimeJSON, recordsJSON(es))
}

// POST /v1/keys (armored or binary key) → SubmitResult.
func (d *Directory) handlePostKey(c echo.Context) error {
	body, err := readBody(c.Request().Body, d.opts.MaxKeySize)
	if err != nil {
		return err
	}
	res, err := d.Submit(c.Request().Context(), body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// param returns a path parameter, unescaped.
func param(c echo.Context, name string) string {
	v := c.Param(name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// armoredKeys writes the certificates of es as one armored key block.
func armoredKeys(es []*entry) ([]byte, error) {
	if len(es) == 1 {
		return es[0].armored, nil
	}
	var all []byte
	version := 4
	for _, e := range es {
		all = append(all, e.cert...)
		version = max(version, e.rec.Version)
	}
	return armorCert(all, version)
}

// serveKeys answers with the keys of es, armored, or 404 if there are none.
func serveKeys(c echo.Context, es []*entry, what string) error {
	if len(es) == 0 {
		return fail(ErrNotFound, http.StatusNotFound, api.CodeNotFound, "no key found for %s", what)
	}
	out, err := armoredKeys(es)
	if err != nil {
		return fail(err, http.StatusInternalServerError, api.CodeInternal, "failed to armor keys")
	}
	return c.Blob(http.StatusOK, mimePGPKeys, out)
}
