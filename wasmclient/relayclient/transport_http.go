//go:build !js

package relayclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// HTTPTransport sends requests with a net/http client
// (http.DefaultClient if nil). It is the default outside the browser.
type HTTPTransport struct{ Client *http.Client }

// WithHTTPClient makes the client send its requests with hc.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.tr = HTTPTransport{Client: hc} }
}

func defaultTransport() Transport { return HTTPTransport{} }

// RoundTrip sends req.
func (t HTTPTransport) RoundTrip(ctx context.Context, req *Request) (*Response, error) {
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return nil, err
	}
	for k, v := range req.Header {
		hr.Header.Set(k, v)
	}
	hc := t.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hr)
	if err != nil {
		// A timeout counts as unreachable too; errors.Is still finds the
		// context's error inside.
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return &Response{Status: resp.StatusCode, Header: fromHTTP(resp.Header), ContentLength: resp.ContentLength, Body: resp.Body}, nil
}

func fromHTTP(h http.Header) Header {
	out := make(Header, len(h))
	for k, vs := range h {
		if len(vs) > 0 {
			out.Set(k, vs[0])
		}
	}
	return out
}

// ResponseError turns a net/http response with a failure status into an
// *Error, such as a refused WebSocket upgrade for a Dialer. It reads (a
// bounded part of) the body and leaves closing it to the caller.
func ResponseError(resp *http.Response) *Error {
	return responseError(resp.StatusCode, fromHTTP(resp.Header), resp.Body)
}
