package relayclient

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
)

// ErrUnreachable wraps a failure to exchange anything with the relay (no
// connection, a dropped one, a browser's failed fetch), as opposed to an
// answer the relay gave (*Error).
var ErrUnreachable = errors.New("relayclient: relay unreachable")

// Transport makes one HTTP exchange. The native build sends requests with
// net/http (HTTPTransport, the default); the browser bridge gives a
// transport over fetch, so that the wasm carries no HTTP stack of its own.
// A transport reports a failed exchange wrapped in ErrUnreachable.
type Transport interface {
	RoundTrip(ctx context.Context, req *Request) (*Response, error)
}

// Request is what a Transport sends.
type Request struct {
	Method string
	URL    string
	Header Header
	Body   []byte // nil for none
}

// Response is what a Transport got back; the caller closes Body.
type Response struct {
	Status int
	Header Header
	// ContentLength is -1 when unknown.
	ContentLength int64
	Body          io.ReadCloser
}

// Header holds header fields by lower-case name, one value each (which is
// all the relay API uses).
type Header map[string]string

// Get returns the value of the named field, whatever its case.
func (h Header) Get(name string) string { return h[strings.ToLower(name)] }

// Set sets the named field.
func (h Header) Set(name, value string) { h[strings.ToLower(name)] = value }

// WithTransport makes the client send its requests through t.
func WithTransport(t Transport) Option { return func(c *Client) { c.tr = t } }

// statusText names the statuses a relay answers with, for errors without a
// JSON document.
func statusText(code int) string {
	switch code {
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 409:
		return "Conflict"
	case 413:
		return "Request Entity Too Large"
	case 415:
		return "Unsupported Media Type"
	case 422:
		return "Unprocessable Entity"
	case 429:
		return "Too Many Requests"
	case 500:
		return "Internal Server Error"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Gateway Timeout"
	}
	return "Status " + strconv.Itoa(code)
}

// DefaultTransport is the transport a Client uses unless told otherwise:
// HTTPTransport natively; in the browser one that fails, since there the
// bridge gives a transport over fetch. Other clients of HTTP endpoints in
// the client core (wasmclient/eth) use it the same way.
func DefaultTransport() Transport { return defaultTransport() }
