package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/post"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// errEnough stops veil watch after --max events.
var errEnough = errors.New("enough events")

// watchLine is what watch --json prints for an event.
type watchLine struct {
	Time    time.Time `json:"time,omitzero"`
	Channel string    `json:"channel"`
	Offset  uint64    `json:"offset,omitempty"`
	Epoch   string    `json:"epoch,omitempty"`
	Type    string    `json:"type"`
	CID     string    `json:"cid,omitempty"`
	Size    int64     `json:"size,omitempty"`
	Index   *int      `json:"index,omitempty"`
	Persona string    `json:"persona,omitempty"`
	Reason  string    `json:"reason,omitempty"`
}

func runWatch(env Env, args []string) error {
	fs := newFlags(env, "watch", "watch [--as QUERY] [--read] [--json] [--max N] [--for DURATION] [--relay URL]")
	var rf readFlags
	rf.store.register(fs)
	rf.relay.register(fs)
	fs.StringVar(&rf.as, "as", "", "watch this persona's inbox (default: every persona's)")
	read := fs.Bool("read", false, "decrypt and print posts as they arrive")
	fs.BoolVar(&rf.fetchKey, "fetch-key", false, "with --read: get unknown authors' keys from the relay's directory to check signatures")
	fs.BoolVar(&rf.json, "json", false, "print each event (and with --read, each post) as a line of JSON")
	maxEvents := fs.Int("max", 0, "stop after this many events (0: no limit)")
	dur := fs.Duration("for", 0, "stop after this long (0: until interrupted)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("watch takes no arguments")
	}
	st, err := openStore(env, rf.store.home)
	if err != nil {
		return err
	}
	var ps []*persona.Persona
	if rf.as != "" {
		p, err := st.Persona(rf.as)
		if err != nil {
			return err
		}
		ps = append(ps, p)
	} else if ps, err = st.Personas(); err != nil {
		return err
	}
	if len(ps) == 0 {
		return errors.New("no persona yet: veil persona new --name NAME --email EMAIL")
	}
	owner := map[string]*persona.Persona{}
	var channels []string
	for _, p := range ps {
		for _, id := range encryptionKeyIDs(p.Entity()) {
			ch := relayclient.InboxChannel(id)
			if owner[ch] == nil {
				owner[ch] = p
				channels = append(channels, ch)
			}
		}
	}
	c, err := rf.relay.client(env, "")
	if err != nil {
		return err
	}
	var reader func(ctx context.Context, id cid.Cid) error
	if *read {
		kr, err := keyring(env, st, rf.store.passphraseFile, rf.as)
		if err != nil {
			return err
		}
		reader = func(ctx context.Context, id cid.Cid) error {
			rctx, cancel := context.WithTimeout(ctx, requestTimeout)
			defer cancel()
			return readPost(rctx, env, &rf, kr, post.Target{CID: id, Display: id.String()})
		}
	}
	ctx, cancel := commandContext(*dur)
	defer cancel()
	for _, ch := range channels {
		fmt.Fprintf(env.Stderr, "veil: watching %s (%s) on %s\n", ch, owner[ch].UserID(), c.BaseURL())
	}
	seen := 0
	err = c.Watch(ctx, dialWebSocket, channels, nil, func(ev relayclient.Event) error {
		printEvent(env, ev, owner[ev.Channel], rf.json)
		if reader != nil && (ev.Type == relayclient.TypePost || ev.Type == relayclient.TypeShare) {
			id, err := cid.Decode(ev.CID)
			if err == nil {
				err = reader(ctx, id)
			}
			if err != nil && ctx.Err() == nil {
				fmt.Fprintf(env.Stderr, "veil watch: %s: %v\n", ev.CID, err)
			}
		}
		seen++
		if *maxEvents > 0 && seen >= *maxEvents {
			return errEnough
		}
		return nil
	})
	switch {
	case errors.Is(err, errEnough), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil
	case err != nil:
		return fmt.Errorf("watching %s: %w", c.BaseURL(), err)
	}
	return nil
}

// printEvent prints one event as a line.
func printEvent(env Env, ev relayclient.Event, p *persona.Persona, asJSON bool) {
	who := ""
	if p != nil {
		who = p.UserID()
	}
	if asJSON {
		l := watchLine{Time: ev.Time, Channel: ev.Channel, Offset: ev.Offset, Epoch: ev.Epoch, Type: ev.Type,
			CID: ev.CID, Size: ev.Size, Persona: who, Reason: ev.Reason}
		if ev.Type == relayclient.TypeShare {
			l.Index = &ev.Index
		}
		b, _ := json.Marshal(l)
		fmt.Fprintf(env.Stdout, "%s\n", b)
		return
	}
	keyID := strings.TrimPrefix(ev.Channel, "inbox:")
	switch ev.Type {
	case relayclient.TypePost:
		fmt.Fprintf(env.Stdout, "%s post %s %d bytes for %s %s\n", stamp(ev.Time), ev.CID, ev.Size, keyID, who)
	case relayclient.TypeShare:
		fmt.Fprintf(env.Stdout, "%s share %s #%d for %s %s\n", stamp(ev.Time), ev.CID, ev.Index, keyID, who)
	case relayclient.TypeMissed:
		fmt.Fprintf(env.Stdout, "%s missed %s: the relay lost what came while away (%s)\n", stamp(time.Now()), ev.Channel, ev.Reason)
	default:
		fmt.Fprintf(env.Stdout, "%s %s %s %s\n", stamp(ev.Time), ev.Type, ev.Channel, ev.Data)
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
