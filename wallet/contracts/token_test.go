package contracts_test

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestTokenBasics(t *testing.T) {
	c := newChain(t, defaultConfig(), "alice", "bob", "carol")
	dep, alice, bob, carol := c.acct("deployer"), c.acct("alice"), c.acct("bob"), c.acct("carol")

	if got := call(c, c.token, tokenABI.PackName(), tokenABI.UnpackName); got != "Veil" {
		t.Fatalf("name = %q", got)
	}
	if got := call(c, c.token, tokenABI.PackSymbol(), tokenABI.UnpackSymbol); got != "VEIL" {
		t.Fatalf("symbol = %q", got)
	}
	if got := call(c, c.token, tokenABI.PackDecimals(), tokenABI.UnpackDecimals); got != 18 {
		t.Fatalf("decimals = %d", got)
	}
	if got := call(c, c.token, tokenABI.PackOwner(), tokenABI.UnpackOwner); got != dep.addr {
		t.Fatalf("owner = %s, want %s", got, dep.addr)
	}

	// Only the owner mints; minting emits Transfer from the zero address.
	c.wantRevert(alice, c.token, tokenABI.PackMint(alice.addr, veil(1)), "NotOwner")
	c.wantRevert(dep, c.token, tokenABI.PackMint(common.Address{}, veil(1)), "ZeroAddress")
	r := c.send(dep, c.token, tokenABI.PackMint(alice.addr, veil(100)))
	ev := events(r, c.token.Address(), tokenABI.UnpackTransferEvent)
	if len(ev) != 1 || ev[0].From != (common.Address{}) || ev[0].To != alice.addr || ev[0].Value.Cmp(veil(100)) != 0 {
		t.Fatalf("mint events = %+v", ev)
	}
	wantInt(t, "totalSupply", call(c, c.token, tokenABI.PackTotalSupply(), tokenABI.UnpackTotalSupply), veil(100))

	// transfer moves tokens and refuses more than the balance or the zero address.
	c.send(alice, c.token, tokenABI.PackTransfer(bob.addr, veil(30)))
	wantInt(t, "alice", c.balance(alice.addr), veil(70))
	wantInt(t, "bob", c.balance(bob.addr), veil(30))
	c.wantRevert(bob, c.token, tokenABI.PackTransfer(alice.addr, veil(31)), "InsufficientBalance")
	c.wantRevert(bob, c.token, tokenABI.PackTransfer(common.Address{}, veil(1)), "ZeroAddress")

	// transferFrom spends the allowance, and refuses beyond it.
	r = c.send(alice, c.token, tokenABI.PackApprove(carol.addr, veil(20)))
	if ap := events(r, c.token.Address(), tokenABI.UnpackApprovalEvent); len(ap) != 1 || ap[0].Value.Cmp(veil(20)) != 0 {
		t.Fatalf("approval events = %+v", ap)
	}
	c.send(carol, c.token, tokenABI.PackTransferFrom(alice.addr, carol.addr, veil(15)))
	wantInt(t, "allowance", call(c, c.token, tokenABI.PackAllowance(alice.addr, carol.addr), tokenABI.UnpackAllowance), veil(5))
	c.wantRevert(carol, c.token, tokenABI.PackTransferFrom(alice.addr, carol.addr, veil(6)), "InsufficientAllowance")
	wantInt(t, "carol", c.balance(carol.addr), veil(15))
	wantInt(t, "alice", c.balance(alice.addr), veil(55))

	// An unlimited allowance is never spent down.
	maxAllowance := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	c.send(bob, c.token, tokenABI.PackApprove(carol.addr, maxAllowance))
	c.send(carol, c.token, tokenABI.PackTransferFrom(bob.addr, carol.addr, veil(10)))
	wantInt(t, "unlimited allowance", call(c, c.token, tokenABI.PackAllowance(bob.addr, carol.addr), tokenABI.UnpackAllowance), maxAllowance)
	wantInt(t, "totalSupply", call(c, c.token, tokenABI.PackTotalSupply(), tokenABI.UnpackTotalSupply), veil(100))
}
