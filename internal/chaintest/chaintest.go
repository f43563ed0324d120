// Package chaintest runs a dev chain (wallet/devchain: go-ethereum's
// simulated chain with HTTP JSON-RPC on a loopback port, Veil's contracts
// deployed, the dev accounts funded) for tests and benchmarks in any
// package, stopped when the test ends.
package chaintest

import (
	"context"
	"testing"
	"time"

	"github.com/veilsocial/veil/wallet/devchain"
)

// Start runs a dev chain on cfg, on 127.0.0.1 with a port of the system's
// choosing unless cfg.HTTP says otherwise, and closes it when tb ends.
func Start(tb testing.TB, cfg devchain.Config) *devchain.Chain {
	tb.Helper()
	if cfg.HTTP == "" {
		cfg.HTTP = "127.0.0.1:0"
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := devchain.Start(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Errorf("dev chain: close: %v", err)
		}
	})
	return c
}
