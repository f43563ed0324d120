package federation

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// rogue is a bare libp2p host with gossipsub on Veil's topics, outside
// any validation: it publishes whatever it is given.
type rogue struct {
	signer
	topics map[string]*pubsub.Topic
}

func startRogue(t *testing.T, connectTo *testNode) *rogue {
	t.Helper()
	s := newSigner(t)
	h, err := libp2p.New(libp2p.Identity(s.key), libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableMetrics())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); h.Close() })
	ps, err := pubsub.NewGossipSub(ctx, h, pubsub.WithFloodPublish(true))
	if err != nil {
		t.Fatal(err)
	}
	r := &rogue{signer: s, topics: map[string]*pubsub.Topic{}}
	for _, name := range []string{TopicAnnounce, TopicKeys} {
		topic, err := ps.Join(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := topic.Subscribe(); err != nil {
			t.Fatal(err)
		}
		r.topics[name] = topic
	}
	if err := h.Connect(ctx, peer.AddrInfo{ID: connectTo.ID(), Addrs: connectTo.host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the rogue's topic peers", func() bool {
		return slices.Contains(r.topics[TopicAnnounce].ListPeers(), connectTo.ID()) &&
			slices.Contains(r.topics[TopicKeys].ListPeers(), connectTo.ID()) &&
			slices.Contains(connectTo.topics[TopicAnnounce].ListPeers(), h.ID())
	})
	return r
}

func (r *rogue) publish(t *testing.T, topic string, data []byte) {
	t.Helper()
	if err := r.topics[topic].Publish(context.Background(), data); err != nil {
		t.Fatalf("rogue publish: %v", err)
	}
}

// TestInvalidMessagesRejected has a rogue peer of C publish a valid
// announcement and then invalid ones: C delivers the valid one only,
// forwards none of the invalid ones to B, and scores the rogue down until
// it is graylisted.
func TestInvalidMessagesRejected(t *testing.T) {
	t.Parallel()
	c := startNode(t)
	b := startNode(t, withPeers(c))
	waitMesh(t, c, b)
	waitMesh(t, b, c)
	r := startRogue(t, c)

	valid := testCID(t, "the rogue's one valid post")
	r.publish(t, TopicAnnounce, r.encode(t, r.post(1, valid)))
	waitFor(t, 5*time.Second, "the valid announcement at B", func() bool { return b.rec.hasCID(valid) })
	if !c.rec.hasCID(valid) {
		t.Fatal("C did not deliver the valid announcement")
	}

	bad := invalidEntries(t)
	for _, tc := range bad {
		topic := TopicAnnounce
		if tc.kind == kindKey {
			topic = TopicKeys
		}
		if len(tc.data) == 0 {
			continue // pubsub does not send empty messages
		}
		r.publish(t, topic, tc.data)
	}
	rejected := func(n *testNode) float64 {
		var sum float64
		for _, topic := range []string{TopicAnnounce, TopicKeys} {
			for _, reason := range []string{"malformed", "size", "signature", "cid", "recipients", "key", "rate", "origin_rate"} {
				sum += counter(t, n.metrics.messages, topic, "rejected_"+reason)
			}
		}
		return sum
	}
	waitFor(t, 10*time.Second, "rejections at C", func() bool { return rejected(c) >= 3 })
	waitFor(t, 10*time.Second, "the rogue's score at C below the graylist threshold", func() bool {
		_, th := scoreParams()
		return c.score(r.id) < th.GraylistThreshold
	})
	time.Sleep(500 * time.Millisecond) // whatever got through would be delivered by now
	t.Logf("C rejected %v messages; the rogue's score is %.0f", rejected(c), c.score(r.id))

	for _, n := range []*testNode{b, c} {
		if got := n.rec.announcements(); len(got) != 1 || !got[0].CID.Equals(valid) {
			t.Errorf("%s delivered %d announcements, want only the valid one", n.ID(), len(got))
		}
		if got := n.rec.keyRecords(); len(got) != 0 {
			t.Errorf("%s delivered %d key records, want none", n.ID(), len(got))
		}
	}
	if n := rejected(b); n != 0 {
		t.Errorf("B saw %v invalid messages: C forwarded them", n)
	}
	if s := b.score(c.ID()); s < 0 {
		t.Errorf("C's score at B is %.1f: an honest forwarder was penalized", s)
	}
}
