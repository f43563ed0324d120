// Package relaytest runs a real relay for tests outside package relay (the
// client core's, the command's, the end-to-end ones): in the test process,
// on a loopback port, with its data in a temporary directory.
package relaytest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/veilsocial/veil/relay"
)

// Start runs a relay on cfg and shuts it down when tb ends. An empty
// Listen is 127.0.0.1:0 and an empty DataDir a fresh temporary directory;
// the log is discarded. Shutting it down earlier (to restart one on the
// same data) is fine: Shutdown may be called again.
func Start(tb testing.TB, cfg relay.Config) *relay.Node {
	tb.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = tb.TempDir()
	}
	n, err := relay.New(cfg, relay.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		tb.Fatal(err)
	}
	if err := n.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			tb.Errorf("relay shutdown: %v", err)
		}
	})
	return n
}

// Unlimited lifts a config's rate limits, for tests that send many requests
// from one address.
func Unlimited(cfg relay.Config) relay.Config {
	cfg.RateAnon, cfg.BurstAnon = 100000, 100000
	cfg.RatePersona, cfg.BurstPersona = 100000, 100000
	cfg.RateRead, cfg.BurstRead = 100000, 100000
	return cfg
}
