package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/veilsocial/veil/wallet/devchain"
)

// devchainStop, when a test sets it, stops `veil devchain` as an interrupt
// would.
var devchainStop <-chan struct{}

// runDevchain runs a dev chain until SIGINT/SIGTERM.
func runDevchain(env Env, args []string) error {
	fs := newFlags(env, "devchain", "devchain [--http ADDR] [--out FILE]")
	httpAddr := fs.String("http", "127.0.0.1:8545", "JSON-RPC listen address (port 0: any free port)")
	out := fs.String("out", "devchain.json", "file to write the RPC URL, contract addresses and dev accounts to")
	unbonding := fs.Duration("unbonding-delay", 60*time.Second, "the registry's unbonding delay")
	commission := fs.Duration("commission-delay", 120*time.Second, "the registry's delay before a new commission holds")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("devchain takes no arguments")
	}
	if *unbonding < time.Second || *commission < time.Second {
		return usagef("the delays are whole seconds, at least 1s")
	}
	ctx, stop := commandContext(0)
	defer stop()
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := devchain.Start(sctx, devchain.Config{HTTP: *httpAddr, UnbondingDelay: *unbonding, CommissionDelay: *commission})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.WriteFile(*out); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	info := c.Info()
	fmt.Fprintf(env.Stdout, "veil devchain: chain %d, JSON-RPC on %s\n", info.ChainID, info.RPC)
	fmt.Fprintf(env.Stdout, "  VeilToken      %s\n  Tips           %s\n  RelayRegistry  %s\n", info.Contracts.Token.Hex(), info.Contracts.Tips.Hex(), info.Contracts.Registry.Hex())
	for _, a := range info.Accounts {
		fmt.Fprintf(env.Stdout, "  %-14s %s\n", a.Name, a.Address.Hex())
	}
	fmt.Fprintf(env.Stdout, "wrote %s (its private keys are for this dev chain only); Ctrl-C stops the chain\n", *out)
	select {
	case <-ctx.Done():
	case <-devchainStop:
	}
	return c.Close()
}
