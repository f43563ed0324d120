package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/veilsocial/veil/relay"
)

// runRelay runs a relay node until SIGINT/SIGTERM.
func runRelay(env Env, args []string) error {
	fs := newFlags(env, "relay", "relay [--listen ADDR] [--data-dir DIR] [--config FILE] [options]")
	configFile := fs.String("config", "", "JSON config file (settings as in docs/OPERATING.md; flags and VEIL_* variables override it)")
	listen := fs.String("listen", "", "HTTP listen address (default 127.0.0.1:8080; $VEIL_LISTEN)")
	dataDir := fs.String("data-dir", "", "data directory (default ./veil-data; $VEIL_DATA_DIR)")
	publicURL := fs.String("public-url", "", "URL clients use to reach this relay ($VEIL_PUBLIC_URL)")
	name := fs.String("name", "", "relay name shown in /v1/info ($VEIL_NAME)")
	maxBlob := fs.Int64("max-blob-size", 0, "largest upload in bytes ($VEIL_MAX_BLOB_SIZE)")
	var p2pListen, peers stringList
	fs.Var(&p2pListen, "p2p-listen", "libp2p multiaddr to listen on for the relay network, e.g. /ip4/0.0.0.0/tcp/4001 (repeatable)")
	fs.Var(&peers, "peer", "relay to connect to: multiaddr ending in /p2p/<peer id> (repeatable)")
	mdns := fs.Bool("mdns", false, "find relays on the local network")
	redisURL := fs.String("redis", "", "redis://HOST:PORT/DB shared by the relay processes of one site ($VEIL_REDIS)")
	webWasmDir := fs.String("web-wasm-dir", "", "directory with veil.wasm and wasm_exec.js (bin/ after make wasm) for the post viewer to decrypt with ($VEIL_WEB_WASM_DIR)")
	chainRPC := fs.String("chain-rpc", "", "EVM JSON-RPC endpoint of the relay registry's chain ($VEIL_CHAIN_RPC)")
	chainFile := fs.String("chain-file", "", "file `veil devchain` wrote: the chain's RPC and contracts ($VEIL_CHAIN_FILE)")
	registry := fs.String("registry", "", "RelayRegistry contract address ($VEIL_REGISTRY)")
	operatorKey := fs.String("operator-key", "", "register this relay in the registry: a file with the operator's hex private key, or devchain:<account> ($VEIL_OPERATOR_KEY)")
	stake := fs.String("stake", "", "self-stake to register with, in VEIL (default: the registry's minimum; $VEIL_STAKE)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg := relay.Defaults()
	if *configFile != "" {
		if err := relay.LoadFile(&cfg, *configFile); err != nil {
			return err
		}
	}
	if err := relay.FromEnv(&cfg, env.Getenv); err != nil {
		return usagef("%v", err)
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&cfg.Listen, *listen)
	set(&cfg.DataDir, *dataDir)
	set(&cfg.PublicURL, *publicURL)
	set(&cfg.Name, *name)
	set(&cfg.Redis, *redisURL)
	set(&cfg.WebWasmDir, *webWasmDir)
	set(&cfg.ChainRPC, *chainRPC)
	set(&cfg.ChainFile, *chainFile)
	set(&cfg.Registry, *registry)
	set(&cfg.OperatorKey, *operatorKey)
	set(&cfg.Stake, *stake)
	cfg.P2PListen = append(cfg.P2PListen, p2pListen...)
	cfg.Peers = append(cfg.Peers, peers...)
	cfg.MDNS = cfg.MDNS || *mdns
	if *maxBlob > 0 {
		cfg.MaxBlobSize = *maxBlob
	}
	node, err := relay.New(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := node.Start(); err != nil {
		node.Shutdown(context.Background())
		return err
	}
	fmt.Fprintf(env.Stdout, "veil relay listening on %s (data in %s)\n", node.URL(), cfg.DataDir)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), relay.ShutdownGrace(cfg))
	defer cancel()
	return node.Shutdown(sctx)
}
