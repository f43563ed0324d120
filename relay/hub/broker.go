package hub

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Errors a Broker returns.
var (
	// ErrHistoryGone means the events after the asked offset are no longer all
	// kept (trimmed by size or age), or the offset lies ahead of the channel:
	// a client cannot resume from there and must refetch its state.
	ErrHistoryGone = errors.New("hub: history is gone")
	// ErrClosed is returned by a closed broker.
	ErrClosed = errors.New("hub: broker closed")
	// ErrInvalidData means a published payload is not a JSON value.
	ErrInvalidData = errors.New("hub: data is not valid JSON")
)

// Broker carries events between publishers and the hubs that deliver them,
// with history so a client resumes after a reconnect.
//
// Offsets count the events of one channel from 1, without gaps, within one
// epoch. A channel's epoch changes whenever its history is lost (a memory
// broker restarts or drops the channel): an offset means nothing under
// another epoch.
type Broker interface {
	// Publish appends data (a JSON value) to channel and hands the event to
	// every subscriber. It returns the event's position.
	Publish(ctx context.Context, channel string, data []byte) (Position, error)

	// Subscribe delivers every event published on any channel after the
	// call to fn (in order per channel); the hub filters. fn must not block
	// and must not call back into the broker: a broker may call it while
	// publishing. Events and their Data are shared: fn must not modify them.
	// After unsubscribe returns, fn is not called again.
	Subscribe(ctx context.Context, fn func(Event)) (unsubscribe func(), err error)

	// History returns the events of channel with offset > since (at most
	// limit, oldest first), and the channel's current position. With
	// limit <= 0 it returns only the position. It returns ErrHistoryGone,
	// with the position, when since is older than the retention window (or
	// ahead of the channel), so the client knows it missed events.
	History(ctx context.Context, channel string, since uint64, limit int) ([]Event, Position, error)

	// Close releases the broker; later calls return ErrClosed.
	Close() error
}

// Position is a place in a channel's stream: the offset of the last event
// under an epoch. The epoch changes when history is lost (e.g. memory broker
// restart).
type Position struct {
	Epoch  string `json:"epoch"`
	Offset uint64 `json:"offset"`
}

// Event is one published message.
type Event struct {
	Channel string          `json:"channel"`
	Offset  uint64          `json:"offset"`
	Epoch   string          `json:"epoch"`
	Time    time.Time       `json:"time"`
	Data    json.RawMessage `json:"data"`
}

// Position is where the event stands in its channel.
func (e Event) Position() Position { return Position{Epoch: e.Epoch, Offset: e.Offset} }
