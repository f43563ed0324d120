package contracts_test

import (
	"context"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
)

// BenchmarkGas measures the gas each state-changing call uses on the simulated backend (a receipt's gasUsed,
// reported as gas/op; the average over the benchmark's iterations, each in the typical case named below), under
// mainnet's rules (osaka) and under the backend's default forks (simulated), which meter state growth apart.
// ns/op is the simulated backend's time to estimate, sign, send and mine the transaction, not a chain's.
func BenchmarkGas(b *testing.B) {
	for _, fork := range []struct {
		name   string
		config *params.ChainConfig
	}{{"osaka", osaka}, {"simulated", nil}} {
		nc := func(b *testing.B, cfg registryConfig, names ...string) *chain {
			return newChainOn(b, fork.config, cfg, names...)
		}
		b.Run(fork.name, func(b *testing.B) {
			b.Run("tip", func(b *testing.B) { // native coin, the first tip on a post
				c := nc(b, defaultConfig(), "reader", "author")
				measure(b, c, func(i int) (*account, *bind.BoundContract, []byte, *big.Int) {
					return c.acct("reader"), c.tips, tipsABI.PackTip(c.acct("author").addr, postCID(i)), big.NewInt(1e15)
				})
			})
			b.Run("tip-again", func(b *testing.B) { // native coin, a post that was tipped before
				c := nc(b, defaultConfig(), "reader", "author")
				c.sendValue(c.acct("reader"), c.tips, tipsABI.PackTip(c.acct("author").addr, cid), big.NewInt(1e15))
				measure(b, c, func(int) (*account, *bind.BoundContract, []byte, *big.Int) {
					return c.acct("reader"), c.tips, tipsABI.PackTip(c.acct("author").addr, cid), big.NewInt(1e15)
				})
			})
			b.Run("tipToken", func(b *testing.B) { // VEIL, the first tip on a post, to an author who holds VEIL
				c := nc(b, defaultConfig(), "reader", "author")
				c.fund(c.acct("reader"), veil(1_000_000), c.tips.Address())
				c.send(c.acct("deployer"), c.token, tokenABI.PackMint(c.acct("author").addr, veil(1)))
				measure(b, c, func(i int) (*account, *bind.BoundContract, []byte, *big.Int) {
					return c.acct("reader"), c.tips, tipsABI.PackTipToken(c.token.Address(), c.acct("author").addr, veil(1), postCID(i)), nil
				})
			})
			b.Run("register", func(b *testing.B) { // a new operator, a 52-character peer ID, a 30-byte URL
				c := nc(b, defaultConfig())
				measure(b, c, func(i int) (*account, *bind.BoundContract, []byte, *big.Int) {
					op := c.newFunded(fmt.Sprintf("op%d", i), veil(100), c.registry.Address())
					return op, c.registry, regABI.PackRegister(peerID(op), relayURL(op), 500, veil(100)), nil
				})
			})
			b.Run("delegate", func(b *testing.B) { // a delegator's first stake on a relay
				c := nc(b, defaultConfig(), "op")
				c.register(c.acct("op"), veil(100), 500)
				measure(b, c, func(i int) (*account, *bind.BoundContract, []byte, *big.Int) {
					d := c.newFunded(fmt.Sprintf("d%d", i), veil(50), c.registry.Address())
					return d, c.registry, regABI.PackDelegate(c.acct("op").addr, veil(50)), nil
				})
			})
			b.Run("undelegate", func(b *testing.B) { // part of a stake, rewards pending
				c := nc(b, defaultConfig(), "op", "alice", "payer")
				c.register(c.acct("op"), veil(100), 500)
				c.delegate(c.acct("alice"), c.acct("op"), veil(1_000_000))
				c.addRewards(c.acct("payer"), c.acct("op"), veil(10))
				measure(b, c, func(int) (*account, *bind.BoundContract, []byte, *big.Int) {
					return c.acct("alice"), c.registry, regABI.PackUndelegate(c.acct("op").addr, veil(1)), nil
				})
			})
			b.Run("withdraw", func(b *testing.B) { // one finished unbonding entry of several
				c := nc(b, defaultConfig(), "op", "alice")
				op, alice := c.acct("op"), c.acct("alice")
				c.register(op, veil(100), 500)
				c.delegate(alice, op, veil(1_000_000))
				ids := make([]*big.Int, b.N+1)
				for i := range ids {
					ids[i] = c.undelegate(alice, op, veil(1))
				}
				c.advance(7 * day)
				measure(b, c, func(i int) (*account, *bind.BoundContract, []byte, *big.Int) {
					return alice, c.registry, regABI.PackWithdraw(ids[i]), nil
				})
			})
			b.Run("claim", func(b *testing.B) { // a delegator's rewards from one addRewards since the last claim
				c := nc(b, defaultConfig(), "op", "alice", "payer")
				op, alice := c.acct("op"), c.acct("alice")
				c.register(op, veil(100), 500)
				c.delegate(alice, op, veil(1000))
				c.fund(c.acct("payer"), veil(1_000_000), c.registry.Address())
				c.claim(alice, op) // the first claim writes a zero balance; measure the steady state
				measure(b, c, func(int) (*account, *bind.BoundContract, []byte, *big.Int) {
					c.send(c.acct("payer"), c.registry, regABI.PackAddRewards(op.addr, veil(10)))
					return alice, c.registry, regABI.PackClaim(op.addr), nil
				})
			})
			b.Run("addRewards", func(b *testing.B) { // with commission, the operator's owed balance already nonzero
				c := nc(b, defaultConfig(), "op", "payer")
				op, payer := c.acct("op"), c.acct("payer")
				c.register(op, veil(100), 500)
				c.fund(payer, veil(1_000_000), c.registry.Address())
				c.send(payer, c.registry, regABI.PackAddRewards(op.addr, veil(10)))
				measure(b, c, func(int) (*account, *bind.BoundContract, []byte, *big.Int) {
					return payer, c.registry, regABI.PackAddRewards(op.addr, veil(10)), nil
				})
			})
		})
	}
}

// measure runs one transaction per iteration, prepared by next outside the timer, and reports its average gas.
func measure(b *testing.B, c *chain, next func(i int) (*account, *bind.BoundContract, []byte, *big.Int)) {
	b.Helper()
	var gas uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		from, to, data, value := next(i)
		b.StartTimer()
		gas += c.sendValue(from, to, data, value).GasUsed
	}
	b.ReportMetric(float64(gas)/float64(b.N), "gas/op")
}

// postCID is a distinct CID-like string for every i, as long as a real CIDv1.
func postCID(i int) string {
	return fmt.Sprintf("%s%08d", cid[:len(cid)-8], i)
}

// newFunded makes a new account with native coin for gas and amount VEIL that spender may take.
func (c *chain) newFunded(name string, amount *big.Int, spender common.Address) *account {
	c.t.Helper()
	a := newAccount(name)
	c.accounts[name] = a
	c.transferNative(c.acct("deployer"), a.addr, veil(10))
	c.fund(a, amount, spender)
	return a
}

func (c *chain) transferNative(from *account, to common.Address, amount *big.Int) {
	c.t.Helper()
	ctx := context.Background()
	nonce, err := c.cl.PendingNonceAt(ctx, from.addr)
	if err != nil {
		c.t.Fatal(err)
	}
	head, err := c.cl.HeaderByNumber(ctx, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	fee := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), big.NewInt(1e9))
	tx, err := types.SignNewTx(from.key, types.LatestSignerForChainID(c.chainID), &types.DynamicFeeTx{
		ChainID: c.chainID, Nonce: nonce, GasTipCap: big.NewInt(1e9), GasFeeCap: fee, Gas: 21000, To: &to, Value: amount,
	})
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.cl.SendTransaction(ctx, tx); err != nil {
		c.t.Fatal(err)
	}
	c.mined(tx)
}

// BenchmarkActiveSet1000 reads activeSet() through eth_call (and decodes it) with 1,000 registered relays of
// different stakes and an active set of 100, under mainnet's rules and the backend's default forks (see
// BenchmarkGas). It reports ms/op and the call's gas (gas/call).
func BenchmarkActiveSet1000(b *testing.B) {
	for _, fork := range []struct {
		name   string
		config *params.ChainConfig
	}{{"osaka", osaka}, {"simulated", nil}} {
		b.Run(fork.name, func(b *testing.B) {
			const relays, setSize = 1000, 100
			cfg := defaultConfig()
			cfg.activeSetSize = setSize
			names := make([]string, relays)
			for i := range names {
				names[i] = fmt.Sprintf("relay%04d", i)
			}
			c := newChainOn(b, fork.config, cfg, names...)
			start := time.Now()
			c.bulkRegister(names, func(i int) *big.Int { return veil(100 + int64(i*7919%1000)) })
			if n := c.relayCount(); n != relays {
				b.Fatalf("%d relays registered, want %d", n, relays)
			}
			b.Logf("registering %d relays took %v", relays, time.Since(start).Round(time.Millisecond))

			gas, err := c.cl.EstimateGas(context.Background(), ethereum.CallMsg{To: ptr(c.registry.Address()), Data: regABI.PackActiveSet()})
			if err != nil {
				b.Fatalf("estimate activeSet: %s", describe(err))
			}
			got := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s, err := bind.Call(c.registry, nil, regABI.PackActiveSet(), regABI.UnpackActiveSet)
				if err != nil {
					b.Fatalf("activeSet: %s", describe(err))
				}
				got = len(s.Operators)
				if i == 0 {
					for j := 1; j < len(s.Stakes); j++ {
						if s.Stakes[j].Cmp(s.Stakes[j-1]) > 0 {
							b.Fatalf("activeSet not in descending order at %d", j)
						}
					}
				}
			}
			b.StopTimer()
			if got != setSize {
				b.Fatalf("activeSet has %d relays, want %d", got, setSize)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/op")
			b.ReportMetric(float64(gas), "gas/call")
		})
	}
}

func ptr[T any](v T) *T { return &v }

// bulkRegister registers a relay for each named account, with stake(i) of self-stake, many to a block.
func (c *chain) bulkRegister(names []string, stake func(i int) *big.Int) {
	c.t.Helper()
	const perBlock = 40
	dep := c.acct("deployer")
	nonce, err := c.cl.PendingNonceAt(context.Background(), dep.addr)
	if err != nil {
		c.t.Fatal(err)
	}
	var txs []*types.Transaction
	// flush mines the transactions sent; the pool may still be promoting the last few, so it seals a few more
	// blocks if one is missing.
	flush := func() {
		for _, tx := range txs {
			var r *types.Receipt
			for range 5 {
				if r, err = c.cl.TransactionReceipt(context.Background(), tx.Hash()); err == nil {
					break
				}
				c.sim.Commit()
			}
			if r == nil || r.Status != types.ReceiptStatusSuccessful {
				c.t.Fatalf("bulk transaction %s failed: %v", tx.Hash(), err)
			}
		}
		txs = txs[:0]
	}
	send := func(from *account, nonce uint64, to *bind.BoundContract, data []byte, gas uint64) {
		o := c.opts(from, nil)
		o.Nonce = new(big.Int).SetUint64(nonce)
		o.GasLimit = gas
		tx, err := bind.Transact(to, o, data)
		if err != nil {
			c.t.Fatalf("%s: %s", from.name, describe(err))
		}
		txs = append(txs, tx)
	}
	for i, n := range names {
		send(dep, nonce, c.token, tokenABI.PackMint(c.acct(n).addr, stake(i)), 300_000)
		nonce++
		if len(txs) == perBlock {
			flush()
		}
	}
	flush()
	for i, n := range names {
		op := c.acct(n)
		send(op, 0, c.token, tokenABI.PackApprove(c.registry.Address(), stake(i)), 300_000)
		send(op, 1, c.registry, regABI.PackRegister(peerID(op), relayURL(op), uint16(i%2000), stake(i)), 3_000_000)
		if len(txs) >= perBlock {
			flush()
		}
	}
	flush()
}
