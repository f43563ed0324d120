package hub

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

var bg = context.Background()

func TestMemoryBrokerOffsets(t *testing.T) {
	b := NewMemoryBroker(MemoryConfig{})
	defer b.Close()
	var got []Event
	var mu sync.Mutex
	unsub, err := b.Subscribe(bg, func(ev Event) {
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}

	_, start, err := b.History(bg, inboxA, 0, 0) // starts the channel
	if err != nil || start.Offset != 0 || start.Epoch == "" {
		t.Fatalf("History of a new channel: %+v %v", start, err)
	}
	for i := 1; i <= 3; i++ {
		pos, err := b.Publish(bg, inboxA, []byte(strconv.Itoa(i)))
		if err != nil || pos != (Position{start.Epoch, uint64(i)}) {
			t.Fatalf("Publish %d: %+v %v", i, pos, err)
		}
	}
	posB, _ := b.Publish(bg, inboxB, []byte(`"b"`))
	if posB.Offset != 1 || posB.Epoch == start.Epoch {
		t.Fatalf("other channel: %+v (epochs are per channel)", posB)
	}
	unsub()
	unsub() // idempotent
	if _, err := b.Publish(bg, inboxA, []byte(`4`)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(got) != 4 || got[0].Offset != 1 || got[2].Offset != 3 || got[3].Channel != inboxB || string(got[1].Data) != "2" {
		t.Fatalf("subscriber saw %+v", got)
	}
	mu.Unlock()

	evs, pos, err := b.History(bg, inboxA, 1, 10)
	if err != nil || pos.Offset != 4 || len(evs) != 3 || evs[0].Offset != 2 || evs[2].Offset != 4 {
		t.Fatalf("History since 1: %+v %+v %v", evs, pos, err)
	}
	evs, _, _ = b.History(bg, inboxA, 0, 2)
	if len(evs) != 2 || evs[0].Offset != 1 || evs[1].Offset != 2 {
		t.Fatalf("History with limit: %+v", evs)
	}
	if evs, _, err = b.History(bg, inboxA, 4, 10); err != nil || len(evs) != 0 {
		t.Fatalf("History at head: %+v %v", evs, err)
	}
	if _, pos, err = b.History(bg, inboxA, 5, 10); !errors.Is(err, ErrHistoryGone) || pos.Offset != 4 {
		t.Fatalf("History ahead: %+v %v", pos, err)
	}

	if _, err := b.Publish(bg, inboxA, []byte(`{"a":`)); !errors.Is(err, ErrInvalidData) {
		t.Fatalf("invalid JSON: %v", err)
	}
	data := []byte(`"mutable"`)
	b.Publish(bg, inboxA, data)
	data[1] = 'M'
	if evs, _, _ = b.History(bg, inboxA, 4, 1); string(evs[0].Data) != `"mutable"` {
		t.Fatalf("the broker kept the caller's buffer: %s", evs[0].Data)
	}

	// Another broker (a restart) starts channels under new epochs.
	b2 := NewMemoryBroker(MemoryConfig{})
	defer b2.Close()
	if _, p2, _ := b2.History(bg, inboxA, 0, 0); p2.Epoch == start.Epoch {
		t.Fatal("epoch survived a restart")
	}
}

func TestMemoryBrokerRetention(t *testing.T) {
	b := NewMemoryBroker(MemoryConfig{HistorySize: 5, HistoryTTL: time.Hour})
	defer b.Close()
	now := time.Now()
	b.now = func() time.Time { return now }
	for i := 1; i <= 100; i++ {
		b.Publish(bg, inboxA, []byte(strconv.Itoa(i)))
	}
	if _, _, err := b.History(bg, inboxA, 94, 10); !errors.Is(err, ErrHistoryGone) {
		t.Fatalf("since 94 with 96..100 kept: %v", err)
	}
	evs, _, err := b.History(bg, inboxA, 95, 10)
	if err != nil || len(evs) != 5 || evs[0].Offset != 96 {
		t.Fatalf("since 95: %+v %v", evs, err)
	}
	mc := b.channels[inboxA]
	if len(mc.events)-mc.head != 5 || cap(mc.events) > 128 {
		t.Fatalf("kept %d events in a slice of %d", len(mc.events)-mc.head, cap(mc.events))
	}

	now = now.Add(30 * time.Minute)
	b.Publish(bg, inboxA, []byte(`101`))
	now = now.Add(31 * time.Minute) // 96..100 are now over an hour old
	evs, pos, err := b.History(bg, inboxA, 100, 10)
	if err != nil || len(evs) != 1 || evs[0].Offset != 101 || pos.Offset != 101 {
		t.Fatalf("since 100 after expiry: %+v %v", evs, err)
	}
	if _, _, err := b.History(bg, inboxA, 99, 10); !errors.Is(err, ErrHistoryGone) {
		t.Fatalf("since 99 after expiry: %v", err)
	}
	now = now.Add(time.Hour)
	if _, pos, err = b.History(bg, inboxA, 101, 10); err != nil || pos.Offset != 101 {
		t.Fatalf("everything expired, client up to date: %+v %v", pos, err)
	}
	if _, _, err = b.History(bg, inboxA, 100, 10); !errors.Is(err, ErrHistoryGone) {
		t.Fatalf("everything expired, client behind: %v", err)
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

// Publishers on many channels at once: each subscriber sees every channel's
// events in offset order.
func TestMemoryBrokerConcurrent(t *testing.T) {
	b := NewMemoryBroker(MemoryConfig{})
	defer b.Close()
	const chans, per = 8, 500
	var mu sync.Mutex
	last := map[string]uint64{}
	var bad error
	unsub, _ := b.Subscribe(bg, func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Offset != last[ev.Channel]+1 && bad == nil {
			bad = errors.New(ev.Channel + ": offset " + strconv.FormatUint(ev.Offset, 10) + " out of order")
		}
		last[ev.Channel] = ev.Offset
	})
	defer unsub()
	var wg sync.WaitGroup
	for i := range chans * 2 { // two publishers per channel
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				if _, err := b.Publish(bg, InboxChannel(uint64(i%chans)), []byte(`{}`)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if bad != nil {
		t.Fatal(bad)
	}
	for i := range chans {
		if got := last[InboxChannel(uint64(i))]; got != 2*per {
			t.Errorf("channel %d: last offset %d", i, got)
		}
	}
}

func TestMemoryBrokerClose(t *testing.T) {
	baseline := runtime.NumGoroutine()
	b := NewMemoryBroker(MemoryConfig{})
	b.Publish(bg, inboxA, []byte(`1`))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	_ = b.Close()
	if _, err := b.Publish(bg, inboxA, []byte(`1`)); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close: %v", err)
	}
	if _, _, err := b.History(bg, inboxA, 0, 10); !errors.Is(err, ErrClosed) {
		t.Errorf("History after Close: %v", err)
	}
	if _, err := b.Subscribe(bg, func(Event) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
	waitGoroutines(t, baseline)

	ctx, cancel := context.WithCancel(bg)
	cancel()
	b2 := NewMemoryBroker(MemoryConfig{})
	defer b2.Close()
	if _, err := b2.Publish(ctx, inboxA, []byte(`1`)); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish with a done context: %v", err)
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
