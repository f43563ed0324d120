// Package devchain runs a local EVM chain for development and tests: the
// go-ethereum dev-mode stack that ethclient/simulated builds (an in-memory
// node, chain ID 1337, blocks sealed on demand by catalyst's simulated
// beacon), served as JSON-RPC over HTTP with CORS open so the browser
// extension can call it, a miner that seals whatever is pending, Veil's
// contracts deployed, and named accounts funded with native coin and VEIL.
// `veil devchain` runs it; wallet's and the CLI's tests start one on port 0.
//
// The stack is assembled here rather than through simulated.NewBackend
// because simulated.Backend keeps its node private, and serving the node's
// RPC over HTTP (on a port the caller may leave to the system) needs it.
package devchain

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/veilsocial/veil/wallet"
)

// ChainID is the dev chain's chain ID (the simulated backend's).
const ChainID = 1337

// DefaultAccounts are the accounts a dev chain funds. "governance" deploys
// the contracts, owns the token and governs the registry.
var DefaultAccounts = []string{"alice", "bob", "carol", "dave", "operator", "governance"}

// Governance is the name of the account that deploys and governs.
const Governance = "governance"

// Config says how to run a dev chain. Zero values take the defaults.
type Config struct {
	// HTTP is the JSON-RPC listen address (default 127.0.0.1:8545); port 0
	// lets the system pick one (URL says which).
	HTTP string
	// Accounts are the names of the accounts to fund (default
	// DefaultAccounts); Governance is always added.
	Accounts []string
	// NativeFunds and TokenFunds are what each account gets, in 10^-18
	// units (default 10,000 and 100,000 whole units).
	NativeFunds, TokenFunds *big.Int
	// The registry's parameters (docs/CHAIN.md): defaults 1,000 VEIL, 60 s,
	// 120 s, 1,000 bps, 21 relays.
	MinSelfStake    *big.Int
	UnbondingDelay  time.Duration
	CommissionDelay time.Duration
	MaxSlashBps     uint16
	ActiveSetSize   uint16
	// IdleBlock: when nothing is pending and the newest block is older than
	// this, an empty block is sealed, so that calls and gas estimates (which
	// run on the newest block) see a time close to the wall clock and
	// delays elapse in a demo. Default 2 s; negative turns it off.
	IdleBlock time.Duration
}

func (cfg *Config) defaults() {
	if cfg.HTTP == "" {
		cfg.HTTP = "127.0.0.1:8545"
	}
	if len(cfg.Accounts) == 0 {
		cfg.Accounts = DefaultAccounts
	}
	hasGov := false
	for _, n := range cfg.Accounts {
		hasGov = hasGov || n == Governance
	}
	if !hasGov {
		cfg.Accounts = append(append([]string(nil), cfg.Accounts...), Governance)
	}
	if cfg.NativeFunds == nil {
		cfg.NativeFunds = wallet.Units(10_000)
	}
	if cfg.TokenFunds == nil {
		cfg.TokenFunds = wallet.Units(100_000)
	}
	if cfg.MinSelfStake == nil {
		cfg.MinSelfStake = wallet.Units(1_000)
	}
	if cfg.UnbondingDelay == 0 {
		cfg.UnbondingDelay = 60 * time.Second
	}
	if cfg.CommissionDelay == 0 {
		cfg.CommissionDelay = 120 * time.Second
	}
	if cfg.MaxSlashBps == 0 {
		cfg.MaxSlashBps = 1000
	}
	if cfg.ActiveSetSize == 0 {
		cfg.ActiveSetSize = 21
	}
	if cfg.IdleBlock == 0 {
		cfg.IdleBlock = 2 * time.Second
	}
}

// AccountKey is the private key of the dev account with the given name:
// keccak256("veil devchain account " + name), the same on every run.
func AccountKey(name string) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("veil devchain account " + name)))
	if err != nil {
		// A hash is a valid secp256k1 key except with probability ~2^-128.
		panic("devchain: no key for account " + name + ": " + err.Error())
	}
	return k
}

// Chain is a running dev chain.
type Chain struct {
	cfg    Config
	stack  *node.Node
	eth    *eth.Ethereum
	beacon *catalyst.SimulatedBeacon
	info   wallet.ChainInfo

	mu   sync.Mutex // block production: the beacon is not safe for concurrent use
	wake chan struct{}
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

// Start runs a dev chain: the node, its HTTP JSON-RPC, the miner, and the
// contracts deployed and accounts funded. Close stops it.
func Start(ctx context.Context, cfg Config) (*Chain, error) {
	cfg.defaults()
	host, portStr, err := net.SplitHostPort(cfg.HTTP)
	if err != nil {
		return nil, fmt.Errorf("devchain: bad listen address %q: %w", cfg.HTTP, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("devchain: bad port in %q", cfg.HTTP)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	alloc := core.SystemContractAllocs()
	info := wallet.ChainInfo{ChainID: ChainID}
	for _, name := range cfg.Accounts {
		key := AccountKey(name)
		addr := crypto.PubkeyToAddress(key.PublicKey)
		alloc[addr] = types.Account{Balance: new(big.Int).Set(cfg.NativeFunds)}
		info.Accounts = append(info.Accounts, wallet.DevAccount{Name: name, Address: addr, PrivateKey: hexutil.Encode(crypto.FromECDSA(key))})
	}

	nodeConf := node.DefaultConfig
	nodeConf.DataDir = ""
	nodeConf.IPCPath = ""
	nodeConf.P2P = p2p.Config{NoDiscovery: true}
	nodeConf.HTTPHost = host
	nodeConf.HTTPPort = port
	nodeConf.HTTPCors = []string{"*"}
	nodeConf.HTTPVirtualHosts = []string{"*"}
	nodeConf.HTTPModules = []string{"eth", "net", "web3", "devchain"}
	nodeConf.WSHost = ""
	ethConf := ethconfig.Defaults
	ethConf.Genesis = &core.Genesis{Config: Rules(), GasLimit: ethconfig.Defaults.Miner.GasCeil, Alloc: alloc}
	ethConf.SyncMode = ethconfig.FullSync
	ethConf.TxPool.NoLocals = true
	// No log index (its background indexer costs more than a dev chain's
	// few logs take to scan).
	ethConf.LogNoHistory = true

	stack, err := node.New(&nodeConf)
	if err != nil {
		return nil, fmt.Errorf("devchain: %w", err)
	}
	c := &Chain{cfg: cfg, stack: stack, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	if err := c.assemble(&ethConf); err != nil {
		stack.Close()
		return nil, err
	}
	c.info = info
	c.info.RPC = stack.HTTPEndpoint()
	go c.loop()
	contracts, block, err := c.deploy(ctx)
	if err != nil {
		c.Close()
		return nil, err
	}
	c.info.Contracts, c.info.DeployBlock = contracts, block
	return c, nil
}

// assemble registers the Ethereum service, the filter and devchain APIs,
// starts the node and the beacon.
func (c *Chain) assemble(ethConf *ethconfig.Config) error {
	backend, err := eth.New(c.stack, ethConf)
	if err != nil {
		return fmt.Errorf("devchain: %w", err)
	}
	fs := filters.NewFilterSystem(backend.APIBackend, filters.Config{})
	c.stack.RegisterAPIs([]rpc.API{
		{Namespace: "eth", Service: filters.NewFilterAPI(fs)},
		{Namespace: "devchain", Service: &api{c}},
	})
	if err := c.stack.Start(); err != nil {
		return fmt.Errorf("devchain: failed to start the node (is %s free?): %w", c.cfg.HTTP, err)
	}
	beacon, err := catalyst.NewSimulatedBeacon(0, common.Address{}, backend)
	if err != nil {
		return fmt.Errorf("devchain: %w", err)
	}
	if err := beacon.Fork(backend.BlockChain().GetCanonicalHash(0)); err != nil {
		return fmt.Errorf("devchain: %w", err)
	}
	c.eth, c.beacon = backend, beacon
	return nil
}

// URL is the HTTP JSON-RPC endpoint.
func (c *Chain) URL() string { return c.info.RPC }

// Info is what the dev chain file holds.
func (c *Chain) Info() wallet.ChainInfo {
	info := c.info
	info.Accounts = append([]wallet.DevAccount(nil), c.info.Accounts...)
	return info
}

// Contracts are the deployed contracts' addresses.
func (c *Chain) Contracts() wallet.Contracts { return c.info.Contracts }

// Signer returns a signer for the named dev account.
func (c *Chain) Signer(name string) wallet.Signer { return wallet.NewKeySigner(AccountKey(name)) }

// WriteFile writes the dev chain file (docs/CHAIN.md) to path.
func (c *Chain) WriteFile(path string) error {
	info := c.Info()
	return info.Save(path)
}

// Mine seals a block now with whatever is pending.
func (c *Chain) Mine() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.beacon.Commit()
}

// ErrPending is returned by AdjustTime while transactions wait to be mined.
var ErrPending = errors.New("devchain: transactions are pending")

// AdjustTime moves the chain's clock forward: it seals an empty block d
// later than the newest one. Blocks after it follow from there (one second
// apart until the wall clock catches up). Waits briefly for pending
// transactions to be mined first.
func (c *Chain) AdjustTime(d time.Duration) error {
	if d < time.Second {
		return fmt.Errorf("devchain: time moves forward by whole seconds, at least one, not %v", d)
	}
	for range 100 {
		c.mu.Lock()
		if pending, _ := c.eth.TxPool().Stats(); pending == 0 {
			err := c.beacon.AdjustTime(d)
			c.mu.Unlock()
			return err
		}
		c.mu.Unlock()
		c.poke()
		time.Sleep(10 * time.Millisecond)
	}
	return ErrPending
}

// Time is the newest block's timestamp.
func (c *Chain) Time() time.Time {
	return time.Unix(int64(c.eth.BlockChain().CurrentBlock().Time), 0)
}

// Close stops the miner and the node.
func (c *Chain) Close() error {
	var err error
	c.once.Do(func() {
		close(c.quit)
		<-c.done
		c.mu.Lock()
		defer c.mu.Unlock()
		err = errors.Join(c.beacon.Stop(), c.stack.Close())
	})
	return err
}

func (c *Chain) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// minerTick is how often the miner looks at the pool without being told of
// a new transaction.
const minerTick = 250 * time.Millisecond

// batchWait is how long the miner waits after a new transaction for others.
const batchWait = 3 * time.Millisecond

// maxBlocksPerWake bounds how many blocks the miner seals in a row.
const maxBlocksPerWake = 16

// loop seals a block whenever transactions are pending: woken by the pool's
// new-transaction events, and on a ticker for the idle block.
func (c *Chain) loop() {
	defer close(c.done)
	txs := make(chan core.NewTxsEvent, 256)
	sub := c.eth.TxPool().SubscribeTransactions(txs, false)
	defer sub.Unsubscribe()
	tick := time.NewTicker(minerTick)
	defer tick.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-txs:
			// Let transactions sent together land in one block.
			select {
			case <-c.quit:
				return
			case <-time.After(batchWait):
			}
		case <-c.wake:
		case <-tick.C:
		}
		c.mineIfPending()
	}
}

// mineIfPending seals blocks while transactions are pending (and the last
// block took some), or an empty block when the newest one is stale.
func (c *Chain) mineIfPending() {
	c.mu.Lock()
	defer c.mu.Unlock()
	pending, _ := c.eth.TxPool().Stats()
	for i := 0; pending > 0 && i < maxBlocksPerWake; i++ {
		c.beacon.Commit()
		// The pool drops what the block took in the background; wait for it.
		c.eth.TxPool().Sync()
		after, _ := c.eth.TxPool().Stats()
		if after >= pending {
			// Nothing the miner would take (fee too low, say): do not spin.
			return
		}
		pending = after
	}
	if pending == 0 && c.cfg.IdleBlock > 0 {
		head := time.Unix(int64(c.eth.BlockChain().CurrentBlock().Time), 0)
		if time.Since(head) >= c.cfg.IdleBlock {
			c.beacon.Commit()
		}
	}
}

// api is the devchain_* JSON-RPC namespace: time travel for demos and for
// tests that drive the chain over HTTP.
type api struct{ c *Chain }

// IncreaseTime is devchain_increaseTime(seconds): AdjustTime over RPC. It
// returns the new head's timestamp.
func (a *api) IncreaseTime(seconds uint64) (hexutil.Uint64, error) {
	if err := a.c.AdjustTime(time.Duration(seconds) * time.Second); err != nil {
		return 0, err
	}
	return hexutil.Uint64(a.c.Time().Unix()), nil
}

// Mine is devchain_mine: seal a block now.
func (a *api) Mine() { a.c.Mine() }

// Rules is the dev chain's chain config: every fork Ethereum's mainnet runs
// (up to Osaka), so gas is what it would be there, and none of the
// unreleased ones go-ethereum's dev config also turns on (their state-gas
// metering, EIP-8037, makes fresh storage several times dearer).
func Rules() *params.ChainConfig {
	cfg := *params.AllDevChainProtocolChanges
	cfg.ChainID = big.NewInt(ChainID)
	cfg.AmsterdamTime, cfg.BogotaTime = nil, nil
	return &cfg
}
