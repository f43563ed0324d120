package post

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"

	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/payload"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// TestFind reads links, inline links and CIDs the way read and share add
// do, offline.
func TestFind(t *testing.T) {
	alice, err := persona.New(persona.Options{Name: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	var msg bytes.Buffer
	if err := envelope.SealPost(&msg, envelope.Post{Text: "hi"}, alice.Entity(), nil, nil); err != nil {
		t.Fatal(err)
	}
	id := relayclient.BlobCID(msg.Bytes())
	link := payload.Link("https://relay.example", id)
	inline, err := payload.Inline("https://relay.example", msg.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	ts, err := Find(ctx, "look: "+payload.FeedText(link)+" and "+payload.FeedText(inline))
	if err != nil || len(ts) != 2 {
		t.Fatalf("Find: %v %v", ts, err)
	}
	if ts[0].Relay != "https://relay.example" || !ts[0].CID.Equals(id) || ts[0].Inline != nil || ts[0].Display != link {
		t.Errorf("link target %+v", ts[0])
	}
	if ts[1].Relay != "https://relay.example" || !ts[1].CID.Equals(id) || !bytes.Equal(ts[1].Inline, msg.Bytes()) {
		t.Errorf("inline target %+v", ts[1])
	}
	ts, err = Find(ctx, " "+id.String()+"\n")
	if err != nil || len(ts) != 1 || ts[0].Relay != "" || !ts[0].CID.Equals(id) {
		t.Errorf("bare CID: %v %v", ts, err)
	}
	for bad, want := range map[string]error{
		"nothing here":                    ErrNoPost,
		link[:len(link)-8] + "…":          payload.ErrTruncated,
		"bafkreinotacid":                  ErrNoPost,
		payload.FeedText(link[:30] + "…"): payload.ErrTruncated,
	} {
		if _, err := Find(ctx, bad); !errors.Is(err, want) {
			t.Errorf("Find(%q): %v, want %v", bad, err, want)
		}
	}
}

// TestUnreachable tells a relay that cannot be reached from one that
// answered.
func TestUnreachable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		// What relayclient's transports return for a failed exchange.
		{fmt.Errorf("%w: %w", relayclient.ErrUnreachable, &url.Error{Op: "Get", URL: "http://127.0.0.1:1/v1/blobs/x", Err: errors.New("connection refused")}), true},
		{fmt.Errorf("relayclient: GET /v1/blobs/x: %w: %w", relayclient.ErrUnreachable, &url.Error{Op: "Get", Err: context.DeadlineExceeded}), true},
		{&net.OpError{Op: "dial", Err: errors.New("no route")}, false}, // not from a transport
		{&relayclient.Error{Status: 502}, true},
		{&relayclient.Error{Status: 503, Code: "unavailable"}, true},
		{&relayclient.Error{Status: 404, Code: "not_found"}, false},
		{&relayclient.Error{Status: 429, Code: "rate_limited"}, false},
		{relayclient.ErrMismatch, false},
	} {
		err := relayError("fetching", tc.err)
		if got := errors.Is(err, ErrUnreachable); got != tc.want {
			t.Errorf("%v: unreachable %v, want %v", tc.err, got, tc.want)
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%v does not wrap its cause", err)
		}
	}
	if relayError("x", nil) != nil {
		t.Error("relayError of nil is not nil")
	}
}
