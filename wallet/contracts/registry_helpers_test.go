package contracts_test

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/veilsocial/veil/wallet/contracts"
)

// The registry helpers below act through c.registry and fail the test on any refusal.

// peerID is a libp2p-like peer ID for a, as long as a real one (52 characters).
func peerID(a *account) string {
	id := "12D3KooW" + a.name
	return id + strings.Repeat("x", 52-len(id))
}
func relayURL(a *account) string {
	return fmt.Sprintf("https://%s.relay.example", a.name)
}

// register funds op with stake VEIL and registers its relay at commission bps.
func (c *chain) register(op *account, stake *big.Int, bps uint16) {
	c.t.Helper()
	c.fund(op, stake, c.registry.Address())
	c.send(op, c.registry, regABI.PackRegister(peerID(op), relayURL(op), bps, stake))
}

// delegate funds d with amount VEIL and stakes it on op.
func (c *chain) delegate(d, op *account, amount *big.Int) {
	c.t.Helper()
	c.fund(d, amount, c.registry.Address())
	c.send(d, c.registry, regABI.PackDelegate(op.addr, amount))
}

// undelegate starts unbonding amount of d's stake on op and returns the entry's ID.
func (c *chain) undelegate(d, op *account, amount *big.Int) *big.Int {
	c.t.Helper()
	r := c.send(d, c.registry, regABI.PackUndelegate(op.addr, amount))
	ev := events(r, c.registry.Address(), regABI.UnpackUndelegatedEvent)
	if len(ev) != 1 {
		c.t.Fatalf("%d Undelegated events", len(ev))
	}
	if ev[0].Amount.Cmp(amount) != 0 || ev[0].Delegator != d.addr || ev[0].Operator != op.addr {
		c.t.Fatalf("Undelegated = %+v", ev[0])
	}
	return ev[0].Id
}

// withdraw pays out entry id to d and returns what d received.
func (c *chain) withdraw(d *account, id *big.Int) *big.Int {
	c.t.Helper()
	before := c.balance(d.addr)
	c.send(d, c.registry, regABI.PackWithdraw(id))
	return new(big.Int).Sub(c.balance(d.addr), before)
}

// claim pays d's rewards from op and returns what d received.
func (c *chain) claim(d, op *account) *big.Int {
	c.t.Helper()
	before := c.balance(d.addr)
	r := c.send(d, c.registry, regABI.PackClaim(op.addr))
	got := new(big.Int).Sub(c.balance(d.addr), before)
	ev := events(r, c.registry.Address(), regABI.UnpackClaimedEvent)
	if len(ev) != 1 || ev[0].Amount.Cmp(got) != 0 {
		c.t.Fatalf("Claimed events %+v, paid %s", ev, got)
	}
	return got
}

// addRewards has payer pay amount VEIL of rewards into op's relay.
func (c *chain) addRewards(payer, op *account, amount *big.Int) {
	c.t.Helper()
	c.fund(payer, amount, c.registry.Address())
	c.send(payer, c.registry, regABI.PackAddRewards(op.addr, amount))
}

func (c *chain) stake(op, d *account) *big.Int {
	c.t.Helper()
	return call(c, c.registry, regABI.PackStakeOf(op.addr, d.addr), regABI.UnpackStakeOf)
}

func (c *chain) pending(op, d *account) *big.Int {
	c.t.Helper()
	return call(c, c.registry, regABI.PackPendingRewards(op.addr, d.addr), regABI.UnpackPendingRewards)
}

func (c *chain) info(op *account) contracts.RelayInfoOutput {
	c.t.Helper()
	return call(c, c.registry, regABI.PackRelayInfo(op.addr), regABI.UnpackRelayInfo)
}

func (c *chain) entry(id *big.Int) contracts.UnbondingOutput {
	c.t.Helper()
	return call(c, c.registry, regABI.PackUnbonding(id), regABI.UnpackUnbonding)
}

func (c *chain) activeSet() contracts.ActiveSetOutput {
	c.t.Helper()
	return call(c, c.registry, regABI.PackActiveSet(), regABI.UnpackActiveSet)
}

func (c *chain) relayCount() int64 {
	c.t.Helper()
	return call(c, c.registry, regABI.PackRelayCount(), regABI.UnpackRelayCount).Int64()
}

// share computes the contract's reward arithmetic: the part of rest that shares of a pool of total shares
// receive, rounded down twice as the accumulator does (per share scaled by 1e18, then per delegator).
func share(rest, shares, total *big.Int) *big.Int {
	scale := big.NewInt(1e18)
	perShare := new(big.Int).Div(new(big.Int).Mul(rest, scale), total)
	return new(big.Int).Div(new(big.Int).Mul(shares, perShare), scale)
}

func add(xs ...*big.Int) *big.Int {
	s := new(big.Int)
	for _, x := range xs {
		s.Add(s, x)
	}
	return s
}

func sub(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }

// bps returns x * n / 10,000, rounded down.
func bps(x *big.Int, n int64) *big.Int {
	return new(big.Int).Div(new(big.Int).Mul(x, big.NewInt(n)), big.NewInt(10_000))
}
