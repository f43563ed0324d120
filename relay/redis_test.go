package relay

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/veilsocial/veil/internal/redistest"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// TestRedisSharesEventsAndLimits: two relay processes' nodes on one Redis
// deliver each other's events and share rate limits; when Redis goes away
// /healthz says degraded, and it recovers by itself.
func TestRedisSharesEventsAndLimits(t *testing.T) {
	srv := redistest.Start(t)
	withRedis := func(c *Config) { c.Redis = srv.URL() }
	a := startNode(t, withRedis)
	b := startNode(t, withRedis)
	alice, bob := newPersona(t, "Alice"), newPersona(t, "Bob")
	inbox := wsSubscribe(t, b, relayclient.InboxChannel(encryptionKeyID(t, bob)))
	msg := sealTo(t, "across processes", alice, bob)
	id, err := client(t, a).Upload(context.Background(), msg, relayclient.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, inbox); ev.Data["cid"] != id.String() {
		t.Errorf("event on B for an upload on A: %+v", ev)
	}

	// Shared limits: a burst of 3 for the pair, not 3 each.
	srv2 := redistest.Start(t)
	limited := func(c *Config) { c.Redis, c.RateAnon, c.BurstAnon = srv2.URL(), 0.01, 3 }
	x, y := startNode(t, limited), startNode(t, limited)
	refused := 0
	for i := range 6 {
		n := []*Node{x, y}[i%2]
		status, _ := apiCall(t, "POST", n.URL()+"/v1/blobs", "application/octet-stream", bytes.NewReader(sealTo(t, "x", alice, bob)), nil)
		if status == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused < 3 {
		t.Errorf("%d of 6 uploads across two processes refused with a shared burst of 3", refused)
	}

	// Outage and recovery.
	srv.Kill()
	waitHealth(t, a, "degraded")
	srv.Restart()
	waitHealth(t, a, "ok")
}

func waitHealth(t *testing.T, n *Node, want string) {
	t.Helper()
	waitProcessHealth(t, n.URL(), want, 15*time.Second)
}
