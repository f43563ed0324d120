package relay

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/veilsocial/veil/internal/chaintest"
	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wallet/devchain"
)

// TestRegistryListsAndConnectsRelays: two relays with operator keys on a dev
// chain register themselves in the relay registry (one with more stake),
// show their listing in /v1/info, and find each other through the active
// set: neither is told about the other, yet they connect over libp2p.
func TestRegistryListsAndConnectsRelays(t *testing.T) {
	ctx := context.Background()
	chain := chaintest.Start(t, devchain.Config{IdleBlock: -1})
	chainFile := filepath.Join(t.TempDir(), "devchain.json")
	if err := chain.WriteFile(chainFile); err != nil {
		t.Fatal(err)
	}
	// dave's key from a file, the operator's by its dev chain name.
	daveKey := filepath.Join(t.TempDir(), "dave.key")
	info := chain.Info()
	dave, _ := info.Account("dave")
	if err := os.WriteFile(daveKey, []byte(dave.PrivateKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p2p := []string{"/ip4/127.0.0.1/tcp/0"}
	a := startNode(t, func(c *Config) {
		c.P2PListen, c.ChainFile, c.OperatorKey, c.Stake, c.CommissionBps = p2p, chainFile, "devchain:operator", "2500", 500
		c.RegistryInterval = Duration(200 * time.Millisecond)
	})
	b := startNode(t, func(c *Config) {
		c.P2PListen, c.ChainFile, c.OperatorKey = p2p, chainFile, daveKey
		c.RegistryInterval = Duration(200 * time.Millisecond)
	})

	waitFor(t, 20*time.Second, "both relays listed and active", func() bool {
		sa, sb := nodeInfo(t, a).Stake, nodeInfo(t, b).Stake
		return sa != nil && sb != nil && sa.Active && sb.Active && sa.ActiveSetSize == 2 && sb.ActiveSetSize == 2
	})
	sa, sb := nodeInfo(t, a).Stake, nodeInfo(t, b).Stake
	if !sa.Registered || sa.Rank != 1 || sa.TotalStake != "2500" || sa.CommissionBps != 500 || sa.ChainID != devchain.ChainID {
		t.Errorf("A's stake: %+v", sa)
	}
	if !sb.Registered || sb.Rank != 2 || sb.SelfStake != "1000" || !strings.EqualFold(sb.Operator, dave.Address.Hex()) {
		t.Errorf("B's stake (the registry's minimum): %+v", sb)
	}

	// The registry lists what the relays are.
	c, err := wallet.Dial(ctx, wallet.Config{RPC: chain.URL(), Contracts: chain.Contracts()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reg, err := c.Registry()
	if err != nil {
		t.Fatal(err)
	}
	set, err := reg.ActiveSet(ctx)
	if err != nil || len(set) != 2 {
		t.Fatalf("active set: %v %v", set, err)
	}
	if set[0].URL != a.URL() || set[0].PeerID != nodeInfo(t, a).PeerID || set[1].URL != b.URL() {
		t.Errorf("active set %+v, relays at %s and %s", set, a.URL(), b.URL())
	}

	// They connect without being told about each other.
	ida, _ := peer.Decode(nodeInfo(t, a).PeerID)
	idb, _ := peer.Decode(nodeInfo(t, b).PeerID)
	waitFor(t, 20*time.Second, "the relays connected through the registry", func() bool {
		return slices.Contains(a.libp2p().Peers(), idb) && slices.Contains(b.libp2p().Peers(), ida)
	})
	if sa := nodeInfo(t, a).Stake; sa.Peers != 1 || sa.Error != "" {
		t.Errorf("A found %d peers in the registry (error %q)", sa.Peers, sa.Error)
	}
}

// TestRegistryConfigErrors: settings that cannot work stop the relay at
// once with a message that names them.
func TestRegistryConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{ChainRPC: "http://127.0.0.1:1"}, "needs chain_rpc and registry"},
		{Config{ChainRPC: "http://127.0.0.1:1", Registry: "nope"}, "is not an address"},
		{Config{ChainFile: filepath.Join(dir, "missing.json")}, "chain_file"},
		{Config{ChainRPC: "http://127.0.0.1:1", Registry: "0x00000000000000000000000000000000000000aa", OperatorKey: "devchain:operator"}, "needs chain_file"},
		{Config{ChainRPC: "http://127.0.0.1:1", Registry: "0x00000000000000000000000000000000000000aa", Stake: "lots"}, "stake"},
		{Config{ChainRPC: "http://127.0.0.1:1", Registry: "0x00000000000000000000000000000000000000aa", CommissionBps: 20000}, "commission_bps"},
	} {
		tc.cfg.Listen, tc.cfg.DataDir = "127.0.0.1:0", t.TempDir()
		n, err := New(tc.cfg)
		if err == nil {
			n.Shutdown(context.Background())
			t.Errorf("%+v: no error", tc.cfg)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
	// Registering needs the relay network: a relay without libp2p says so.
	chainFile := filepath.Join(dir, "devchain.json")
	ci := wallet.ChainInfo{ChainID: devchain.ChainID, RPC: "http://127.0.0.1:1", Contracts: wallet.Contracts{Registry: [20]byte{1}},
		Accounts: []wallet.DevAccount{{Name: "operator", PrivateKey: "0x" + strings.Repeat("11", 32)}}}
	if err := ci.Save(chainFile); err != nil {
		t.Fatal(err)
	}
	n, err := New(Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), ChainFile: chainFile, OperatorKey: "devchain:operator"})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Shutdown(context.Background())
	if err := n.Start(); err == nil || !strings.Contains(err.Error(), "p2p_listen") {
		t.Errorf("start without the relay network: %v", err)
	}
}
