package devchain_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/veilsocial/veil/internal/chaintest"
	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wallet/devchain"
)

func start(t *testing.T, cfg devchain.Config) *devchain.Chain { return chaintest.Start(t, cfg) }

func TestDevchainFile(t *testing.T) {
	c := start(t, devchain.Config{})
	path := filepath.Join(t.TempDir(), "devchain.json")
	if err := c.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600 (it holds private keys)", fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The keys of docs/CHAIN.md, exactly.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"chainId", "rpc", "contracts", "accounts"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("file lacks %q:\n%s", k, data)
		}
	}
	info, err := wallet.LoadChainInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.ChainID != 1337 || info.RPC != c.URL() || !strings.HasPrefix(info.RPC, "http://127.0.0.1:") {
		t.Errorf("chainId %d rpc %q (chain at %s)", info.ChainID, info.RPC, c.URL())
	}
	zero := common.Address{}
	if info.Contracts.Token == zero || info.Contracts.Tips == zero || info.Contracts.Registry == zero {
		t.Errorf("contracts %+v", info.Contracts)
	}
	var names []string
	for _, a := range info.Accounts {
		names = append(names, a.Name)
		key, err := wallet.ParseKey(a.PrivateKey)
		if err != nil {
			t.Fatalf("%s: %v", a.Name, err)
		}
		if crypto.PubkeyToAddress(key.PublicKey) != a.Address {
			t.Errorf("%s: key does not match address %s", a.Name, a.Address.Hex())
		}
		if want := crypto.PubkeyToAddress(devchain.AccountKey(a.Name).PublicKey); want != a.Address {
			t.Errorf("%s: address %s, derived %s", a.Name, a.Address.Hex(), want.Hex())
		}
	}
	if got := strings.Join(names, ","); got != "alice,bob,carol,dave,operator,governance" {
		t.Errorf("accounts %s", got)
	}
	// Every account has native coin and VEIL; the contracts hold code.
	ctx := context.Background()
	wc, err := wallet.Dial(ctx, wallet.Config{RPC: info.RPC, Contracts: info.Contracts})
	if err != nil {
		t.Fatal(err)
	}
	defer wc.Close()
	for _, a := range info.Accounts {
		nat, err := wc.Balance(ctx, a.Address)
		if err != nil {
			t.Fatal(err)
		}
		veil, err := wc.TokenBalance(ctx, common.Address{}, a.Address)
		if err != nil {
			t.Fatal(err)
		}
		// Governance paid for the deployment.
		if (nat.Cmp(wallet.Units(10_000)) != 0 && a.Name != "governance") || nat.Cmp(wallet.Units(9_999)) < 0 || veil.Cmp(wallet.Units(100_000)) != 0 {
			t.Errorf("%s holds %s native, %s VEIL", a.Name, wallet.FormatAmount(nat), wallet.FormatAmount(veil))
		}
	}
	reg, err := wc.Registry()
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Params(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gov, _ := info.Account("governance")
	if p.StakeToken != info.Contracts.Token || p.Governance != gov.Address || p.MinSelfStake.Cmp(wallet.Units(1000)) != 0 ||
		p.UnbondingDelay != time.Minute || p.CommissionDelay != 2*time.Minute || p.MaxSlashBps != 1000 || p.ActiveSetSize != 21 {
		t.Errorf("registry params %+v", p)
	}
}

func TestDevchainCORS(t *testing.T) {
	c := start(t, devchain.Config{})
	body := `{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}`
	for _, origin := range []string{"chrome-extension://abcdefghijklmnopabcdefghijklmnop", "https://x.com"} {
		// The preflight a browser sends before a JSON POST from an extension.
		req, _ := http.NewRequest(http.MethodOptions, c.URL(), nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" && got != origin {
			t.Errorf("preflight from %s: Access-Control-Allow-Origin %q", origin, got)
		}
		req, _ = http.NewRequest(http.MethodPost, c.URL(), strings.NewReader(body))
		req.Header.Set("Origin", origin)
		req.Header.Set("Content-Type", "application/json")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Result string }
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" && got != origin {
			t.Errorf("POST from %s: Access-Control-Allow-Origin %q", origin, got)
		}
		if out.Result != "0x539" {
			t.Errorf("eth_chainId %q, want 0x539", out.Result)
		}
	}
}

// TestDevchainMinesAndTravels: a transaction sent over HTTP is mined
// without anyone asking; devchain_increaseTime moves the clock.
func TestDevchainMinesAndTravels(t *testing.T) {
	c := start(t, devchain.Config{IdleBlock: -1})
	ctx := context.Background()
	ec, err := ethclient.Dial(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	wc, err := wallet.NewClient(ctx, ec, wallet.Config{RPC: c.URL(), ReceiptTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dave := common.HexToAddress("0x00000000000000000000000000000000000000da")
	r, err := wc.Transfer(ctx, c.Signer("alice"), dave, wallet.Units(3))
	if err != nil {
		t.Fatal(err)
	}
	if bal, _ := wc.Balance(ctx, dave); bal.Cmp(wallet.Units(3)) != 0 {
		t.Errorf("balance %s after transfer in block %d", bal, r.BlockNumber)
	}
	before := c.Time()
	var ts hexutil.Uint64
	if err := ec.Client().CallContext(ctx, &ts, "devchain_increaseTime", 3600); err != nil {
		t.Fatal(err)
	}
	head, err := ec.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if head.Time != uint64(ts) || time.Unix(int64(head.Time), 0).Sub(before) != time.Hour {
		t.Errorf("head time %d (returned %d), before %v", head.Time, ts, before)
	}
}

func TestDevchainBadAddress(t *testing.T) {
	// A port that is taken.
	c := start(t, devchain.Config{})
	taken := strings.TrimPrefix(c.URL(), "http://")
	if _, err := devchain.Start(context.Background(), devchain.Config{HTTP: taken}); err == nil || !strings.Contains(err.Error(), "is "+taken+" free?") {
		t.Errorf("taken port: %v", err)
	}

	for _, addr := range []string{"nonsense", "127.0.0.1:99999", "127.0.0.1:x"} {
		_, err := devchain.Start(context.Background(), devchain.Config{HTTP: addr})
		if err == nil || !strings.Contains(err.Error(), "devchain:") {
			t.Errorf("%s: err %v", addr, err)
		}
	}
}
