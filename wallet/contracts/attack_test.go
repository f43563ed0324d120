package contracts_test

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/veilsocial/veil/wallet/contracts/attack"
)

// hookRegistry deploys a HookToken and a RelayRegistry staking it, with op registered (100 tokens) and a
// Reenterer holding 1,000 tokens that has approved the registry.
func hookRegistry(t *testing.T) (c *chain, hook, reg, re *bind.BoundContract) {
	c = newChain(t, defaultConfig(), "op", "payer", "eve")
	c.fixedGas = 3_000_000
	dep, op := c.acct("deployer"), c.acct("op")
	hook = c.deploy(dep, &attack.HookTokenMetaData, nil, hookABI.GetABI())
	reg = c.deployRegistry(hook.Address(), defaultConfig())
	c.send(op, hook, hookABI.PackMint(op.addr, veil(100)))
	c.send(op, hook, hookABI.PackApprove(reg.Address(), veil(100)))
	c.send(op, reg, regABI.PackRegister(peerID(op), relayURL(op), 1000, veil(100)))
	re = c.deploy(dep, &attack.ReentererMetaData, nil, reABI.GetABI())
	c.send(dep, hook, hookABI.PackMint(re.Address(), veil(1000)))
	c.send(c.acct("eve"), re, reABI.PackExec(hook.Address(), hookABI.PackApprove(reg.Address(), veil(1000))))
	return c, hook, reg, re
}

// TestRegistryReentrancy: a delegator contract whose token calls it back mid-transfer re-enters delegate,
// withdraw, claim and undelegate; every re-entry is refused and every payment happens once.
func TestRegistryReentrancy(t *testing.T) {
	c, hook, reg, re := hookRegistry(t)
	eve, op, payer := c.acct("eve"), c.acct("op"), c.acct("payer")
	hookBalance := func() *big.Int {
		return call(c, hook, hookABI.PackBalanceOf(re.Address()), hookABI.UnpackBalanceOf)
	}
	stake := func() *big.Int {
		return call(c, reg, regABI.PackStakeOf(op.addr, re.Address()), regABI.UnpackStakeOf)
	}
	exec := func(data []byte) *types.Receipt {
		t.Helper()
		return c.send(eve, re, reABI.PackExec(reg.Address(), data))
	}
	arm := func(data []byte) {
		t.Helper()
		c.send(eve, re, reABI.PackArm(reg.Address(), data))
	}

	// delegate: the token calls the sender as its tokens leave; delegating again from there is refused.
	arm(regABI.PackDelegate(op.addr, veil(100)))
	exec(regABI.PackDelegate(op.addr, veil(500)))
	wantReentryRefused(t, c, re)
	wantInt(t, "stake", stake(), veil(500))
	wantInt(t, "tokens", hookBalance(), veil(500))

	// withdraw: withdrawing the same entry again while being paid is refused; it pays once.
	r := exec(regABI.PackUndelegate(op.addr, veil(200)))
	ev := events(r, reg.Address(), regABI.UnpackUndelegatedEvent)
	if len(ev) != 1 {
		t.Fatalf("%d Undelegated events", len(ev))
	}
	id := ev[0].Id
	c.advance(7 * day)
	arm(regABI.PackWithdraw(id))
	exec(regABI.PackWithdraw(id))
	wantReentryRefused(t, c, re)
	wantInt(t, "tokens after withdraw", hookBalance(), veil(700))
	if e := call(c, reg, regABI.PackUnbonding(id), regABI.UnpackUnbonding); !e.Withdrawn {
		t.Fatalf("entry not withdrawn: %+v", e)
	}

	// claim: claiming again while being paid is refused; it pays once.
	c.send(payer, hook, hookABI.PackMint(payer.addr, veil(80)))
	c.send(payer, hook, hookABI.PackApprove(reg.Address(), veil(80)))
	c.send(payer, reg, regABI.PackAddRewards(op.addr, veil(40)))
	due := call(c, reg, regABI.PackPendingRewards(op.addr, re.Address()), regABI.UnpackPendingRewards)
	wantInt(t, "rewards due", due, share(veil(36), veil(300), veil(400)))
	arm(regABI.PackClaim(op.addr))
	exec(regABI.PackClaim(op.addr))
	wantReentryRefused(t, c, re)
	wantInt(t, "tokens after claim", hookBalance(), add(veil(700), due))
	wantInt(t, "rewards left", call(c, reg, regABI.PackPendingRewards(op.addr, re.Address()), regABI.UnpackPendingRewards), big.NewInt(0))

	// Any other function is refused too while a payment is under way.
	c.send(payer, reg, regABI.PackAddRewards(op.addr, veil(40)))
	arm(regABI.PackUndelegate(op.addr, veil(1)))
	exec(regABI.PackClaim(op.addr))
	wantReentryRefused(t, c, re)
	wantInt(t, "stake", stake(), veil(300))
}

// TestRegistryCheckedTransfers: a token that returns false instead of reverting moves nothing, and the
// registry refuses every operation that depended on it.
func TestRegistryCheckedTransfers(t *testing.T) {
	c, hook, reg, re := hookRegistry(t)
	eve, op, payer := c.acct("eve"), c.acct("op"), c.acct("payer")
	c.send(eve, re, reABI.PackExec(reg.Address(), regABI.PackDelegate(op.addr, veil(300))))
	r := c.send(eve, re, reABI.PackExec(reg.Address(), regABI.PackUndelegate(op.addr, veil(100))))
	id := events(r, reg.Address(), regABI.UnpackUndelegatedEvent)[0].Id
	c.send(payer, hook, hookABI.PackMint(payer.addr, veil(500)))
	c.send(payer, hook, hookABI.PackApprove(reg.Address(), veil(500)))
	c.send(payer, reg, regABI.PackAddRewards(op.addr, veil(10)))
	c.advance(7 * day)

	c.send(payer, hook, hookABI.PackSetReturnFalse(true))
	c.wantRevert(payer, reg, regABI.PackRegister(peerID(payer), relayURL(payer), 0, veil(100)), "TokenTransferFailed")
	c.wantRevert(payer, reg, regABI.PackDelegate(op.addr, veil(1)), "TokenTransferFailed")
	c.wantRevert(payer, reg, regABI.PackAddRewards(op.addr, veil(10)), "TokenTransferFailed")
	c.wantRevert(op, reg, regABI.PackClaim(op.addr), "TokenTransferFailed")
	if got := c.reverts(eve, re, reABI.PackExec(reg.Address(), regABI.PackWithdraw(id))); got != "TokenTransferFailed" {
		t.Fatalf("withdraw with a false token: %s", got)
	}
	if e := call(c, reg, regABI.PackUnbonding(id), regABI.UnpackUnbonding); e.Withdrawn || e.Amount.Cmp(veil(100)) != 0 {
		t.Fatalf("a refused withdraw changed the entry: %+v", e)
	}

	// Once the token behaves, everything goes through.
	c.send(payer, hook, hookABI.PackSetReturnFalse(false))
	c.send(eve, re, reABI.PackExec(reg.Address(), regABI.PackWithdraw(id)))
	wantInt(t, "withdrawn", call(c, hook, hookABI.PackBalanceOf(re.Address()), hookABI.UnpackBalanceOf), veil(800))
	c.send(op, reg, regABI.PackClaim(op.addr))
}
