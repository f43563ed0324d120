package contracts_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/veilsocial/veil/wallet/contracts"
	"github.com/veilsocial/veil/wallet/contracts/attack"
	"github.com/veilsocial/veil/wallet/devchain"
)

// The bindings: each holds a parsed ABI and packs calls or unpacks results; instance() binds one to an address.
var (
	tokenABI = contracts.NewVeilToken()
	tipsABI  = contracts.NewTips()
	regABI   = contracts.NewRelayRegistry()
	hookABI  = attack.NewHookToken()
	reABI    = attack.NewReenterer()
)

// errorNames maps a custom error's 4-byte selector to its name, over every contract the tests deploy.
var errorNames = func() map[[4]byte]string {
	m := map[[4]byte]string{}
	for _, a := range []abi.ABI{tokenABI.GetABI(), tipsABI.GetABI(), regABI.GetABI(), hookABI.GetABI(), reABI.GetABI()} {
		for name, e := range a.Errors {
			m[[4]byte(e.ID[:4])] = name
		}
	}
	return m
}()

// veil returns n whole tokens (18 decimals) in base units.
func veil(n int64) *big.Int {
	return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18))
}

func bi(n int64) *big.Int { return big.NewInt(n) }

const day = 24 * time.Hour

// account is a funded externally owned account whose key derives from its name.
type account struct {
	name string
	key  *ecdsa.PrivateKey
	addr common.Address
}

func newAccount(name string) *account {
	key, err := crypto.ToECDSA(crypto.Keccak256([]byte("veil contracts test account " + name)))
	if err != nil {
		panic(err)
	}
	return &account{name: name, key: key, addr: crypto.PubkeyToAddress(key.PublicKey)}
}

// registryConfig is RelayRegistry's constructor input besides the token and governance.
type registryConfig struct {
	minSelfStake    *big.Int
	unbondingDelay  time.Duration
	commissionDelay time.Duration
	maxSlashBps     uint16
	activeSetSize   uint16
}

// defaultConfig is what most tests run with: 100 VEIL minimum, a week to unbond, three days' notice of a
// commission change, slashes of at most 30%, an active set of three.
func defaultConfig() registryConfig {
	return registryConfig{
		minSelfStake:    veil(100),
		unbondingDelay:  7 * day,
		commissionDelay: 3 * day,
		maxSlashBps:     3000,
		activeSetSize:   3,
	}
}

// chain is a simulated chain with VeilToken, Tips and RelayRegistry deployed (the registry staking VEIL unless
// a test deploys another), and funded accounts: "deployer" (VEIL's owner), "gov" (the registry's governance)
// and those the test names.
type chain struct {
	t        testing.TB
	sim      *simulated.Backend
	cl       simulated.Client
	chainID  *big.Int
	accounts map[string]*account
	token    *bind.BoundContract
	tips     *bind.BoundContract
	registry *bind.BoundContract
	cfg      registryConfig
	// fixedGas, if set, is the gas limit of every transaction send makes instead of an estimate: an estimate
	// is the least gas with which the transaction succeeds, and with a token that ignores its hooks' failures
	// that is too little gas for the hooks to run at all.
	fixedGas uint64
}

func newChain(t testing.TB, cfg registryConfig, names ...string) *chain {
	t.Helper()
	return newChainOn(t, nil, cfg, names...)
}

// osaka is the simulated backend's chain with the forks Ethereum's mainnet runs (up to Osaka), as `veil
// devchain` runs it, and none of the unreleased ones the backend enables by default, whose state-gas metering
// (EIP-8037) makes storage writes cost several times more: benchmarks report gas on both.
var osaka = devchain.Rules()

// newChainOn is newChain on the chain config fork (nil: the simulated backend's default).
func newChainOn(t testing.TB, fork *params.ChainConfig, cfg registryConfig, names ...string) *chain {
	t.Helper()
	names = append([]string{"deployer", "gov"}, names...)
	accounts := map[string]*account{}
	alloc := types.GenesisAlloc{}
	for _, n := range names {
		a := newAccount(n)
		accounts[n] = a
		alloc[a.addr] = types.Account{Balance: veil(1_000_000)}
	}
	sim := simulated.NewBackend(alloc, func(_ *node.Config, ec *ethconfig.Config) {
		if fork != nil {
			ec.Genesis.Config = fork
		}
	})
	t.Cleanup(func() { sim.Close() })
	c := &chain{t: t, sim: sim, cl: sim.Client(), accounts: accounts, cfg: cfg}
	id, err := c.cl.ChainID(context.Background())
	if err != nil {
		t.Fatalf("chain ID: %v", err)
	}
	c.chainID = id
	dep := c.acct("deployer")
	c.token = c.deploy(dep, &contracts.VeilTokenMetaData,
		tokenABI.PackConstructor("Veil", "VEIL", dep.addr), tokenABI.GetABI())
	c.tips = c.deploy(dep, &contracts.TipsMetaData, nil, tipsABI.GetABI())
	c.registry = c.deployRegistry(c.token.Address(), cfg)
	return c
}

func (c *chain) acct(name string) *account {
	a, ok := c.accounts[name]
	if !ok {
		c.t.Fatalf("no account %q", name)
	}
	return a
}

// deployRegistry deploys another RelayRegistry, staking stakeToken, governed by "gov".
func (c *chain) deployRegistry(stakeToken common.Address, cfg registryConfig) *bind.BoundContract {
	return c.deploy(c.acct("deployer"), &contracts.RelayRegistryMetaData,
		regABI.PackConstructor(stakeToken, c.acct("gov").addr, cfg.minSelfStake,
			uint64(cfg.unbondingDelay/time.Second), uint64(cfg.commissionDelay/time.Second),
			cfg.maxSlashBps, cfg.activeSetSize),
		regABI.GetABI())
}

func (c *chain) deploy(from *account, meta *bind.MetaData, input []byte, a abi.ABI) *bind.BoundContract {
	c.t.Helper()
	addr, tx, err := bind.DeployContract(c.opts(from, nil), common.FromHex(meta.Bin), c.cl, input)
	if err != nil {
		c.t.Fatalf("deploy: %v", err)
	}
	c.mined(tx)
	return bind.NewBoundContract(addr, a, c.cl, c.cl, c.cl)
}

func (c *chain) at(addr common.Address, a abi.ABI) *bind.BoundContract {
	return bind.NewBoundContract(addr, a, c.cl, c.cl, c.cl)
}

func (c *chain) opts(from *account, value *big.Int) *bind.TransactOpts {
	o := bind.NewKeyedTransactor(from.key, c.chainID)
	o.Value = value
	return o
}

// mined seals a block and returns tx's receipt, failing the test unless tx succeeded.
func (c *chain) mined(tx *types.Transaction) *types.Receipt {
	c.t.Helper()
	// The pool admits a transaction in the background: one sent just before a block was sealed can miss it,
	// so seal up to a few more.
	var (
		r   *types.Receipt
		err error
	)
	for range 5 {
		c.sim.Commit()
		if r, err = c.cl.TransactionReceipt(context.Background(), tx.Hash()); err == nil {
			break
		}
	}
	if err != nil {
		c.t.Fatalf("receipt of %s: %v", tx.Hash(), err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		c.t.Fatalf("transaction %s failed", tx.Hash())
	}
	return r
}

// send makes from call the contract with data, mines it, and fails the test unless it succeeded.
func (c *chain) send(from *account, to *bind.BoundContract, data []byte) *types.Receipt {
	c.t.Helper()
	return c.sendValue(from, to, data, nil)
}

func (c *chain) sendValue(from *account, to *bind.BoundContract, data []byte, value *big.Int) *types.Receipt {
	c.t.Helper()
	o := c.opts(from, value)
	o.GasLimit = c.fixedGas
	tx, err := bind.Transact(to, o, data)
	if err != nil {
		c.t.Fatalf("%s: %s", from.name, describe(err))
	}
	return c.mined(tx)
}

// reverts checks that from's call is refused and returns the error's name ("Reentrancy", "Error: text",
// "Panic(0x11)"). Nothing is mined.
func (c *chain) reverts(from *account, to *bind.BoundContract, data []byte) string {
	c.t.Helper()
	return c.revertsValue(from, to, data, nil)
}

func (c *chain) revertsValue(from *account, to *bind.BoundContract, data []byte, value *big.Int) string {
	c.t.Helper()
	tx, err := bind.Transact(to, c.opts(from, value), data)
	if err == nil {
		c.mined(tx)
		c.t.Fatalf("%s: the call succeeded; want a revert", from.name)
	}
	name := revertName(err)
	if name == "" {
		c.t.Fatalf("%s: not a revert: %v", from.name, err)
	}
	return name
}

// wantRevert checks that from's call is refused with the custom error want.
func (c *chain) wantRevert(from *account, to *bind.BoundContract, data []byte, want string) {
	c.t.Helper()
	if got := c.reverts(from, to, data); got != want {
		c.t.Fatalf("%s: reverted with %s, want %s", from.name, got, want)
	}
}

// revertName names the revert carried by an RPC error, or returns "" if err carries no revert data.
func revertName(err error) string {
	var de rpc.DataError
	if !errors.As(err, &de) {
		return ""
	}
	s, ok := de.ErrorData().(string)
	if !ok {
		return ""
	}
	data, herr := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if herr != nil {
		return ""
	}
	return errorName(data)
}

// errorName names the revert data of a call.
func errorName(data []byte) string {
	if len(data) < 4 {
		return fmt.Sprintf("revert without reason (%x)", data)
	}
	sel := [4]byte(data[:4])
	if name, ok := errorNames[sel]; ok {
		return name
	}
	switch hex.EncodeToString(sel[:]) {
	case "08c379a0": // Error(string)
		if msg, err := abi.UnpackRevert(data); err == nil {
			return "Error: " + msg
		}
	case "4e487b71": // Panic(uint256)
		return fmt.Sprintf("Panic(0x%x)", new(big.Int).SetBytes(data[4:]))
	}
	return fmt.Sprintf("unknown revert %x", data)
}

func describe(err error) string {
	if name := revertName(err); name != "" {
		return "reverted with " + name
	}
	return err.Error()
}

// call reads a view through eth_call.
func call[T any](c *chain, to *bind.BoundContract, data []byte, unpack func([]byte) (T, error)) T {
	c.t.Helper()
	v, err := bind.Call(to, nil, data, unpack)
	if err != nil {
		c.t.Fatalf("call: %s", describe(err))
	}
	return v
}

// advance moves the chain's clock forward by d, sealing an empty block.
func (c *chain) advance(d time.Duration) {
	c.t.Helper()
	// AdjustTime refuses while the pool still lists transactions, and the pool forgets those of the last
	// block in the background; sealing an empty block first waits for it.
	c.sim.Commit()
	if err := c.sim.AdjustTime(d); err != nil {
		c.t.Fatalf("adjust time: %v", err)
	}
}

func (c *chain) now() uint64 {
	c.t.Helper()
	h, err := c.cl.HeaderByNumber(context.Background(), nil)
	if err != nil {
		c.t.Fatalf("header: %v", err)
	}
	return h.Time
}

// fund mints amount VEIL to a and lets spender take it all.
func (c *chain) fund(a *account, amount *big.Int, spender common.Address) {
	c.t.Helper()
	c.send(c.acct("deployer"), c.token, tokenABI.PackMint(a.addr, amount))
	c.send(a, c.token, tokenABI.PackApprove(spender, amount))
}

func (c *chain) balance(addr common.Address) *big.Int {
	c.t.Helper()
	return call(c, c.token, tokenABI.PackBalanceOf(addr), tokenABI.UnpackBalanceOf)
}

func (c *chain) nativeBalance(addr common.Address) *big.Int {
	c.t.Helper()
	b, err := c.cl.BalanceAt(context.Background(), addr, nil)
	if err != nil {
		c.t.Fatalf("balance: %v", err)
	}
	return b
}

// wantInt fails the test unless got == want.
func wantInt(t testing.TB, what string, got, want *big.Int) {
	t.Helper()
	if got.Cmp(want) != 0 {
		t.Fatalf("%s = %s, want %s", what, got, want)
	}
}

// events unpacks every log of receipt r that unpack accepts (logs of other events or contracts are skipped).
func events[T any](r *types.Receipt, from common.Address, unpack func(*types.Log) (*T, error)) []*T {
	var out []*T
	for _, l := range r.Logs {
		if l.Address != from {
			continue
		}
		if ev, err := unpack(l); err == nil {
			out = append(out, ev)
		}
	}
	return out
}
