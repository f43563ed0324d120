package relayclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Sentinels that *Error values match with errors.Is.
var (
	// ErrNotFound: the relay does not have the CID, key or route (404).
	ErrNotFound = errors.New("relayclient: not found")
	// ErrUnauthorized: a required signature is missing or does not verify (401).
	ErrUnauthorized = errors.New("relayclient: unauthorized")
	// ErrRateLimited: too many requests or the storage quota is used up
	// (429); Error.RetryAfter says how long to wait when the relay said.
	ErrRateLimited = errors.New("relayclient: rate limited")
	// ErrTooLarge: the body is over the relay's size cap (413).
	ErrTooLarge = errors.New("relayclient: too large")
)

// Errors about what a relay answered.
var (
	// ErrMismatch means the relay's answer does not match the request: bytes
	// that do not hash to the CID asked for, a CID for an upload that is not
	// the upload's, a key that is not the one its record names or that does
	// not match the query.
	ErrMismatch = errors.New("relayclient: the relay's answer does not match the request")
	// ErrBadResponse means the relay's answer could not be read.
	ErrBadResponse = errors.New("relayclient: malformed response")
)

// Error is an error answered by the relay: the HTTP status and the JSON
// error document ({"error": {"code": …, "message": …}}). Code is one of the
// stable codes of docs/API.md ("not_found", "too_large", …); it is empty
// when the answer was not a JSON error document (a proxy's error page), and
// Message then holds the start of the body.
type Error struct {
	Status  int
	Code    string
	Message string
	// RetryAfter is the relay's Retry-After, when it sent one.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("relay: %d %s", e.Status, e.Message)
	}
	return fmt.Sprintf("relay: %s (%d): %s", e.Code, e.Status, e.Message)
}

// Is matches the sentinel errors by status.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == 404
	case ErrUnauthorized:
		return e.Status == 401
	case ErrRateLimited:
		return e.Status == 429
	case ErrTooLarge:
		return e.Status == 413
	}
	return false
}

// httpTime is the date format of HTTP headers (RFC 9110's IMF-fixdate).
const httpTime = "Mon, 02 Jan 2006 15:04:05 GMT"

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// responseError turns an answer with a failure status into an *Error. It
// reads (a bounded part of) the body and leaves closing it to the caller.
func responseError(status int, h Header, body io.Reader) *Error {
	e := &Error{Status: status}
	if s := h.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		} else if t, err := time.Parse(httpTime, s); err == nil {
			e.RetryAfter = max(0, time.Until(t))
		}
	}
	b, _ := io.ReadAll(io.LimitReader(body, maxErrorBody))
	var doc struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &doc) == nil && doc.Error != nil && doc.Error.Code != "" {
		e.Code, e.Message = doc.Error.Code, doc.Error.Message
		return e
	}
	e.Message = statusText(status)
	if snippet := printable(b, 200); snippet != "" {
		e.Message += ": " + snippet
	}
	return e
}

// printable returns the start of b as one line of printable text.
func printable(b []byte, n int) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, string(b))
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}
