// Package api holds what every HTTP handler of the relay shares: the JSON
// error document with its stable codes, and the error handler that makes
// every failure (a handler's, echo's routing, a panic) answer in that form.
//
// An error body is always
//
//	{"error": {"code": "blob_too_large", "message": "…"}}
//
// Clients branch on code, never on message or status alone.
package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Stable error codes.
const (
	CodeBadRequest      = "bad_request"
	CodeBadCID          = "bad_cid"
	CodeNotFound        = "not_found"
	CodeNotOpenPGP      = "not_openpgp"       // upload is not an OpenPGP message
	CodePlaintext       = "plaintext"         // upload is an unsigned literal message
	CodeTooLarge        = "too_large"         // body over the size cap
	CodeUnsupportedType = "unsupported_media" // wrong Content-Type
	CodeRateLimited     = "rate_limited"
	CodeQuota           = "quota_exceeded"
	CodeUnauthorized    = "unauthorized" // a signature is missing or does not verify
	CodeForbidden       = "forbidden"
	CodeBadKey          = "bad_key" // key upload without valid self-signatures
	CodeConflict        = "conflict"
	CodeTooMany         = "too_many" // connection or subscription cap
	CodeUnavailable     = "unavailable"
	CodeInternal        = "internal"
	CodeMethod          = "method_not_allowed"
)

// Error is an API error: an HTTP status and a stable code.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Errorf makes an API error.
func Errorf(status int, code, format string, a ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

// Body is the JSON document of an error response.
type Body struct {
	Error *Error `json:"error"`
}

// ErrorHandler returns an echo.HTTPErrorHandler that answers every error
// with the JSON error document and logs server-side failures.
func ErrorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		e := FromError(err)
		if e.Status >= 500 {
			log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(e.Status)
			return
		}
		_ = c.JSON(e.Status, Body{Error: e})
	}
}

// FromError turns any error into an API error: *Error as it is, echo's
// HTTP errors with a code for their status, anything else as internal.
func FromError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
		return &Error{Status: he.Code, Code: codeForStatus(he.Code), Message: msg}
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error"}
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusMethodNotAllowed:
		return CodeMethod
	case http.StatusRequestEntityTooLarge:
		return CodeTooLarge
	case http.StatusUnsupportedMediaType:
		return CodeUnsupportedType
	case http.StatusTooManyRequests:
		return CodeRateLimited
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusServiceUnavailable:
		return CodeUnavailable
	}
	if status >= 500 {
		return CodeInternal
	}
	return CodeBadRequest
}
