//go:build !js

package eth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/veilsocial/veil/internal/chaintest"
	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wallet/contracts"
	"github.com/veilsocial/veil/wallet/devchain"
	"github.com/veilsocial/veil/wasmclient/eth"
)

// startChain runs a dev chain (go-ethereum's simulated chain over HTTP
// JSON-RPC on a loopback port, Veil's contracts deployed, the dev accounts
// funded) until the test ends.
func startChain(t *testing.T) *devchain.Chain {
	return chaintest.Start(t, devchain.Config{Accounts: []string{"alice", "bob"}})
}

// devKey is a dev account's key as wasmclient/eth holds it.
func devKey(t *testing.T, name string) *eth.PrivateKey {
	t.Helper()
	k, err := eth.PrivateKeyFromBytes(crypto.FromECDSA(devchain.AccountKey(name)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// waitReceipt polls for a transaction's receipt (the dev chain mines
// pending transactions at once), for at most ten seconds.
func waitReceipt(t *testing.T, c *eth.Client, tx eth.Hash) *eth.Receipt {
	t.Helper()
	for range 200 {
		r, err := c.Receipt(t.Context(), tx)
		if err != nil {
			t.Fatalf("Receipt(%s): %v", tx, err)
		}
		if r != nil {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s was not mined", tx)
	return nil
}

// TestTransferOverJSONRPC sends native coin with a transaction signed here
// to a node over HTTP, and reads the chain back the same way.
func TestTransferOverJSONRPC(t *testing.T) {
	chain := startChain(t)
	key := devKey(t, "alice")
	c, err := eth.NewClient(chain.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if id, err := c.ChainID(ctx); err != nil || id != devchain.ChainID {
		t.Fatalf("ChainID = %d, %v", id, err)
	}
	start, err := c.Balance(ctx, key.Address())
	if err != nil || start.Sign() <= 0 {
		t.Fatalf("Balance = %v, %v", start, err)
	}
	tipCap, feeCap, err := c.SuggestFees(ctx)
	if err != nil || tipCap.Sign() < 0 || feeCap.Cmp(tipCap) < 0 {
		t.Fatalf("SuggestFees = %v, %v, %v", tipCap, feeCap, err)
	}
	if base, err := c.BaseFee(ctx); err != nil || base.Sign() <= 0 {
		t.Errorf("BaseFee = %v, %v", base, err)
	}
	if price, err := c.GasPrice(ctx); err != nil || price.Sign() <= 0 {
		t.Errorf("GasPrice = %v, %v", price, err)
	}
	nonce, err := c.PendingNonce(ctx, key.Address())
	if err != nil {
		t.Fatal(err)
	}

	to, _ := eth.GenerateKey()
	value := big.NewInt(123456789)
	tx, err := c.Transact(ctx, 0, key, to.Address(), value, nil)
	if err != nil {
		t.Fatalf("Transact: %v", err)
	}
	r := waitReceipt(t, c, tx)
	if !r.Succeeded || r.TxHash != tx || r.BlockNumber == 0 || r.GasUsed != 21000 {
		t.Errorf("receipt %+v", r)
	}
	if bal, err := c.Balance(ctx, to.Address()); err != nil || bal.Cmp(value) != 0 {
		t.Errorf("the receiver's balance is %v, %v; want %v", bal, err, value)
	}
	if bal, err := c.Balance(ctx, key.Address()); err != nil || new(big.Int).Sub(start, bal).Cmp(value) <= 0 {
		t.Errorf("the sender's balance went from %v to %v, %v", start, bal, err)
	}
	if n, err := c.PendingNonce(ctx, key.Address()); err != nil || n != nonce+1 {
		t.Errorf("PendingNonce = %d, %v; want %d", n, err, nonce+1)
	}

	// A second transaction with the nonce already used is refused with the
	// node's message.
	tipCap, feeCap, _ = c.SuggestFees(ctx)
	raw, _, err := eth.SignDynamicFeeTx(devchain.ChainID, nonce, tipCap, feeCap, 21000, to.Address(), value, nil, key)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SendRawTransaction(ctx, raw)
	var rpcErr *eth.RPCError
	if !errors.As(err, &rpcErr) || rpcErr.Method != "eth_sendRawTransaction" || rpcErr.Message == "" {
		t.Errorf("replayed nonce: %v", err)
	}
	// So is a transfer the account cannot pay for.
	if _, err := c.Transact(ctx, 0, to, key.Address(), big.NewInt(1e18), nil); !errors.As(err, &rpcErr) {
		t.Errorf("a transfer beyond the balance: %v", err)
	}
	// A call to an account without code returns nothing.
	ret, err := c.Call(ctx, eth.CallMsg{To: to.Address(), Data: eth.TipCountCall("x")})
	if err != nil || len(ret) != 0 {
		t.Errorf("Call to an account without code = %x, %v", ret, err)
	}
	if _, err := eth.DecodeUint256(ret); err == nil {
		t.Error("DecodeUint256 of nothing succeeded")
	}
	// No receipt for a transaction the chain never saw.
	if r, err := c.Receipt(ctx, eth.Keccak256([]byte("nothing"))); r != nil || err != nil {
		t.Errorf("Receipt of an unknown transaction = %+v, %v", r, err)
	}
}

// TestTipsOverJSONRPC tips through the deployed Tips contract, in native
// coin and in VEIL, with calls encoded and transactions signed here, and
// reads the totals back both here and through go-ethereum and the
// contracts' generated bindings.
func TestTipsOverJSONRPC(t *testing.T) {
	chain := startChain(t)
	ctx := t.Context()
	alice, bob := devKey(t, "alice"), devKey(t, "bob")
	addrs := chain.Contracts()
	tips, token := eth.Address(addrs.Tips), eth.Address(addrs.Token)
	c, err := eth.NewClient(chain.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	const cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
	binding := contracts.NewTips()
	if got, want := eth.TipCall(bob.Address(), cid), binding.PackTip(common.Address(bob.Address()), cid); string(got) != string(want) {
		t.Errorf("TipCall = %x, the binding packs %x", got, want)
	}

	before, _ := c.Balance(ctx, bob.Address())
	native := big.NewInt(5e15)
	tx, err := c.Transact(ctx, devchain.ChainID, alice, tips, native, eth.TipCall(bob.Address(), cid))
	if err != nil {
		t.Fatalf("tip: %v", err)
	}
	if r := waitReceipt(t, c, tx); !r.Succeeded {
		t.Fatalf("the tip reverted: %+v", r)
	}
	if after, _ := c.Balance(ctx, bob.Address()); new(big.Int).Sub(after, before).Cmp(native) != 0 {
		t.Errorf("bob's balance went from %v to %v, not up by %v", before, after, native)
	}

	// A token tip: approve, then tipToken.
	amount := new(big.Int).Mul(big.NewInt(3), new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))
	approve, err := eth.ApproveCall(tips, amount)
	if err != nil {
		t.Fatal(err)
	}
	tx, err = c.Transact(ctx, devchain.ChainID, alice, token, nil, approve)
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	waitReceipt(t, c, tx)
	ret, err := c.Call(ctx, eth.CallMsg{To: token, Data: eth.AllowanceCall(alice.Address(), tips)})
	if n, derr := eth.DecodeUint256(ret); err != nil || derr != nil || n.Cmp(amount) != 0 {
		t.Fatalf("allowance = %v (%v, %v)", n, err, derr)
	}
	ret, _ = c.Call(ctx, eth.CallMsg{To: token, Data: eth.BalanceOfCall(bob.Address())})
	tokenBefore, err := eth.DecodeUint256(ret)
	if err != nil {
		t.Fatal(err)
	}
	data, err := eth.TipTokenCall(token, bob.Address(), amount, cid)
	if err != nil {
		t.Fatal(err)
	}
	tx, err = c.Transact(ctx, devchain.ChainID, alice, tips, nil, data)
	if err != nil {
		t.Fatalf("tipToken: %v", err)
	}
	if r := waitReceipt(t, c, tx); !r.Succeeded {
		t.Fatalf("the token tip reverted: %+v", r)
	}
	ret, _ = c.Call(ctx, eth.CallMsg{To: token, Data: eth.BalanceOfCall(bob.Address())})
	if after, _ := eth.DecodeUint256(ret); new(big.Int).Sub(after, tokenBefore).Cmp(amount) != 0 {
		t.Errorf("bob's VEIL went from %v to %v", tokenBefore, after)
	}
	// A second token tip with no allowance left reverts: the estimate says so.
	if _, err := c.Transact(ctx, devchain.ChainID, alice, tips, nil, data); err == nil {
		t.Error("a token tip beyond the allowance was sent")
	} else {
		t.Logf("a token tip beyond the allowance: %v", err)
	}

	read := func(call []byte) *big.Int {
		t.Helper()
		ret, err := c.Call(ctx, eth.CallMsg{To: tips, Data: call})
		if err != nil {
			t.Fatal(err)
		}
		n, err := eth.DecodeUint256(ret)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	gotNative, gotToken, gotCount := read(eth.TotalTippedCall(cid, eth.Address{})), read(eth.TotalTippedCall(cid, token)), read(eth.TipCountCall(cid))
	if gotNative.Cmp(native) != 0 || gotToken.Cmp(amount) != 0 || gotCount.Int64() != 2 {
		t.Errorf("totals here: native %v, token %v, count %v", gotNative, gotToken, gotCount)
	}
	// go-ethereum, through the generated bindings, reads the same.
	wc, err := wallet.Dial(ctx, wallet.Config{RPC: chain.URL(), Contracts: addrs})
	if err != nil {
		t.Fatal(err)
	}
	defer wc.Close()
	totals, err := wc.TipTotals(ctx, cid, addrs.Token)
	if err != nil {
		t.Fatal(err)
	}
	if totals.Native.Cmp(gotNative) != 0 || totals.Token.Cmp(gotToken) != 0 || totals.Count != gotCount.Uint64() {
		t.Errorf("go-ethereum reads %+v; here native %v, token %v, count %v", totals, gotNative, gotToken, gotCount)
	}
	if n := read(eth.TipCountCall("another post")); n.Sign() != 0 {
		t.Errorf("another post has %v tips", n)
	}
}

func TestClientErrors(t *testing.T) {
	for _, bad := range []string{"", "ftp://x", "http://", "localhost:8545", "http://host/#frag"} {
		if _, err := eth.NewClient(bad, nil); !isInvalid(err) {
			t.Errorf("NewClient(%q): %v", bad, err)
		}
	}
	// Nothing listens on a port just closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := eth.NewClient("http://"+addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := c.ChainID(ctx); !errors.Is(err, eth.ErrUnreachable) {
		t.Errorf("ChainID of nothing: %v", err)
	}
}

// TestSendParams: what SendParams writes, through JSON as a page passes it,
// ParseSendParams reads back the same; malformed fields are refused.
func TestSendParams(t *testing.T) {
	to, _ := eth.ParseAddress("0x00000000000000000000000000000000000000aa")
	from, _ := eth.ParseAddress("0x00000000000000000000000000000000000000bb")
	for _, m := range []eth.CallMsg{
		{To: to},
		{From: from, To: to, Value: big.NewInt(255), Data: []byte{1, 2, 3}},
	} {
		raw, err := json.Marshal(m.SendParams())
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		got, err := eth.ParseSendParams(p)
		if err != nil {
			t.Fatalf("ParseSendParams(%s): %v", raw, err)
		}
		want := m
		if want.Value == nil {
			want.Value = new(big.Int)
		}
		if got.From != want.From || got.To != want.To || got.Value.Cmp(want.Value) != 0 || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("ParseSendParams(%s) = %+v, want %+v", raw, got, want)
		}
	}
	for _, bad := range []map[string]any{
		{},
		{"to": "nowhere"},
		{"to": to.Hex(), "value": "12"},
		{"to": to.Hex(), "value": 12.0},
		{"to": to.Hex(), "data": "0xzz"},
		{"to": to.Hex(), "from": "0x12"},
	} {
		if _, err := eth.ParseSendParams(bad); !errors.Is(err, eth.ErrInvalid) {
			t.Errorf("ParseSendParams(%v) = %v, want ErrInvalid", bad, err)
		}
	}
}
