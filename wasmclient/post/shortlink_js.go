//go:build js

package post

import (
	"context"
	"fmt"

	"github.com/veilsocial/veil/wasmclient/payload"
)

// resolveShortLink cannot work in the browser: fetch follows redirects
// itself and hides where they lead. Read the link the page shows instead.
func resolveShortLink(_ context.Context, link string) (string, error) {
	return "", fmt.Errorf("%w: %s is a shortened link, which the browser cannot follow here; use the link the page shows", payload.ErrNotVeil, link)
}
