package contracts_test

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/veilsocial/veil/wallet/contracts/attack"
)

const cid = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"

func TestTipNative(t *testing.T) {
	c := newChain(t, defaultConfig(), "reader", "author")
	reader, author := c.acct("reader"), c.acct("author")
	before := c.nativeBalance(author.addr)

	r := c.sendValue(reader, c.tips, tipsABI.PackTip(author.addr, cid), veil(2))
	c.sendValue(reader, c.tips, tipsABI.PackTip(author.addr, cid), big.NewInt(3))

	// The author got every wei and the contract kept none.
	wantInt(t, "author's gain", new(big.Int).Sub(c.nativeBalance(author.addr), before), new(big.Int).Add(veil(2), big.NewInt(3)))
	wantInt(t, "contract balance", c.nativeBalance(c.tips.Address()), big.NewInt(0))
	wantInt(t, "totalTipped", call(c, c.tips, tipsABI.PackTotalTipped(cid, common.Address{}), tipsABI.UnpackTotalTipped), new(big.Int).Add(veil(2), big.NewInt(3)))
	wantInt(t, "tipCount", call(c, c.tips, tipsABI.PackTipCount(cid), tipsABI.UnpackTipCount), big.NewInt(2))
	wantInt(t, "other post's tipCount", call(c, c.tips, tipsABI.PackTipCount(cid+"x"), tipsABI.UnpackTipCount), big.NewInt(0))

	ev := events(r, c.tips.Address(), tipsABI.UnpackTippedEvent)
	if len(ev) != 1 {
		t.Fatalf("%d Tipped events", len(ev))
	}
	e := ev[0]
	if e.CidHash != crypto.Keccak256Hash([]byte(cid)) || e.From != reader.addr || e.Author != author.addr ||
		e.Token != (common.Address{}) || e.Amount.Cmp(veil(2)) != 0 || e.Cid != cid {
		t.Fatalf("Tipped = %+v", e)
	}
}

func TestTipToken(t *testing.T) {
	c := newChain(t, defaultConfig(), "reader", "author")
	reader, author := c.acct("reader"), c.acct("author")
	c.fund(reader, veil(10), c.tips.Address())

	r := c.send(reader, c.tips, tipsABI.PackTipToken(c.token.Address(), author.addr, veil(4), cid))
	c.sendValue(reader, c.tips, tipsABI.PackTip(author.addr, cid), big.NewInt(7))

	wantInt(t, "author", c.balance(author.addr), veil(4))
	wantInt(t, "reader", c.balance(reader.addr), veil(6))
	wantInt(t, "contract", c.balance(c.tips.Address()), big.NewInt(0))
	// Totals are per token; the count covers both.
	wantInt(t, "VEIL total", call(c, c.tips, tipsABI.PackTotalTipped(cid, c.token.Address()), tipsABI.UnpackTotalTipped), veil(4))
	wantInt(t, "native total", call(c, c.tips, tipsABI.PackTotalTipped(cid, common.Address{}), tipsABI.UnpackTotalTipped), big.NewInt(7))
	wantInt(t, "tipCount", call(c, c.tips, tipsABI.PackTipCount(cid), tipsABI.UnpackTipCount), big.NewInt(2))

	ev := events(r, c.tips.Address(), tipsABI.UnpackTippedEvent)
	if len(ev) != 1 || ev[0].Token != c.token.Address() || ev[0].Author != author.addr || ev[0].Amount.Cmp(veil(4)) != 0 ||
		ev[0].Cid != cid || ev[0].CidHash != crypto.Keccak256Hash([]byte(cid)) {
		t.Fatalf("Tipped events = %+v", ev)
	}
}

func TestTipRefusals(t *testing.T) {
	c := newChain(t, defaultConfig(), "reader", "author")
	reader, author := c.acct("reader"), c.acct("author")
	c.fund(reader, veil(10), c.tips.Address())

	if got := c.revertsValue(reader, c.tips, tipsABI.PackTip(author.addr, cid), nil); got != "ZeroAmount" {
		t.Fatalf("tip of nothing: %s", got)
	}
	if got := c.revertsValue(reader, c.tips, tipsABI.PackTip(common.Address{}, cid), big.NewInt(1)); got != "ZeroAuthor" {
		t.Fatalf("tip to the zero author: %s", got)
	}
	c.wantRevert(reader, c.tips, tipsABI.PackTipToken(c.token.Address(), author.addr, big.NewInt(0), cid), "ZeroAmount")
	c.wantRevert(reader, c.tips, tipsABI.PackTipToken(c.token.Address(), common.Address{}, veil(1), cid), "ZeroAuthor")
	c.wantRevert(reader, c.tips, tipsABI.PackTipToken(common.Address{}, author.addr, veil(1), cid), "ZeroToken")
	// More than the allowance: VEIL reverts, and Tips reports the token call as failed.
	c.wantRevert(reader, c.tips, tipsABI.PackTipToken(c.token.Address(), author.addr, veil(11), cid), "TokenTransferFailed")
	// An address without code is no token.
	c.wantRevert(reader, c.tips, tipsABI.PackTipToken(author.addr, author.addr, veil(1), cid), "TokenTransferFailed")

	// A token that returns false instead of reverting is refused too.
	hook := c.deploy(c.acct("deployer"), &attack.HookTokenMetaData, nil, hookABI.GetABI())
	c.send(reader, hook, hookABI.PackMint(reader.addr, veil(5)))
	c.send(reader, hook, hookABI.PackApprove(c.tips.Address(), veil(5)))
	c.send(reader, hook, hookABI.PackSetReturnFalse(true))
	c.wantRevert(reader, c.tips, tipsABI.PackTipToken(hook.Address(), author.addr, veil(1), cid), "TokenTransferFailed")

	// An author that refuses native coin gets no tip, and nothing is counted.
	re := c.deploy(c.acct("deployer"), &attack.ReentererMetaData, nil, reABI.GetABI())
	c.send(reader, re, reABI.PackSetRefuseNative(true))
	if got := c.revertsValue(reader, c.tips, tipsABI.PackTip(re.Address(), cid), big.NewInt(1)); got != "NativeTransferFailed" {
		t.Fatalf("tip to an author refusing coin: %s", got)
	}
	wantInt(t, "tipCount", call(c, c.tips, tipsABI.PackTipCount(cid), tipsABI.UnpackTipCount), big.NewInt(0))
}

// TestTipsReentrancy: an author contract that calls back into Tips while being paid is refused, and the tip
// that paid it stands, counted once.
func TestTipsReentrancy(t *testing.T) {
	c := newChain(t, defaultConfig(), "reader")
	c.fixedGas = 3_000_000
	reader := c.acct("reader")
	re := c.deploy(c.acct("deployer"), &attack.ReentererMetaData, nil, reABI.GetABI())

	// Native: the author's receive() tips again.
	c.send(reader, re, reABI.PackArm(c.tips.Address(), tipsABI.PackTip(reader.addr, cid)))
	c.sendValue(reader, c.tips, tipsABI.PackTip(re.Address(), cid), big.NewInt(1000))
	wantReentryRefused(t, c, re)
	wantInt(t, "author's coin", c.nativeBalance(re.Address()), big.NewInt(1000))
	wantInt(t, "tipCount", call(c, c.tips, tipsABI.PackTipCount(cid), tipsABI.UnpackTipCount), big.NewInt(1))

	// ERC-20: a hook token calls the author while the tip moves, and the author tips again.
	hook := c.deploy(c.acct("deployer"), &attack.HookTokenMetaData, nil, hookABI.GetABI())
	c.send(reader, hook, hookABI.PackMint(reader.addr, veil(5)))
	c.send(reader, hook, hookABI.PackApprove(c.tips.Address(), veil(5)))
	c.send(reader, re, reABI.PackArm(c.tips.Address(), tipsABI.PackTipToken(hook.Address(), reader.addr, veil(1), cid)))
	c.send(reader, c.tips, tipsABI.PackTipToken(hook.Address(), re.Address(), veil(2), cid))
	wantReentryRefused(t, c, re)
	wantInt(t, "author's tokens", call(c, hook, hookABI.PackBalanceOf(re.Address()), hookABI.UnpackBalanceOf), veil(2))
	wantInt(t, "token total", call(c, c.tips, tipsABI.PackTotalTipped(cid, hook.Address()), tipsABI.UnpackTotalTipped), veil(2))
	wantInt(t, "tipCount", call(c, c.tips, tipsABI.PackTipCount(cid), tipsABI.UnpackTipCount), big.NewInt(2))
}

// wantReentryRefused checks that the Reenterer's armed re-entry happened and was refused with Reentrancy.
func wantReentryRefused(t *testing.T, c *chain, re interface{ Address() common.Address }) {
	t.Helper()
	b := c.at(re.Address(), reABI.GetABI())
	if n := call(c, b, reABI.PackAttempts(), reABI.UnpackAttempts); n.Sign() == 0 || call(c, b, reABI.PackArmed(), reABI.UnpackArmed) {
		t.Fatal("the hook did not re-enter")
	}
	if call(c, b, reABI.PackLastOk(), reABI.UnpackLastOk) {
		t.Fatal("the re-entry succeeded")
	}
	if got := errorName(call(c, b, reABI.PackLastReturn(), reABI.UnpackLastReturn)); got != "Reentrancy" {
		t.Fatalf("the re-entry reverted with %s, want Reentrancy", got)
	}
}
