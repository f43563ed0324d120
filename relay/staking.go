package relay

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/veilsocial/veil/relay/staking"
	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// stakingConfig turns the chain settings into a staking.Config, or nil when
// the relay has no registry. It checks everything that can be checked
// without the chain, so a mistake stops New rather than a later round.
func stakingConfig(cfg Config) (*staking.Config, error) {
	rpc, registry := cfg.ChainRPC, cfg.Registry
	var info *wallet.ChainInfo
	if cfg.ChainFile != "" {
		var err error
		if info, err = wallet.LoadChainInfo(cfg.ChainFile); err != nil {
			return nil, fmt.Errorf("relay: chain_file: %w", err)
		}
		if rpc == "" {
			rpc = info.RPC
		}
		if registry == "" && info.Contracts.Registry != (common.Address{}) {
			registry = info.Contracts.Registry.Hex()
		}
	}
	if rpc == "" && registry == "" && cfg.OperatorKey == "" {
		return nil, nil
	}
	if rpc == "" || registry == "" {
		return nil, fmt.Errorf("relay: the relay registry needs chain_rpc and registry (or a chain_file holding both)")
	}
	if !common.IsHexAddress(registry) {
		return nil, fmt.Errorf("relay: registry %q is not an address", registry)
	}
	sc := &staking.Config{RPC: rpc, Registry: common.HexToAddress(registry), Interval: time.Duration(cfg.RegistryInterval)}
	if cfg.CommissionBps < 0 || cfg.CommissionBps > 10_000 {
		return nil, fmt.Errorf("relay: commission_bps %d is not within 0–10000", cfg.CommissionBps)
	}
	sc.CommissionBps = uint16(cfg.CommissionBps)
	if cfg.Stake != "" {
		amount, err := wallet.ParseAmount(cfg.Stake)
		if err != nil {
			return nil, fmt.Errorf("relay: stake: %w", err)
		}
		sc.Stake = amount
	}
	if cfg.OperatorKey != "" {
		s, err := operatorSigner(cfg.OperatorKey, info)
		if err != nil {
			return nil, fmt.Errorf("relay: operator_key: %w", err)
		}
		sc.Operator = s
	}
	return sc, nil
}

// operatorSigner reads the operator's key: a dev chain account by name, or
// a file holding a hex private key.
func operatorSigner(spec string, info *wallet.ChainInfo) (wallet.Signer, error) {
	if name, ok := strings.CutPrefix(spec, "devchain:"); ok {
		if info == nil {
			return nil, fmt.Errorf("%s needs chain_file", spec)
		}
		a, ok := info.Account(name)
		if !ok {
			return nil, fmt.Errorf("the dev chain file has no account %q", name)
		}
		return signerOf(a.PrivateKey)
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		return nil, err
	}
	return signerOf(strings.TrimSpace(string(data)))
}

func signerOf(hexKey string) (wallet.Signer, error) {
	key, err := wallet.ParseKey(hexKey)
	if err != nil {
		return nil, err
	}
	return wallet.NewKeySigner(key), nil
}

// startStaking lists the relay in the registry and finds peers there, in
// the background (after Start, when the relay's URL is known).
func (n *Node) startStaking() error {
	if n.stakingCfg == nil {
		return nil
	}
	sc := *n.stakingCfg
	sc.URL, sc.Log = n.URL(), n.log
	if node := n.libp2p(); node != nil {
		sc.PeerID = node.ID().String()
		sc.Peer = func(id string, addrs []string) {
			if err := node.AddPeer(id, addrs); err != nil {
				n.log.Warn("staking: peer from the registry refused", "peer", id, "err", err)
			}
		}
	} else if sc.Operator != nil {
		return fmt.Errorf("relay: registering in the relay registry needs the relay network (p2p_listen): the registry lists a libp2p peer ID")
	}
	s, err := staking.Start(sc)
	if err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	n.staking = s
	return nil
}

// stakeInfo is the relay's standing in the registry for /v1/info, or nil.
func (n *Node) stakeInfo() *relayclient.Stake {
	if n.staking == nil {
		return nil
	}
	st := n.staking.Status()
	return &st
}
