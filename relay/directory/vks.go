package directory

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/veilsocial/veil/relay/api"
)

// VKS, the keys.openpgp.org API (https://keys.openpgp.org/about/api):
//
//	GET  /vks/v1/by-fingerprint/<FPR>
//	GET  /vks/v1/by-keyid/<KEYID>
//	GET  /vks/v1/by-email/<address>
//	POST /vks/v1/upload          {"keytext": "<armored key>"}
//	POST /vks/v1/request-verify  {"token": "…", "addresses": […]}
//
// The directory does not verify addresses: every address of an uploaded
// key is published at once (its status says "published", or "revoked"), so
// request-verify only repeats the upload's answer.

func (d *Directory) handleVKSByFingerprint(c echo.Context) error {
	fp := param(c, "fingerprint")
	es, err := d.lookup(c.Request().Context(), Query{Fingerprint: fp})
	if err != nil {
		return err
	}
	return serveKeys(c, es, fp)
}

func (d *Directory) handleVKSByKeyID(c echo.Context) error {
	id := param(c, "keyid")
	es, err := d.lookup(c.Request().Context(), Query{KeyID: id})
	if err != nil {
		return err
	}
	return serveKeys(c, es, id)
}

func (d *Directory) handleVKSByEmail(c echo.Context) error {
	addr := param(c, "email")
	es, err := d.lookup(c.Request().Context(), Query{Email: addr})
	if err != nil {
		return err
	}
	return serveKeys(c, es, addr)
}

// vksUploadResponse is the answer to upload and request-verify.
type vksUploadResponse struct {
	KeyFpr string            `json:"key_fpr"`
	Status map[string]string `json:"status"`
	Token  string            `json:"token"`
}

// vksTokenPrefix marks the (opaque to clients) upload tokens: the
// directory needs no secret in them, since it verifies nothing.
const vksTokenPrefix = "veil1."

func (d *Directory) handleVKSUpload(c echo.Context) error {
	body, err := readBody(c.Request().Body, 2*d.opts.MaxKeySize+1024)
	if err != nil {
		return err
	}
	var req struct {
		Keytext string `json:"keytext"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Keytext == "" {
		return fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, `want a JSON body {"keytext": "<armored key>"}`)
	}
	res, err := d.submit(c.Request().Context(), []byte(req.Keytext), 1)
	if err != nil {
		return err
	}
	return d.vksStatus(c, res.Keys[0].Fingerprint)
}

func (d *Directory) handleVKSRequestVerify(c echo.Context) error {
	body, err := readBody(c.Request().Body, 64<<10)
	if err != nil {
		return err
	}
	var req struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, `want a JSON body {"token": "…", "addresses": […]}`)
	}
	fpr, ok := strings.CutPrefix(req.Token, vksTokenPrefix)
	if fp, good := normalizeFingerprint(fpr); ok && good {
		return d.vksStatus(c, fp)
	}
	return fail(ErrBadQuery, http.StatusBadRequest, api.CodeBadRequest, "unknown token")
}

func (d *Directory) vksStatus(c echo.Context, fpr string) error {
	e, err := d.entry(c.Request().Context(), fpr)
	if err != nil {
		return err
	}
	resp := vksUploadResponse{KeyFpr: e.rec.Fingerprint, Status: map[string]string{}, Token: vksTokenPrefix + e.rec.Fingerprint}
	for _, addr := range e.rec.Emails {
		resp.Status[addr] = "published"
		if e.rec.Revoked {
			resp.Status[addr] = "revoked"
		}
	}
	for _, u := range e.uids {
		if u.email != "" && u.revoked {
			if _, listed := resp.Status[u.email]; !listed {
				resp.Status[u.email] = "revoked"
			}
		}
	}
	return c.JSON(http.StatusOK, resp)
}
