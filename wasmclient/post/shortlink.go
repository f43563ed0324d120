//go:build !js

package post

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/veilsocial/veil/wasmclient/payload"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// resolveShortLink asks a link shortener (t.co, fb.me) where a link goes,
// without going there.
func resolveShortLink(ctx context.Context, link string) (string, error) {
	hc := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, link, nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", &RelayError{Op: "resolving " + link, Err: fmt.Errorf("%w: %w", relayclient.ErrUnreachable, err)}
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", fmt.Errorf("%w: %s does not redirect anywhere (%s)", payload.ErrNotVeil, link, resp.Status)
	}
	return loc, nil
}
