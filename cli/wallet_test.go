package cli

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/veilsocial/veil/relay"
	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wallet/devchain"
)

// runTestChain runs a dev chain on 127.0.0.1:0 and writes its file.
func runTestChain(t *testing.T) (*devchain.Chain, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := devchain.Start(ctx, devchain.Config{HTTP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	file := filepath.Join(t.TempDir(), "devchain.json")
	if err := c.WriteFile(file); err != nil {
		t.Fatal(err)
	}
	return c, file
}

// onChain makes worlds whose veil uses the dev chain, with a wallet
// passphrase, and the relay n unless it is nil.
func onChain(t *testing.T, n *relay.Node, chainFile string, names ...string) []*world {
	var ws []*world
	if n != nil {
		ws = onRelay(t, n, names...)
	} else {
		for _, name := range names {
			ws = append(ws, newWorld(t, name))
		}
	}
	for _, w := range ws {
		w.envVar["VEIL_CHAIN_FILE"] = chainFile
		w.envVar["VEIL_WALLET_PASSPHRASE"] = "wallet of " + w.home
	}
	return ws
}

func dial(t *testing.T, c *devchain.Chain) *wallet.Client {
	t.Helper()
	wc, err := wallet.Dial(context.Background(), wallet.Config{RPC: c.URL(), Contracts: c.Contracts()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wc.Close)
	return wc
}

// TestWalletAndTips: Alice makes an account and binds her persona to it,
// Bob imports a dev account and tips her public post in native coin and
// VEIL; posts whose author bound nothing get no tip.
func TestWalletAndTips(t *testing.T) {
	chain, file := runTestChain(t)
	n := runTestRelay(t)
	ws := onChain(t, n, file, "alice", "bob")
	a, b := ws[0], ws[1]
	ctx := context.Background()

	afpr := a.newPersona("Alice", "alice@example.org")
	if errs := a.mustFail(ExitFailure, nil, "wallet", "bind"); !strings.Contains(errs, "veil wallet new") {
		t.Errorf("bind without an account: %s", errs)
	}
	a.mustFail(ExitFailure, nil, "wallet", "new", "--lightkdf", "--wallet-passphrase-file", filepath.Join(t.TempDir(), "none"))
	addr := strings.TrimSpace(a.mustVeil(nil, "wallet", "new", "--lightkdf"))
	if !wallet.IsAddress(addr) {
		t.Fatalf("wallet new printed %q", addr)
	}
	if list := a.mustVeil(nil, "wallet", "list"); strings.TrimSpace(list) != addr {
		t.Errorf("wallet list: %q", list)
	}
	// A wrong wallet passphrase is a locked key (7); then the binding.
	good := a.envVar["VEIL_WALLET_PASSPHRASE"]
	a.envVar["VEIL_WALLET_PASSPHRASE"] = "wrong"
	if errs := a.mustFail(ExitLocked, nil, "wallet", "bind"); !strings.Contains(errs, "wrong passphrase") {
		t.Errorf("wrong wallet passphrase: %s", errs)
	}
	delete(a.envVar, "VEIL_WALLET_PASSPHRASE")
	if errs := a.mustFail(ExitLocked, nil, "wallet", "bind"); !strings.Contains(errs, "needs its passphrase") {
		t.Errorf("no wallet passphrase: %s", errs)
	}
	a.envVar["VEIL_WALLET_PASSPHRASE"] = good
	out := a.mustVeil(nil, "wallet", "bind")
	if want := afpr + " is bound to eip155:1337:" + common.HexToAddress(addr).Hex() + " both ways\n"; out != want {
		t.Errorf("wallet bind: %q, want %q", out, want)
	}
	if list := a.mustVeil(nil, "persona", "list"); !strings.Contains(list, "wallet eip155:1337:"+common.HexToAddress(addr).Hex()) {
		t.Errorf("persona list after bind:\n%s", list)
	}
	a.mustVeil(nil, "keys", "publish")
	feed := strings.TrimSpace(a.mustVeil([]byte("tip me"), "post", "--public"))
	link := feed[strings.Index(feed, "http"):]

	// Bob: a dev account, its balance, and tips.
	bobAddr := strings.TrimSpace(b.mustVeil(nil, "wallet", "import", "--lightkdf", "--dev", "bob"))
	if bobAddr != chain.Signer("bob").Address().Hex() {
		t.Errorf("imported %s", bobAddr)
	}
	if errs := b.mustFail(ExitFailure, nil, "wallet", "import", "--lightkdf", "--dev", "bob"); !strings.Contains(errs, "already in the keystore") {
		t.Errorf("second import: %s", errs)
	}
	b.mustFail(ExitUsage, nil, "wallet", "import", "--dev", "mallory")
	if errs := b.mustFail(ExitCorrupt, []byte("0x1234\n"), "wallet", "import", "--lightkdf"); !strings.Contains(errs, "bad private key") {
		t.Errorf("import of a short key: %s", errs)
	}
	bal := b.mustVeil(nil, "wallet", "balance")
	if !strings.Contains(bal, "  10000 native\n") || !strings.Contains(bal, "  100000 VEIL\n") {
		t.Errorf("balance:\n%s", bal)
	}
	out = b.mustVeil(nil, "tip", feed, "1.5")
	if !strings.HasPrefix(out, "tipped 1.5 native to "+common.HexToAddress(addr).Hex()+" ("+afpr+") for bafk") ||
		!strings.Contains(out, "has received 1.5 native and 0 VEIL in 1 tips\n") {
		t.Errorf("native tip:\n%s", out)
	}
	out = b.mustVeil(nil, "tip", link, "2", "veil")
	if !strings.Contains(out, "tipped 2 VEIL to ") || !strings.Contains(out, "has received 1.5 native and 2 VEIL in 2 tips\n") {
		t.Errorf("VEIL tip:\n%s", out)
	}
	cid := regexp.MustCompile(`bafk[a-z2-7]+`).FindString(out)
	if got := a.mustVeil(nil, "tip", "--totals", cid); got != cid+" has received 1.5 native and 2 VEIL in 2 tips\n" {
		t.Errorf("totals: %q", got)
	}
	wc := dial(t, chain)
	if got, _ := wc.Balance(ctx, common.HexToAddress(addr)); got.Cmp(big.NewInt(15e17)) != 0 {
		t.Errorf("alice's account holds %s native", got)
	}
	if got, _ := wc.TokenBalance(ctx, common.Address{}, common.HexToAddress(addr)); got.Cmp(wallet.Units(2)) != 0 {
		t.Errorf("alice's account holds %s VEIL", got)
	}

	// Bad input: exit 2 and a message, nothing sent.
	for _, args := range [][]string{
		{"tip", link, "abc"}, {"tip", link, "-1"}, {"tip", link, "0"}, {"tip", link, "1", "doge"},
		{"tip", "not a post", "1"}, {"tip", link}, {"wallet", "balance", "0x123"}, {"wallet", "frobnicate"},
		{"wallet", "new", "extra"}, {"wallet", "list", "extra"}, {"wallet", "bind", "a", "b"},
	} {
		if errs := b.mustFail(ExitUsage, nil, args...); !strings.Contains(errs, "veil "+args[0]+": ") {
			t.Errorf("%v: %q", args, errs)
		}
	}
	// Bob's own post: he bound no wallet, so Alice cannot tip him.
	b.newPersona("Bob", "bob@example.org")
	b.mustVeil(nil, "keys", "publish")
	bobFeed := strings.TrimSpace(b.mustVeil([]byte("no tips for me"), "post", "--public"))
	a.mustVeil(nil, "wallet", "import", "--lightkdf", "--dev", "alice")
	errs := a.mustFail(ExitFailure, nil, "tip", "--from", chain.Signer("alice").Address().Hex(), bobFeed, "1")
	if !strings.Contains(errs, "the author has no wallet bound both ways on this chain") || !strings.Contains(errs, "no wallet binding") {
		t.Errorf("tip to an unbound author: %s", errs)
	}
	if tot, _ := wc.TipTotals(ctx, cid, common.Address{}); tot.Count != 2 {
		t.Errorf("%d tips after the refusals", tot.Count)
	}
}

// TestStakeCommands: an operator registers, Bob delegates, undelegates,
// withdraws after the unbonding delay, claims; status shows it all.
func TestStakeCommands(t *testing.T) {
	chain, file := runTestChain(t)
	ws := onChain(t, nil, file, "operator", "bob")
	o, b := ws[0], ws[1]
	opAddr := strings.TrimSpace(o.mustVeil(nil, "wallet", "import", "--lightkdf", "--dev", "operator"))
	b.mustVeil(nil, "wallet", "import", "--lightkdf", "--dev", "bob")

	errs := o.mustFail(ExitFailure, nil, "stake", "register", "--peer-id", "12D3KooWcli", "--url", "http://relay.example", "10")
	if !strings.Contains(errs, "reverted: SelfStakeTooLow(selfStake=10000000000000000000, minimum=1000000000000000000000)") {
		t.Errorf("low self-stake: %s", errs)
	}
	out := o.mustVeil(nil, "stake", "register", "--peer-id", "12D3KooWcli", "--url", "http://relay.example", "--commission", "500", "1000")
	if out != "registered 12D3KooWcli (http://relay.example) for "+opAddr+" with 1000 VEIL of its own\n" {
		t.Errorf("register: %q", out)
	}
	if out := b.mustVeil(nil, "stake", "delegate", opAddr, "500"); out != "delegated 500 VEIL to "+opAddr+"; your stake there is 500 VEIL\n" {
		t.Errorf("delegate: %q", out)
	}
	out = b.mustVeil(nil, "stake", "undelegate", opAddr, "200.5")
	if !strings.HasPrefix(out, "unbonding 200.5 VEIL from "+opAddr+": entry 1, released at ") {
		t.Errorf("undelegate: %q", out)
	}
	if errs := b.mustFail(ExitFailure, nil, "stake", "withdraw", "1"); !strings.Contains(errs, "StillUnbonding(id=1") {
		t.Errorf("early withdraw: %s", errs)
	}
	if err := chain.AdjustTime(61 * time.Second); err != nil {
		t.Fatal(err)
	}
	if out := b.mustVeil(nil, "stake", "withdraw", "1"); out != "withdrew 200.5 VEIL (entry 1)\n" {
		t.Errorf("withdraw: %q", out)
	}
	if out := b.mustVeil(nil, "stake", "claim", opAddr); out != "claimed 0 VEIL of rewards from "+opAddr+"\n" {
		t.Errorf("claim: %q", out)
	}
	if out := o.mustVeil(nil, "stake", "commission", "700"); !strings.HasPrefix(out, "commission 700 bps from ") {
		t.Errorf("commission: %q", out)
	}
	status := b.mustVeil(nil, "stake", "status")
	for _, want := range []string{
		"minimum self-stake 1000 VEIL, unbonding 1m0s, commission delay 2m0s, active set of 21",
		"active set (1):\n   1. " + opAddr + " 1299.5 VEIL  12D3KooWcli  http://relay.example\n",
		"stake on " + opAddr + ": 299.5 VEIL",
		"unbonding 1: 200.5 VEIL from " + opAddr + ", withdrawn",
	} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	if st := b.mustVeil(nil, "stake", "status", opAddr); !strings.Contains(st, "relay 12D3KooWcli  http://relay.example: stake 1299.5 VEIL (self 1000), commission 500 bps, 700 bps from ") {
		t.Errorf("operator's status:\n%s", st)
	}
	for _, args := range [][]string{
		{"stake", "delegate", "nobody", "5"}, {"stake", "delegate", opAddr}, {"stake", "withdraw", "x"},
		{"stake", "commission", "10001"}, {"stake", "frobnicate"}, {"stake", "register", "--url", "http://x", "1000"},
	} {
		if errs := b.mustFail(ExitUsage, nil, args...); !strings.HasPrefix(errs, "veil stake: ") {
			t.Errorf("%v: %q", args, errs)
		}
	}
}

// TestDevchainCommand: veil devchain serves a chain, writes its file and
// stops on request; a bad address is refused.
func TestDevchainCommand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "chain.json")
	stop := make(chan struct{})
	devchainStop = stop
	defer func() { devchainStop = nil }()
	w := newWorld(t, "dev")
	type result struct {
		out, errs string
		code      int
	}
	done := make(chan result, 1)
	go func() {
		out, errs, code := w.veil(nil, "devchain", "--http", "127.0.0.1:0", "--out", file)
		done <- result{out, errs, code}
	}()
	var info *wallet.ChainInfo
	for i := 0; i < 600 && info == nil; i++ {
		select {
		case r := <-done:
			t.Fatalf("devchain exited %d: %s", r.code, r.errs)
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := os.Stat(file); err == nil {
			var err error
			if info, err = wallet.LoadChainInfo(file); err != nil {
				t.Fatal(err)
			}
		}
	}
	if info == nil {
		t.Fatal("no chain file after 30 s")
	}
	req, _ := http.NewRequest(http.MethodPost, info.RPC, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "chrome-extension://abcdefghijklmnopabcdefghijklmnop")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Result string }
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if body.Result != "0x539" || resp.Header.Get("Access-Control-Allow-Origin") == "" {
		t.Errorf("eth_chainId %q, CORS %q", body.Result, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	close(stop)
	r := <-done
	if r.code != 0 || !strings.Contains(r.out, "JSON-RPC on "+info.RPC) || !strings.Contains(r.out, "RelayRegistry  "+info.Contracts.Registry.Hex()) {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", r.code, r.out, r.errs)
	}
	if errs := w.mustFail(ExitFailure, nil, "devchain", "--http", "nonsense", "--out", file); !strings.Contains(errs, "bad listen address") {
		t.Errorf("bad address: %s", errs)
	}
	w.mustFail(ExitUsage, nil, "devchain", "extra")
}
