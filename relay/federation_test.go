package relay

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/veilsocial/veil/wasmclient/relayclient"
)

func nodeInfo(t *testing.T, n *Node) relayclient.Info {
	t.Helper()
	return relayInfo(t, n.URL())
}

// TestFederatedPost: three relays in a line (A–B–C). A post uploaded at A
// notifies a subscriber on C, who reads it from C (fetched by bitswap)
// within 2 s; a key published at A reaches C's directory.
func TestFederatedPost(t *testing.T) {
	p2p := []string{"/ip4/127.0.0.1/tcp/0"}
	a := startNode(t, func(c *Config) { c.P2PListen = p2p })
	ia := nodeInfo(t, a)
	if ia.PeerID == "" || len(ia.Addrs) == 0 {
		t.Fatalf("info lists no libp2p identity: %+v", ia)
	}
	b := startNode(t, func(c *Config) { c.P2PListen, c.Peers = p2p, ia.Addrs })
	ib := nodeInfo(t, b)
	cn := startNode(t, func(c *Config) { c.P2PListen, c.Peers = p2p, ib.Addrs })

	alice, bob := newPersona(t, "Alice"), newPersona(t, "Bob")
	inbox := wsSubscribe(t, cn, relayclient.InboxChannel(encryptionKeyID(t, bob)))
	// Give the gossip mesh a moment to form.
	time.Sleep(1500 * time.Millisecond)

	msg := sealTo(t, "across the network", alice, bob)
	start := time.Now()
	id, err := client(t, a).Upload(context.Background(), msg, relayclient.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, inbox)
	if ev.Data["cid"] != id.String() {
		t.Fatalf("event on C: %+v", ev)
	}
	got, err := client(t, cn).Get(context.Background(), id)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("read at C: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("post at A to read at C took %s", took)
	}

	pub, _ := alice.ArmoredPublicKey()
	if _, err := client(t, a).PublishKey(context.Background(), pub); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := client(t, cn).GetKey(context.Background(), alice.Fingerprint()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("alice's key did not reach C within 5 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
