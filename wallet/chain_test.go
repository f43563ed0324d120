package wallet_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/veilsocial/veil/internal/chaintest"
	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wallet/devchain"
)

// testChain is a dev chain served over HTTP and a wallet Client on it.
type testChain struct {
	chain *devchain.Chain
	c     *wallet.Client
}

func newTestChain(t *testing.T) *testChain {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ch := chaintest.Start(t, devchain.Config{})
	c, err := wallet.Dial(ctx, wallet.Config{RPC: ch.URL(), Contracts: ch.Contracts(), ReceiptTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &testChain{chain: ch, c: c}
}

func (tc *testChain) addr(name string) common.Address {
	return crypto.PubkeyToAddress(devchain.AccountKey(name).PublicKey)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

const testCID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"

func TestTips(t *testing.T) {
	tc := newTestChain(t)
	ctx := ctxT(t)
	alice, bob := tc.chain.Signer("alice"), tc.addr("bob")
	if id := tc.c.ChainID(); id.Int64() != 1337 {
		t.Errorf("chain ID %s", id)
	}
	bobNative, _ := tc.c.Balance(ctx, bob)
	tip, err := tc.c.Tip(ctx, alice, bob, testCID, wallet.Units(2))
	if err != nil {
		t.Fatal(err)
	}
	if tip.From != alice.Address() || tip.Author != bob || tip.Token != (common.Address{}) || tip.CID != testCID || tip.Amount.Cmp(wallet.Units(2)) != 0 {
		t.Errorf("tip %+v", tip)
	}
	if after, _ := tc.c.Balance(ctx, bob); new(big.Int).Sub(after, bobNative).Cmp(wallet.Units(2)) != 0 {
		t.Errorf("bob's native balance went from %s to %s", bobNative, after)
	}

	// A token tip approves first (the allowance is 0), a second one too
	// (approve sets exactly what the tip needs), and one after a larger
	// allowance does not.
	veil := tc.c.Contracts().Token
	nonce0, _ := tc.c.Eth().NonceAt(ctx, alice.Address(), nil)
	half, _ := wallet.ParseAmount("0.5")
	if _, err := tc.c.TipToken(ctx, alice, common.Address{}, bob, testCID, half); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.c.TipToken(ctx, alice, veil, bob, testCID, wallet.Units(3)); err != nil {
		t.Fatal(err)
	}
	nonce1, _ := tc.c.Eth().NonceAt(ctx, alice.Address(), nil)
	if nonce1-nonce0 != 4 {
		t.Errorf("two token tips from a zero allowance took %d transactions, want 4", nonce1-nonce0)
	}
	if al, _ := tc.c.Allowance(ctx, veil, alice.Address(), tc.c.Contracts().Tips); al.Sign() != 0 {
		t.Errorf("allowance left %s", al)
	}
	// Carol gave the Tips contract a large allowance herself: one transaction.
	carol := tc.chain.Signer("carol")
	tokenABI := tokenABI()
	approval, err := tc.c.Send(ctx, carol, veil, nil, mustPack(t, tokenABI, "approve", tc.c.Contracts().Tips, wallet.Units(1000)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.c.Wait(ctx, approval); err != nil {
		t.Fatal(err)
	}
	cn0, _ := tc.c.Eth().PendingNonceAt(ctx, carol.Address())
	if _, err := tc.c.TipToken(ctx, carol, veil, bob, testCID, wallet.Units(1)); err != nil {
		t.Fatal(err)
	}
	cn1, _ := tc.c.Eth().NonceAt(ctx, carol.Address(), nil)
	if cn1-cn0 != 1 {
		t.Errorf("a tip within the allowance took %d transactions", cn1-cn0)
	}
	bobVeil, err := tc.c.TokenBalance(ctx, common.Address{}, bob)
	if err != nil {
		t.Fatal(err)
	}
	if want := wallet.Units(100_004); new(big.Int).Sub(bobVeil, half).Cmp(want) != 0 {
		t.Errorf("bob holds %s VEIL", wallet.FormatAmount(bobVeil))
	}
	tot, err := tc.c.TipTotals(ctx, testCID, common.Address{})
	if err != nil {
		t.Fatal(err)
	}
	if tot.Native.Cmp(wallet.Units(2)) != 0 || tot.Token.Cmp(new(big.Int).Add(wallet.Units(4), half)) != 0 || tot.Count != 4 {
		t.Errorf("totals: native %s, VEIL %s, %d tips", wallet.FormatAmount(tot.Native), wallet.FormatAmount(tot.Token), tot.Count)
	}
	other, _ := tc.c.TipTotals(ctx, "bafkreiother", common.Address{})
	if other.Count != 0 || other.Native.Sign() != 0 {
		t.Errorf("another post: %+v", other)
	}

	// Bad tips are refused before anything is sent.
	if _, err := tc.c.Tip(ctx, alice, common.Address{}, testCID, wallet.Units(1)); !errors.Is(err, wallet.ErrBadTip) {
		t.Errorf("zero author: %v", err)
	}
	if _, err := tc.c.Tip(ctx, alice, bob, "", wallet.Units(1)); !errors.Is(err, wallet.ErrBadTip) {
		t.Errorf("no CID: %v", err)
	}
	if _, err := tc.c.TipToken(ctx, alice, veil, bob, testCID, big.NewInt(0)); !errors.Is(err, wallet.ErrBadAmount) {
		t.Errorf("zero amount: %v", err)
	}
	// More VEIL than dave has: the estimate reverts with the contract's error.
	_, err = tc.c.TipToken(ctx, tc.chain.Signer("dave"), veil, bob, testCID, wallet.Units(200_000))
	var re *wallet.RevertError
	if !errors.As(err, &re) || err.Error() != "execution reverted: TokenTransferFailed(token="+veil.Hex()+")" {
		t.Errorf("tip beyond the balance: %v", err)
	}
}

func TestStaking(t *testing.T) {
	tc := newTestChain(t)
	ctx := ctxT(t)
	reg, err := tc.c.Registry()
	if err != nil {
		t.Fatal(err)
	}
	op, alice, gov := tc.chain.Signer("operator"), tc.chain.Signer("alice"), tc.chain.Signer("governance")

	// Too little self-stake: refused, with the contract's reason.
	_, err = reg.Register(ctx, op, "12D3KooWtest", "https://relay.example", 500, wallet.Units(10))
	if !errors.Is(err, wallet.ErrReverted) || !strings.Contains(err.Error(), "SelfStakeTooLow(selfStake=10000000000000000000, minimum=1000000000000000000000)") {
		t.Fatalf("low self-stake: %v", err)
	}
	if _, err := reg.Register(ctx, op, "12D3KooWtest", "https://relay.example", 500, wallet.Units(2000)); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Delegate(ctx, alice, op.Address(), wallet.Units(1000)); err != nil {
		t.Fatal(err)
	}
	set, err := reg.ActiveSet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(set) != 1 || set[0].Operator != op.Address() || set[0].PeerID != "12D3KooWtest" || set[0].URL != "https://relay.example" || set[0].Stake.Cmp(wallet.Units(3000)) != 0 {
		t.Errorf("active set %+v", set)
	}
	info, err := reg.RelayInfo(ctx, op.Address())
	if err != nil {
		t.Fatal(err)
	}
	if !info.Registered || info.CommissionBps != 500 || info.SelfStake.Cmp(wallet.Units(2000)) != 0 || info.TotalStake.Cmp(wallet.Units(3000)) != 0 || !info.PendingCommissionAt.IsZero() {
		t.Errorf("relay info %+v", info)
	}
	if none, err := reg.RelayInfo(ctx, tc.addr("dave")); err != nil || none.Registered {
		t.Errorf("dave's relay: %+v, %v", none, err)
	}

	// Rewards: 5% commission to the operator, the rest by stake (1/3 to alice).
	if _, err := reg.AddRewards(ctx, gov, op.Address(), wallet.Units(300)); err != nil {
		t.Fatal(err)
	}
	pending, err := reg.PendingRewards(ctx, op.Address(), alice.Address())
	if err != nil {
		t.Fatal(err)
	}
	if want := wallet.Units(95); diff(pending, want) > 10 {
		t.Errorf("alice's pending rewards %s, want about 95", wallet.FormatAmount(pending))
	}
	before, _ := tc.c.TokenBalance(ctx, common.Address{}, alice.Address())
	claimed, err := reg.Claim(ctx, alice, op.Address())
	if err != nil {
		t.Fatal(err)
	}
	after, _ := tc.c.TokenBalance(ctx, common.Address{}, alice.Address())
	if claimed.Cmp(pending) != 0 || new(big.Int).Sub(after, before).Cmp(claimed) != 0 {
		t.Errorf("claimed %s of %s pending; balance %s → %s", claimed, pending, before, after)
	}
	if again, err := reg.Claim(ctx, alice, op.Address()); err != nil || again.Sign() != 0 {
		t.Errorf("claiming nothing: %s, %v", again, err)
	}

	// Undelegate, too early to withdraw, time travel, withdraw.
	u, err := reg.Undelegate(ctx, alice, op.Address(), wallet.Units(400))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID.Int64() != 1 || u.Amount.Cmp(wallet.Units(400)) != 0 || u.Delegator != alice.Address() {
		t.Errorf("unbonding %+v", u)
	}
	if d := u.ReleaseTime.Sub(tc.chain.Time()); d < 55*time.Second || d > 61*time.Second {
		t.Errorf("released in %v, want the registry's 60 s", d)
	}
	if stake, _ := reg.StakeOf(ctx, op.Address(), alice.Address()); stake.Cmp(wallet.Units(600)) != 0 {
		t.Errorf("alice's stake %s after undelegating 400 of 1000", wallet.FormatAmount(stake))
	}
	_, err = reg.Withdraw(ctx, alice, u.ID)
	if !errors.Is(err, wallet.ErrReverted) || !strings.Contains(err.Error(), "StillUnbonding(id=1") {
		t.Errorf("early withdrawal: %v", err)
	}
	_, err = reg.Withdraw(ctx, tc.chain.Signer("bob"), u.ID)
	if !strings.Contains(fmt.Sprint(err), "NotEntryOwner(id=1, caller="+tc.addr("bob").Hex()+")") {
		t.Errorf("bob withdrawing alice's entry: %v", err)
	}
	if err := tc.chain.AdjustTime(61 * time.Second); err != nil {
		t.Fatal(err)
	}
	before, _ = tc.c.TokenBalance(ctx, common.Address{}, alice.Address())
	paid, err := reg.Withdraw(ctx, alice, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	after, _ = tc.c.TokenBalance(ctx, common.Address{}, alice.Address())
	if paid.Cmp(wallet.Units(400)) != 0 || new(big.Int).Sub(after, before).Cmp(paid) != 0 {
		t.Errorf("withdrew %s; balance %s → %s", paid, before, after)
	}
	list, err := reg.Unbondings(ctx, alice.Address(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || !list[0].Withdrawn || list[0].ID.Int64() != 1 || list[0].Operator != op.Address() {
		t.Errorf("alice's unbondings %+v", list)
	}
	if none, _ := reg.Unbondings(ctx, tc.addr("bob"), 0); len(none) != 0 {
		t.Errorf("bob's unbondings %+v", none)
	}
	// From the dev chain's deployment block the scan finds the same; from
	// past the head, nothing.
	deployed := tc.chain.Info().DeployBlock
	if deployed == 0 {
		t.Errorf("the dev chain file has no deployBlock")
	}
	if from, err := reg.Unbondings(ctx, alice.Address(), deployed); err != nil || len(from) != 1 {
		t.Errorf("alice's unbondings since block %d: %+v %v", deployed, from, err)
	}
	head, err := tc.c.Eth().BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if later, err := reg.Unbondings(ctx, alice.Address(), head+1); err != nil || len(later) != 0 {
		t.Errorf("alice's unbondings after the head: %+v %v", later, err)
	}

	// A commission change waits for the registry's delay.
	at, err := reg.ProposeCommission(ctx, op, 800)
	if err != nil {
		t.Fatal(err)
	}
	info, _ = reg.RelayInfo(ctx, op.Address())
	if info.CommissionBps != 500 || info.PendingCommissionBps != 800 || !info.PendingCommissionAt.Equal(at) {
		t.Errorf("after proposing: %+v (effective %v)", info, at)
	}
	if d := at.Sub(tc.chain.Time()); d < 115*time.Second || d > 121*time.Second {
		t.Errorf("commission takes effect in %v, want 120 s", d)
	}
	if err := tc.chain.AdjustTime(121 * time.Second); err != nil {
		t.Fatal(err)
	}
	if info, _ = reg.RelayInfo(ctx, op.Address()); info.CommissionBps != 800 {
		t.Errorf("after the delay: %+v", info)
	}
}

func diff(a, b *big.Int) int64 { return new(big.Int).Abs(new(big.Int).Sub(a, b)).Int64() }

// TestConcurrentSends: 20 sends from one account at once all get their own
// nonce and are mined.
func TestConcurrentSends(t *testing.T) {
	tc := newTestChain(t)
	ctx := ctxT(t)
	alice := tc.chain.Signer("alice")
	start, err := tc.c.Eth().NonceAt(ctx, alice.Address(), nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	receipts := make([]*types.Receipt, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to := common.BigToAddress(big.NewInt(int64(0x1000 + i)))
			receipts[i], errs[i] = tc.c.Transfer(ctx, alice, to, big.NewInt(int64(1000+i)))
		}()
	}
	wg.Wait()
	nonces := map[uint64]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("send %d: %v", i, errs[i])
		}
		tx, _, err := tc.c.Eth().TransactionByHash(ctx, receipts[i].TxHash)
		if err != nil {
			t.Fatal(err)
		}
		if nonces[tx.Nonce()] {
			t.Errorf("nonce %d used twice", tx.Nonce())
		}
		nonces[tx.Nonce()] = true
		if tx.Type() != types.DynamicFeeTxType {
			t.Errorf("send %d is a type %d transaction, want EIP-1559", i, tx.Type())
		}
		bal, _ := tc.c.Balance(ctx, common.BigToAddress(big.NewInt(int64(0x1000+i))))
		if bal.Int64() != int64(1000+i) {
			t.Errorf("recipient %d holds %s", i, bal)
		}
	}
	end, _ := tc.c.Eth().NonceAt(ctx, alice.Address(), nil)
	if end-start != n {
		t.Errorf("nonce went from %d to %d after %d sends", start, end, n)
	}
	// Another process (here: another Client) sending from the same account
	// does not break this one: a taken nonce is retried.
	other, err := wallet.Dial(ctx, wallet.Config{RPC: tc.chain.URL(), Contracts: tc.chain.Contracts()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for i := range 3 {
		c := []*wallet.Client{tc.c, other}[i%2]
		if _, err := c.Transfer(ctx, alice, tc.addr("bob"), big.NewInt(1)); err != nil {
			t.Errorf("alternating clients, send %d: %v", i, err)
		}
	}
}

// TestRevertMined: a mined transaction that reverted is reported with its
// reason, replayed from the chain; Send refuses the same call before sending
// it; and waiting for a transaction nobody mines is bounded.
func TestRevertMined(t *testing.T) {
	tc := newTestChain(t)
	ctx := ctxT(t)
	alice := tc.chain.Signer("alice")
	bob := tc.addr("bob")
	// A transaction signed by hand with a fixed gas limit, so that nothing
	// estimates it: tip() with no value reverts with ZeroAmount().
	tipsABI := tipsABI()
	data := mustPack(t, tipsABI, "tip", bob, testCID)
	nonce, _ := tc.c.Eth().PendingNonceAt(ctx, alice.Address())
	head, _ := tc.c.Eth().HeaderByNumber(ctx, nil)
	to := tc.c.Contracts().Tips
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: big.NewInt(1337), Nonce: nonce, GasTipCap: big.NewInt(1e9),
		GasFeeCap: new(big.Int).Add(big.NewInt(1e9), new(big.Int).Mul(head.BaseFee, big.NewInt(2))), Gas: 200_000, To: &to, Data: data})
	signed, err := alice.SignTx(tx, big.NewInt(1337))
	if err != nil {
		t.Fatal(err)
	}
	if err := tc.c.Eth().SendTransaction(ctx, signed); err != nil {
		t.Fatal(err)
	}
	r, err := tc.c.Wait(ctx, signed)
	var re *wallet.RevertError
	if !errors.As(err, &re) {
		t.Fatalf("want a RevertError, got %v", err)
	}
	if r == nil || r.Status != types.ReceiptStatusFailed || re.TxHash != signed.Hash() || re.Reason != "ZeroAmount()" {
		t.Errorf("receipt %v, error %v", r, err)
	}
	if want := "transaction " + signed.Hash().Hex() + " reverted: ZeroAmount()"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	// The same through Send is refused before it is sent.
	_, err = tc.c.Send(ctx, alice, to, nil, data)
	if !errors.As(err, &re) || re.TxHash != (common.Hash{}) || err.Error() != "execution reverted: ZeroAmount()" {
		t.Errorf("Send: %v", err)
	}
	// A transaction nobody mines: Wait gives up after ReceiptTimeout.
	short, err := wallet.Dial(ctx, wallet.Config{RPC: tc.chain.URL(), ReceiptTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	ghost := types.NewTx(&types.DynamicFeeTx{ChainID: big.NewInt(1337), Nonce: 1 << 40, Gas: 21000, To: &bob})
	if _, err := short.Wait(ctx, ghost); !errors.Is(err, wallet.ErrNotMined) {
		t.Errorf("unmined: %v", err)
	}
	// A caller that gives up is told so, not that the chain was slow.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := tc.c.Wait(cctx, ghost); !errors.Is(err, context.Canceled) || errors.Is(err, wallet.ErrNotMined) {
		t.Errorf("canceled: %v", err)
	}
}
