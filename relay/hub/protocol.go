package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/veilsocial/veil/relay/api"
)

// Client operations.
const (
	OpSubscribe   = "subscribe"
	OpUnsubscribe = "unsubscribe"
	OpPing        = "ping"
)

// Codes of error replies (and of the reason a subscription was not
// recovered). They share their spelling with the relay's HTTP API.
const (
	CodeBadRequest        = api.CodeBadRequest // not JSON, unknown op or field, missing id
	CodeBadChannel        = "bad_channel"      // not a channel name ValidChannel accepts
	CodeTooMany           = api.CodeTooMany    // subscription cap, connection cap (HTTP 503)
	CodeAlreadySubscribed = "already_subscribed"
	CodeNotSubscribed     = "not_subscribed"
	CodeHistoryGone       = "history_gone" // reason: the events after since are not all kept
	CodeUnavailable       = api.CodeUnavailable
	CodeForbidden         = api.CodeForbidden // origin not allowed (HTTP 403)
)

const maxEpochLen = 128

// Message is a client's request.
type Message struct {
	ID      uint64    `json:"id"`
	Op      string    `json:"op"`
	Channel string    `json:"channel,omitempty"`
	Since   *Position `json:"since,omitempty"`
}

// Reply answers a Message. Exactly one of OK and Error is set.
type Reply struct {
	ID        uint64     `json:"id,omitempty"`
	OK        bool       `json:"ok,omitempty"`
	Position  *Position  `json:"position,omitempty"`  // subscribe: where the stream stands
	Recovered *bool      `json:"recovered,omitempty"` // subscribe: every event after since follows
	Reason    string     `json:"reason,omitempty"`    // subscribe with since, not recovered: why
	Error     *api.Error `json:"error,omitempty"`
}

func protoErr(code, msg string) *api.Error { return &api.Error{Code: code, Message: msg} }

// ParseMessage reads one client frame. It is strict: unknown fields are
// refused, so a misspelt "since" cannot silently turn a resume into a fresh
// subscription. A returned message always has an id >= 1 and a known op with
// the fields that op needs. With an error, the message holds the id if one
// was read, for the error reply; the error's code is CodeBadRequest or
// CodeBadChannel.
func ParseMessage(data []byte) (Message, *api.Error) {
	var m Message
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Message{}, protoErr(CodeBadRequest, "invalid message: "+err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Message{}, protoErr(CodeBadRequest, "invalid message: data after the JSON object")
	}
	if m.ID == 0 {
		return Message{}, protoErr(CodeBadRequest, "id must be a positive integer")
	}
	switch m.Op {
	case OpSubscribe, OpUnsubscribe:
		if m.Channel == "" {
			return Message{ID: m.ID}, protoErr(CodeBadRequest, m.Op+" needs a channel")
		}
		if !ValidChannel(m.Channel) {
			return Message{ID: m.ID}, protoErr(CodeBadChannel, "not a channel: want inbox:<16 upper-hex key id>, shares:<CIDv1> or directory")
		}
		if m.Since != nil && m.Op != OpSubscribe {
			return Message{ID: m.ID}, protoErr(CodeBadRequest, "since is only for subscribe")
		}
		if m.Since != nil && len(m.Since.Epoch) > maxEpochLen {
			return Message{ID: m.ID}, protoErr(CodeBadRequest, "epoch too long")
		}
	case OpPing:
		if m.Channel != "" || m.Since != nil {
			return Message{ID: m.ID}, protoErr(CodeBadRequest, "ping takes no channel")
		}
	case "":
		return Message{ID: m.ID}, protoErr(CodeBadRequest, "op is missing")
	default:
		return Message{ID: m.ID}, protoErr(CodeBadRequest, "unknown op: want subscribe, unsubscribe or ping")
	}
	return m, nil
}
