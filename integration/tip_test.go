package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

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

	// Bob, in his browser: a persona, the chain, and his dev account.
	bob := newBrowser(t, "bob", ext, sites)
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

	c, err := wallet.Dial(ctx, wallet.Config{RPC: chain.URL(), Contracts: chain.Contracts()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	before, err := c.Balance(ctx, aliceAcct.Address)
	if err != nil {
		t.Fatal(err)
	}

	bob.open("x.com", "bob", "/home")
	mine := func(c card) bool { return c.Status == "ok" && c.Body == text }
	cs := bob.waitCards("Bob's decrypted card of Alice's post", 60*time.Second, func(cs []card) bool { _, ok := findCard(cs, mine); return ok })
	card, _ := findCard(cs, mine)
	got := bob.tip(card, "0.25")
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

// tip tips a card's author amount of the native coin through the card's
// form (Tip…, the amount, Tip, Confirm) and waits for the card to say how
// it ended.
func (b *browser) tip(c card, amount string) tipResult {
	b.t.Helper()
	var r tipResult
	err := eval(b.attach(c.target), 90*time.Second, fmt.Sprintf(`(async () => {
		const card = document.getElementById("card");
		const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
		let open;
		for (let i = 0; i < 100 && !(open = card.querySelector('button[data-action="tip"]')); i++) await sleep(100);
		if (!open) return { offered: false, total: (card.querySelector('[data-role="tip-total"]') || {}).textContent || "" };
		open.click();
		const form = card.querySelector("form.tip-form");
		form.querySelector('input[name="amount"]').value = %q;
		form.querySelector('button[type="submit"]').click();
		await sleep(50);
		const confirm = form.querySelector('button[data-action="confirm-tip"]');
		if (!confirm) return { offered: true, state: "no-confirmation", status: form.innerText };
		confirm.click();
		const status = form.querySelector('[data-role="tip-status"]');
		for (let i = 0; i < 600 && !["confirmed", "failed", "unknown"].includes(status.dataset.state); i++) await sleep(100);
		for (let i = 0; i < 50 && !/tip\)/.test(card.querySelector('[data-role="tip-total"]').textContent); i++) await sleep(100);
		return { offered: true, state: status.dataset.state || "", status: status.textContent, total: card.querySelector('[data-role="tip-total"]').textContent };
	})()`, amount), &r)
	if err != nil {
		b.t.Fatalf("%s: tipping from the card: %v", b.name, err)
	}
	if !r.Offered {
		b.screenshot("no-tip-button")
		b.t.Fatalf("%s: the card offers no tip (%q)", b.name, r.Total)
	}
	return r
}
