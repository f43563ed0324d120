package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/ethereum/go-ethereum/common"

	"github.com/veilsocial/veil/internal/chaintest"
	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wallet/devchain"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/session"
)

// TestBrowserTip: Alice's key is bound both ways to her account on a dev
// chain; she posts to Bob on X. Bob's extension has the chain and an
// account of its own: his card for her post offers a tip, he sends 0.25 of
// the native coin, confirms, and the card says it was mined and shows the
// post's total. On the chain, Alice's balance grew by exactly the tip and
// the Tips contract counts it for the post.
func TestBrowserTip(t *testing.T) {
	needChromium(t)
	ctx := context.Background()
	ext := buildExtension(t)
	rl := startRelay(t)
	sites := startSites(t)
	sites.setUser("twitter", "alice", "Alice Martin", "")
	chain := chaintest.Start(t, devchain.Config{})
	info := chain.Info()
	chainID := new(big.Int).SetUint64(info.ChainID)

	// Alice, outside the browser: a persona that claims @alice, bound to the
	// dev chain's "alice" account, published on the relay.
	alice, err := persona.New(persona.Options{Name: "Alice Martin", Claims: []persona.Claim{{Site: persona.SiteTwitter, Handle: "alice"}}})
	if err != nil {
		t.Fatal(err)
	}
	aliceAcct, _ := info.Account("alice")
	if err := wallet.Bind(alice, chain.Signer("alice"), chainID); err != nil {
		t.Fatal(err)
	}
	if got, err := wallet.CheckBinding(alice.Entity(), chainID); err != nil || got != aliceAcct.Address {
		t.Fatalf("Alice's binding: %v %v", got, err)
	}
	writer, err := session.New(session.Config{Storage: persona.NewMemStorage(), Relay: rl.URL()})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := alice.ArmoredSecretKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writer.ImportPersona(ctx, string(sec), ""); err != nil {
		t.Fatal(err)
	}
	if err := writer.PublishKey(ctx, alice.Fingerprint()); err != nil {
		t.Fatal(err)
	}

	c, err := wallet.Dial(ctx, wallet.Config{RPC: chain.URL(), Contracts: chain.Contracts()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// The pages also have a wallet of their own: Test Wallet, holding the
	// dev chain's "dave" account.
	pageWallet := &testWallet{t: t, client: c, signer: chain.Signer("dave"), chainID: info.ChainID}
	sites.setWallet(pageWallet)

	// Bob, in his browser: a persona, the chain, and his dev account.
	bob := newBrowser(t, "bob", ext, sites)
	bob.addPageScript("testwallet.js")
	bob.waitWasm()
	bobFpr := bob.setup(rl.URL(), "Bob Tanaka", "bob", "")
	bobAcct, _ := info.Account("bob")
	bob.setupWallet(info, bobAcct.PrivateKey)

	// Alice writes to Bob; the feed text goes on X's timeline.
	if _, err := writer.AddContact(ctx, bob.exportKey(), nil); err != nil {
		t.Fatal(err)
	}
	const text = "Finished the zine: 40 pages, printing Monday. Thanks for the cover photo!"
	res, err := writer.Compose(ctx, session.ComposeRequest{Author: alice.Fingerprint(), Text: text, Audience: session.AudienceContacts, To: []string{bobFpr}, Site: "twitter", Handle: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	sites.addPost("twitter", "Alice Martin", "alice", res.FeedText)

	before, err := c.Balance(ctx, aliceAcct.Address)
	if err != nil {
		t.Fatal(err)
	}

	bob.open("x.com", "bob", "/home")
	mine := func(c card) bool { return c.Status == "ok" && c.Body == text }
	cs := bob.waitCards("Bob's decrypted card of Alice's post", 60*time.Second, func(cs []card) bool { _, ok := findCard(cs, mine); return ok })
	postCard, _ := findCard(cs, mine)
	got := bob.tip(postCard, tipOptions{Amount: "0.25", Signer: "Veil wallet"})
	if got.State != "confirmed" || !strings.Contains(got.Total, "0.25") || !strings.Contains(got.Total, "1 tip") {
		bob.screenshot("tip-failed")
		t.Fatalf("Bob's tip: %+v", got)
	}
	bob.screenshot("tipped")

	after, err := c.Balance(ctx, aliceAcct.Address)
	if err != nil {
		t.Fatal(err)
	}
	tip, _ := wallet.ParseAmount("0.25")
	if diff := new(big.Int).Sub(after, before); diff.Cmp(tip) != 0 {
		t.Errorf("Alice's balance grew by %s, want %s", wallet.FormatAmount(diff), wallet.FormatAmount(tip))
	}
	totals, err := c.TipTotals(ctx, res.CID, common.Address{})
	if err != nil || totals.Native.Cmp(tip) != 0 || totals.Count != 1 {
		t.Errorf("the Tips contract has %+v for the post (%v), want one tip of %s", totals, err, wallet.FormatAmount(tip))
	}
	if n := len(pageWallet.sentTxs()); n != 0 {
		t.Errorf("the page's wallet sent %d transactions for a tip from Veil's wallet", n)
	}

	// Then 3 VEIL through the page's wallet. The first time Bob declines in
	// the wallet's window; the card says so and sends nothing.
	tokenBefore, err := c.TokenBalance(ctx, chain.Contracts().Token, aliceAcct.Address)
	if err != nil {
		t.Fatal(err)
	}
	bob.open("x.com", "bob", "/home")
	cs = bob.waitCards("Bob's card of Alice's post, again", 60*time.Second, func(cs []card) bool { _, ok := findCard(cs, mine); return ok })
	postCard, _ = findCard(cs, mine)
	pageWallet.declineNext()
	got = bob.tip(postCard, tipOptions{Amount: "3", Token: true, Signer: "Test Wallet"})
	if got.State != "failed" || !strings.Contains(got.Status, "declined") {
		t.Errorf("a tip declined in the page's wallet: %+v", got)
	}
	if n := len(pageWallet.sentTxs()); n != 0 {
		t.Errorf("the page's wallet sent %d transactions for a declined tip", n)
	}
	got = bob.tip(postCard, tipOptions{Amount: "3", Token: true, Signer: "Test Wallet"})
	if got.State != "confirmed" || !strings.Contains(got.Total, "3 VEIL") || !strings.Contains(got.Total, "2 tips") {
		bob.screenshot("page-wallet-tip-failed")
		t.Fatalf("Bob's tip through the page's wallet: %+v", got)
	}
	bob.screenshot("tipped-page-wallet")
	// The page saw the wallet bridge's messages (a tip's transaction), and
	// neither the post's text nor Veil's own wallet key.
	report := bob.hostileReport()
	if !strings.Contains(report, "eth_sendTransaction") {
		t.Errorf("the page's scripts did not see the page-wallet bridge; the checks below would prove nothing")
	}
	if strings.Contains(report, text) || strings.Contains(strings.ToLower(report), strings.TrimPrefix(strings.ToLower(bobAcct.PrivateKey), "0x")) {
		t.Errorf("the page's scripts read the post's text or Veil's wallet key")
	}
	// The wallet was asked for an approval of the token, then the tip.
	sent := pageWallet.sentTxs()
	if len(sent) != 2 || sent[0] != chain.Contracts().Token || sent[1] != chain.Contracts().Tips {
		t.Errorf("the page's wallet sent transactions to %v, want the token's approval and the tip", sent)
	}
	tokenAfter, err := c.TokenBalance(ctx, chain.Contracts().Token, aliceAcct.Address)
	if err != nil {
		t.Fatal(err)
	}
	three, _ := wallet.ParseAmount("3")
	if diff := new(big.Int).Sub(tokenAfter, tokenBefore); diff.Cmp(three) != 0 {
		t.Errorf("Alice's VEIL grew by %s, want 3", wallet.FormatAmount(diff))
	}
	totals, err = c.TipTotals(ctx, res.CID, chain.Contracts().Token)
	if err != nil || totals.Token.Cmp(three) != 0 || totals.Count != 2 {
		t.Errorf("the Tips contract has %+v for the post (%v), want 3 VEIL and two tips", totals, err)
	}
}

// testWallet is the signer behind extension/testdata/testwallet.js, the
// page's wallet in the tests: it answers EIP-1193 requests for one dev
// chain account as a wallet does once its user approves (or, when told to,
// declines with 4001), and sends the transactions it is asked for.
type testWallet struct {
	t       *testing.T
	client  *wallet.Client
	signer  wallet.Signer
	chainID uint64

	mu      sync.Mutex
	decline bool
	sent    []common.Address // where each transaction sent went
}

func (w *testWallet) declineNext() {
	w.mu.Lock()
	w.decline = true
	w.mu.Unlock()
}

func (w *testWallet) sentTxs() []common.Address {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]common.Address(nil), w.sent...)
}

func (w *testWallet) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var req struct {
		Method string            `json:"method"`
		Params []json.RawMessage `json:"params"`
	}
	reply := func(result any, code int, message string) {
		if code != 0 {
			writeJSON(rw, map[string]any{"error": map[string]any{"code": code, "message": message}})
			return
		}
		writeJSON(rw, map[string]any{"result": result})
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		reply(nil, -32700, "bad request")
		return
	}
	switch req.Method {
	case "eth_chainId":
		reply(fmt.Sprintf("0x%x", w.chainID), 0, "")
	case "eth_requestAccounts", "eth_accounts":
		reply([]string{strings.ToLower(w.signer.Address().Hex())}, 0, "")
	case "wallet_switchEthereumChain":
		reply(nil, 0, "")
	case "eth_sendTransaction":
		w.mu.Lock()
		decline := w.decline
		w.decline = false
		w.mu.Unlock()
		if decline {
			reply(nil, 4001, "User rejected the request.")
			return
		}
		var tx struct{ From, To, Value, Data string }
		if len(req.Params) != 1 || json.Unmarshal(req.Params[0], &tx) != nil || !common.IsHexAddress(tx.To) {
			reply(nil, -32602, "bad transaction")
			return
		}
		if !strings.EqualFold(tx.From, w.signer.Address().Hex()) {
			reply(nil, 4100, "from is not this wallet's account")
			return
		}
		value := new(big.Int)
		if tx.Value != "" {
			if _, ok := value.SetString(strings.TrimPrefix(tx.Value, "0x"), 16); !ok {
				reply(nil, -32602, "bad value")
				return
			}
		}
		data := common.FromHex(tx.Data)
		sent, err := w.client.Send(r.Context(), w.signer, common.HexToAddress(tx.To), value, data)
		if err != nil {
			reply(nil, -32603, err.Error())
			return
		}
		w.mu.Lock()
		w.sent = append(w.sent, common.HexToAddress(tx.To))
		w.mu.Unlock()
		reply(sent.Hash().Hex(), 0, "")
	default:
		reply(nil, 4200, "unsupported method "+req.Method)
	}
}

// setWallet puts a wallet's signer behind /__wallet.
func (s *fakeSites) setWallet(h http.Handler) {
	s.mu.Lock()
	s.wallet = h
	s.mu.Unlock()
}

// addPageScript runs extension/testdata/<name> in every page the first tab
// opens from now on, before the page's own scripts, as a wallet extension
// injects its provider.
func (b *browser) addPageScript(name string) {
	b.t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "extension", "testdata", name))
	if err != nil {
		b.t.Fatal(err)
	}
	b.must(10*time.Second, "adding "+name+" to the pages", chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(string(src)).Do(ctx)
		return err
	}))
}

// setupWallet gives the extension the chain (as the dev chain file says it,
// without its accounts) and imports an account's private key, through the
// popup.
func (b *browser) setupWallet(info wallet.ChainInfo, privateKey string) {
	b.t.Helper()
	cfg, err := json.Marshal(map[string]any{"chainId": info.ChainID, "rpc": info.RPC, "contracts": info.Contracts})
	if err != nil {
		b.t.Fatal(err)
	}
	ctx, cancel := b.popup()
	defer cancel()
	tctx, tcancel := context.WithTimeout(ctx, 60*time.Second)
	defer tcancel()
	var summary string
	err = chromedp.Run(tctx,
		chromedp.Click(`#chain-settings summary`),
		chromedp.SetValue(`#chain-json`, string(cfg)),
		chromedp.Click(`#chain-save`),
		chromedp.WaitVisible(`#message.notice`),
		chromedp.Click(`#wallet-keys summary`),
		chromedp.SetValue(`#w-key`, privateKey),
		chromedp.Click(`#w-import`),
		chromedp.WaitVisible(`#wallet-summary[data-address^="0x"]`),
		chromedp.Text(`#wallet-summary`, &summary),
	)
	if err != nil {
		b.t.Fatalf("%s: setting up the wallet in the popup: %v", b.name, err)
	}
	if !strings.Contains(summary, fmt.Sprint(info.ChainID)) {
		b.t.Errorf("%s: the popup's wallet summary %q does not name the chain", b.name, summary)
	}
	b.screenshotOf(ctx, "popup-wallet")
}

// tipResult is what a card says after a tip.
type tipResult struct {
	State   string `json:"state"`
	Status  string `json:"status"`
	Total   string `json:"total"`
	Offered bool   `json:"offered"`
}

// tipOptions is a tip as a card's form takes it.
type tipOptions struct {
	Amount string
	// Token tips in VEIL rather than the native coin.
	Token bool
	// Signer is part of the payer's name in the form ("Veil wallet",
	// "Test Wallet"); empty keeps the form's default.
	Signer string
}

// tip tips a card's author through the card's form (Tip…, the amount, the
// coin, the payer, Tip, Confirm) and waits for the card to say how it
// ended. A form left by an earlier tip that failed is used again.
func (b *browser) tip(c card, o tipOptions) tipResult {
	b.t.Helper()
	var r tipResult
	err := eval(b.attach(c.target), 90*time.Second, fmt.Sprintf(`(async () => {
		const [amount, token, signer] = [%q, %t, %q];
		const card = document.getElementById("card");
		const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
		let open, form;
		for (let i = 0; i < 100 && !(form = card.querySelector("form.tip-form")) && !(open = card.querySelector('button[data-action="tip"]')); i++) await sleep(100);
		if (!form && !open) return { offered: false, total: (card.querySelector('[data-role="tip-total"]') || {}).textContent || "" };
		if (!form) {
			open.click();
			form = card.querySelector("form.tip-form");
		}
		form.querySelector('input[name="amount"]').value = amount;
		if (token) form.querySelector('select[name="currency"]').value = "token";
		if (signer) {
			const opt = [...form.querySelector('select[name="signer"]').options].find((o) => o.textContent.includes(signer));
			if (!opt) return { offered: true, state: "no-signer", status: form.innerText };
			opt.selected = true;
		}
		const totalBefore = card.querySelector('[data-role="tip-total"]').textContent;
		form.querySelector('button[type="submit"]').click();
		await sleep(50);
		const confirm = form.querySelector('button[data-action="confirm-tip"]');
		if (!confirm) return { offered: true, state: "no-confirmation", status: form.innerText };
		confirm.click();
		const status = form.querySelector('[data-role="tip-status"]');
		for (let i = 0; i < 600 && !["confirmed", "failed", "unknown"].includes(status.dataset.state); i++) await sleep(100);
		// A confirmed tip updates the post's total.
		const total = card.querySelector('[data-role="tip-total"]');
		for (let i = 0; i < 50 && status.dataset.state === "confirmed" && total.textContent === totalBefore; i++) await sleep(100);
		return { offered: true, state: status.dataset.state || "", status: status.textContent, total: card.querySelector('[data-role="tip-total"]').textContent };
	})()`, o.Amount, o.Token, o.Signer), &r)
	if err != nil {
		b.t.Fatalf("%s: tipping from the card: %v", b.name, err)
	}
	if !r.Offered {
		b.screenshot("no-tip-button")
		b.t.Fatalf("%s: the card offers no tip (%q)", b.name, r.Total)
	}
	return r
}
