package hub

import (
	"strconv"
	"testing"
	"time"
)

// The behaviour every broker shares is tested in broker_test.go; here is
// what only the memory broker does.

// Another memory broker (a restart) starts channels under new epochs.
func TestMemoryBrokerRestart(t *testing.T) {
	b := NewMemoryBroker(MemoryConfig{})
	defer b.Close()
	_, start, _ := b.History(bg, inboxA, 0, 0)
	b2 := NewMemoryBroker(MemoryConfig{})
	defer b2.Close()
	if _, p2, _ := b2.History(bg, inboxA, 0, 0); p2.Epoch == start.Epoch {
		t.Fatal("epoch survived a restart")
	}
}

// Memory stays proportional to what is kept.
func TestMemoryBrokerCompaction(t *testing.T) {
	b := NewMemoryBroker(MemoryConfig{HistorySize: 5, HistoryTTL: time.Hour})
	defer b.Close()
	for i := 1; i <= 100; i++ {
		b.Publish(bg, inboxA, []byte(strconv.Itoa(i)))
	}
	mc := b.channels[inboxA]
	if len(mc.events)-mc.head != 5 || cap(mc.events) > 128 {
		t.Fatalf("kept %d events in a slice of %d", len(mc.events)-mc.head, cap(mc.events))
	}
}

func TestMemoryBrokerMaxChannels(t *testing.T) {
	b := NewMemoryBroker(MemoryConfig{MaxChannels: 2})
	defer b.Close()
	a, _ := b.Publish(bg, inboxA, []byte(`1`))
	b.Publish(bg, inboxB, []byte(`1`))
	b.History(bg, inboxA, 0, 0) // inboxA is now the most recently used
	b.Publish(bg, ChannelDirectory, []byte(`1`))
	if len(b.channels) != 2 || b.channels[inboxB] != nil {
		t.Fatalf("channels kept: %v", b.channels)
	}
	if _, pos, _ := b.History(bg, inboxA, 0, 0); pos != a {
		t.Fatalf("inboxA lost its stream: %+v", pos)
	}
	if _, pos, _ := b.History(bg, inboxB, 0, 0); pos.Offset != 0 {
		t.Fatalf("dropped inboxB came back at %+v", pos)
	}
}

func BenchmarkMemoryBrokerPublish(b *testing.B) {
	br := NewMemoryBroker(MemoryConfig{})
	defer br.Close()
	unsub, _ := br.Subscribe(bg, func(Event) {})
	defer unsub()
	data := []byte(`{"post":"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi","key":"0123456789ABCDEF"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := br.Publish(bg, inboxA, data); err != nil {
			b.Fatal(err)
		}
	}
}
