//go:build !js

package session_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/veilsocial/veil/internal/chaintest"
	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wallet/devchain"
	"github.com/veilsocial/veil/wasmclient/eth"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/session"
)

// startChain runs a dev chain (go-ethereum's simulated chain over HTTP
// JSON-RPC on a loopback port, Veil's contracts deployed, alice and bob
// funded) until the test ends.
func startChain(t *testing.T) *devchain.Chain {
	return chaintest.Start(t, devchain.Config{Accounts: []string{"alice", "bob"}})
}

// chainConfig is the dev chain's file, private keys and all, as the
// extension would hand it to setChainConfig.
func chainConfig(t *testing.T, chain *devchain.Chain) session.ChainConfig {
	t.Helper()
	data, err := json.Marshal(chain.Info())
	if err != nil {
		t.Fatal(err)
	}
	var cfg session.ChainConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// waitStatus polls tipStatus until the transaction is mined, for at most
// ten seconds.
func waitStatus(t *testing.T, s *session.Session, tx string) *session.TipStatus {
	t.Helper()
	for range 200 {
		st, err := s.TipStatus(t.Context(), tx, nil)
		if err != nil {
			t.Fatalf("TipStatus(%s): %v", tx, err)
		}
		if st.Status != "pending" {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s was not mined", tx)
	return nil
}

// TestTips walks a reader (Alice) and an author (Bob) through tipping on a
// dev chain with a real relay: Bob binds a wallet to his persona and
// publishes the key; Alice, who knows Bob only by his fingerprint, tips a
// post of his in the native coin and in VEIL.
func TestTips(t *testing.T) {
	relayURL := startRelay(t)
	chain := startChain(t)
	ctx := t.Context()
	aliceStore := persona.NewMemStorage()
	alice := must(session.New(session.Config{Storage: aliceStore, Relay: relayURL}))(t)
	bob := newSession(t, relayURL)

	// The chain: the dev chain file as it is, private keys ignored.
	devFile := chainConfig(t, chain)
	devFile.Contracts.Tips = strings.ToLower(devFile.Contracts.Tips)
	cfg := must(alice.SetChainConfig(ctx, devFile))(t)
	contracts := chain.Contracts()
	if cfg.ChainID != devchain.ChainID || cfg.RPC != chain.URL() || cfg.Contracts.Tips != contracts.Tips.Hex() || cfg.Contracts.Token != contracts.Token.Hex() {
		t.Errorf("SetChainConfig = %+v", cfg)
	}
	if got := must(alice.ChainConfig(ctx))(t); got == nil || *got != *cfg {
		t.Errorf("ChainConfig = %+v, want %+v", got, cfg)
	}
	if raw, _ := aliceStore.Read("chain/config.json"); bytes.Contains(raw, []byte("privateKey")) || bytes.Contains(raw, []byte("alice")) {
		t.Errorf("the stored chain config keeps the dev accounts: %s", raw)
	}
	must(bob.SetChainConfig(ctx, devFile))(t)

	// Alice's wallet is the dev chain's funded "alice" account, sealed with
	// a passphrase.
	aliceKey := hex.EncodeToString(crypto.FromECDSA(devchain.AccountKey("alice")))
	w := must(alice.WalletImport(ctx, "0x"+aliceKey, "alice's wallet passphrase"))(t)
	aliceAddr := crypto.PubkeyToAddress(devchain.AccountKey("alice").PublicKey)
	if w.Address != aliceAddr.Hex() || !w.Protected || w.Locked {
		t.Errorf("WalletImport = %+v", w)
	}
	if raw, _ := aliceStore.Read("wallets/" + w.Address + ".json"); len(raw) == 0 || bytes.Contains(bytes.ToLower(raw), []byte(aliceKey)) {
		t.Errorf("the sealed wallet's file holds the key in the clear: %s", raw)
	}

	// Bob: a protected persona, a new wallet, the binding, a post.
	b := must(bob.CreatePersona(ctx, session.CreatePersonaRequest{Name: "Bob", Passphrase: "bob's persona passphrase"}))(t)
	bw := must(bob.WalletCreate(ctx, ""))(t)
	if bw.Protected || bw.Locked {
		t.Errorf("WalletCreate without a passphrase = %+v", bw)
	}
	_, err := bob.BindWallet(ctx, b.Fingerprint, 0, bw.Address, "")
	wantCode(t, "binding a protected persona without its passphrase", err, session.CodeBadInput)
	_, err = bob.BindWallet(ctx, b.Fingerprint, 0, bw.Address, "wrong")
	wantCode(t, "binding with a wrong passphrase", err, session.CodeWrongPassphrase)
	bound := must(bob.BindWallet(ctx, b.Fingerprint, 0, bw.Address, "bob's persona passphrase"))(t)
	wantAccount := fmt.Sprintf("eip155:%d:%s", devchain.ChainID, bw.Address)
	if bound.Account != wantAccount || !bound.Published {
		t.Errorf("BindWallet = %+v", bound)
	}
	// The persona stays unlocked and protected; its key names the wallet.
	if ps := must(bob.ListPersonas(ctx))(t); len(ps) != 1 || ps[0].Locked || !ps[0].Protected {
		t.Errorf("Bob's persona after binding: %+v", ps)
	}
	if st := must(bob.WalletBindingStatus(ctx, b.Fingerprint))(t); !st.TwoWay || st.Account != wantAccount {
		t.Errorf("Bob's own binding: %+v", st)
	}
	// go-ethereum's side (wallet.CheckBinding) agrees.
	armored := must(bob.ExportPublicKey(ctx, b.Fingerprint))(t)
	keys := must(persona.ReadKeys([]byte(armored)))(t)
	if addr, err := wallet.CheckBinding(keys[0], big.NewInt(devchain.ChainID)); err != nil || addr.Hex() != bw.Address {
		t.Errorf("wallet.CheckBinding = %s, %v", addr.Hex(), err)
	}
	post := must(bob.Compose(ctx, session.ComposeRequest{Author: b.Fingerprint, Text: "tip me", Audience: "public"}))(t)

	// Alice has no copy of Bob's key: the binding comes from the relay.
	if st := must(alice.WalletBindingStatus(ctx, b.Fingerprint))(t); !st.TwoWay || st.Account != wantAccount {
		t.Errorf("Bob's binding as Alice sees it: %+v", st)
	}

	// A tip in the native coin.
	before := must(bob.WalletBalance(ctx, ""))(t)
	res := must(alice.Tip(ctx, session.TipRequest{CID: post.CID, Author: b.Fingerprint, Amount: "1000000000000000"}))(t)
	if res.Account != wantAccount || res.ApproveTxHash != "" || !strings.HasPrefix(res.TxHash, "0x") {
		t.Errorf("Tip = %+v", res)
	}
	if st := waitStatus(t, alice, res.TxHash); st.Status != "confirmed" || st.BlockNumber == 0 {
		t.Errorf("tip status %+v", st)
	}
	after := must(bob.WalletBalance(ctx, ""))(t)
	if diff := new(big.Int).Sub(decimal(t, after.Native), decimal(t, before.Native)); diff.Cmp(big.NewInt(1e15)) != 0 {
		t.Errorf("Bob's wallet went from %s to %s", before.Native, after.Native)
	}

	// A tip in VEIL: the allowance is short, so an approval goes first.
	res = must(alice.Tip(ctx, session.TipRequest{CID: post.CID, Author: b.Fingerprint, Amount: "2000000000000000000", Token: cfg.Contracts.Token}))(t)
	if res.ApproveTxHash == "" {
		t.Errorf("a token tip without an approval: %+v", res)
	}
	if st := waitStatus(t, alice, res.TxHash); st.Status != "confirmed" {
		t.Errorf("token tip status %+v", st)
	}
	if bal := must(bob.WalletBalance(ctx, ""))(t); bal.Token != "2000000000000000000" {
		t.Errorf("Bob's VEIL: %+v", bal)
	}

	total := must(alice.TipTotal(ctx, post.CID))(t)
	if total.Native != "1000000000000000" || total.Token != "2000000000000000000" || total.Count != 2 {
		t.Errorf("TipTotal = %+v", total)
	}
	// go-ethereum reads the same totals through the contracts' bindings.
	wc := must(wallet.Dial(ctx, wallet.Config{RPC: chain.URL(), Contracts: contracts}))(t)
	defer wc.Close()
	totals := must(wc.TipTotals(ctx, post.CID, common.Address{}))(t)
	if totals.Native.String() != total.Native || totals.Token.String() != total.Token || totals.Count != total.Count {
		t.Errorf("go-ethereum reads %+v; the session %+v", totals, total)
	}

	// A wallet outside the session (the page's, in the extension) sends a
	// VEIL tip that the session planned: an approval, then the tip. Here it
	// is go-ethereum's, with the dev chain's "bob" account.
	outside := chain.Signer("bob")
	_, err = alice.TipCalls(ctx, session.TipRequest{CID: post.CID, Author: b.Fingerprint, Amount: "5"})
	wantCode(t, "tipCalls without from", err, session.CodeBadInput)
	plan := must(alice.TipCalls(ctx, session.TipRequest{CID: post.CID, Author: b.Fingerprint, Amount: "3000000000000000000", Token: cfg.Contracts.Token, From: outside.Address().Hex()}))(t)
	if plan.Account != wantAccount || plan.ChainID != devchain.ChainID || len(plan.Calls) != 2 || plan.Calls[0].Kind != "approve" || plan.Calls[1].Kind != "tip" {
		t.Fatalf("TipCalls = %+v", plan)
	}
	var hashes []string
	for _, c := range plan.Calls {
		p := c.Params
		if p["from"] != outside.Address().Hex() {
			t.Errorf("%s call from %v", c.Kind, p["from"])
		}
		data := must(hex.DecodeString(strings.TrimPrefix(p["data"].(string), "0x")))(t)
		tx := must(wc.Send(ctx, outside, common.HexToAddress(p["to"].(string)), nil, data))(t)
		if st := waitStatus(t, alice, tx.Hash().Hex()); st.Status != "confirmed" {
			t.Fatalf("the outside wallet's %s: %+v", c.Kind, st)
		}
		if st := must(alice.TipStatus(ctx, tx.Hash().Hex(), p))(t); st.Status != "confirmed" {
			t.Errorf("the %s against its call: %+v", c.Kind, st)
		}
		hashes = append(hashes, tx.Hash().Hex())
	}
	// A wallet that reports another transaction than the one asked for
	// does not get it counted.
	if st := must(alice.TipStatus(ctx, hashes[0], plan.Calls[1].Params))(t); st.Status != "failed" || !strings.Contains(st.Message, "not this tip") {
		t.Errorf("the approval's hash for the tip: %+v", st)
	}
	if bal := must(bob.WalletBalance(ctx, ""))(t); bal.Token != "5000000000000000000" {
		t.Errorf("Bob's VEIL after the outside wallet's tip: %+v", bal)
	}
	// The allowance is spent; a native tip is one call, with its value.
	plan = must(alice.TipCalls(ctx, session.TipRequest{CID: post.CID, Author: b.Fingerprint, Amount: "255", From: outside.Address().Hex()}))(t)
	if len(plan.Calls) != 1 || plan.Calls[0].Params["value"] != "0xff" || plan.Calls[0].Params["to"] != contracts.Tips.Hex() {
		t.Errorf("a native TipCalls = %+v", plan)
	}
	_, err = alice.TipStatus(ctx, hashes[0], map[string]any{"to": "nowhere"})
	wantCode(t, "tipStatus expecting a bad address", err, session.CodeBadInput)

	// Unknown transactions are pending; malformed input is refused.
	if st := must(alice.TipStatus(ctx, eth.Keccak256([]byte("no such tx")).Hex(), nil))(t); st.Status != "pending" {
		t.Errorf("an unknown transaction: %+v", st)
	}
	_, err = alice.TipStatus(ctx, "0x1234", nil)
	wantCode(t, "tipStatus of a short hash", err, session.CodeBadInput)
	for _, amount := range []string{"", "0", "-1", "1.5", "1e18", "abc", "0x10", strings.Repeat("9", 80)} {
		_, err = alice.Tip(ctx, session.TipRequest{CID: post.CID, Author: b.Fingerprint, Amount: amount})
		wantCode(t, "tip of "+amount, err, session.CodeBadInput)
	}
	_, err = alice.Tip(ctx, session.TipRequest{CID: "not a cid", Author: b.Fingerprint, Amount: "1"})
	wantCode(t, "a tip to no CID", err, session.CodeBadInput)
	// More than the wallet holds: the chain refuses.
	_, err = alice.Tip(ctx, session.TipRequest{CID: post.CID, Author: b.Fingerprint, Amount: "1" + strings.Repeat("0", 30)})
	wantCode(t, "a tip beyond the balance", err, session.CodeChainError)
	// … and so does the token, and the message names the contract's reason
	// (Tips wraps the token's refusal).
	_, err = alice.Tip(ctx, session.TipRequest{CID: post.CID, Author: b.Fingerprint, Amount: "1" + strings.Repeat("0", 30), Token: cfg.Contracts.Token})
	wantCode(t, "a VEIL tip beyond the balance", err, session.CodeChainError)
	if err == nil || !strings.Contains(err.Error(), "TokenTransferFailed(token="+cfg.Contracts.Token+")") {
		t.Errorf("a VEIL tip beyond the balance: %v, want Tips' TokenTransferFailed", err)
	}

	// Another session on Alice's storage: the wallet is there, locked.
	again := must(session.New(session.Config{Storage: aliceStore, Relay: relayURL}))(t)
	if ws := must(again.WalletList(ctx))(t); len(ws) != 1 || !ws[0].Locked || ws[0].Address != w.Address {
		t.Errorf("WalletList in a new session: %+v", ws)
	}
	_, err = again.Tip(ctx, session.TipRequest{CID: post.CID, Author: b.Fingerprint, Amount: "1"})
	wantCode(t, "a tip from a locked wallet", err, session.CodeLocked)
	wantCode(t, "unlocking with a wrong passphrase", again.WalletUnlock(ctx, w.Address, "wrong"), session.CodeWrongPassphrase)
	if err := again.WalletUnlock(ctx, strings.ToLower(w.Address), "alice's wallet passphrase"); err != nil {
		t.Fatal(err)
	}
	res = must(again.Tip(ctx, session.TipRequest{CID: post.CID, Author: b.Fingerprint, Amount: "7", From: w.Address}))(t)
	waitStatus(t, again, res.TxHash)
	if err := again.WalletLock(ctx, w.Address); err != nil {
		t.Fatal(err)
	}
	_, err = again.Tip(ctx, session.TipRequest{CID: post.CID, Author: b.Fingerprint, Amount: "1"})
	wantCode(t, "a tip after walletLock", err, session.CodeLocked)
}

// TestTipsOnlyToBoundAccounts refuses tips to keys without a binding, with
// a binding the account did not sign, and with one on another chain.
func TestTipsOnlyToBoundAccounts(t *testing.T) {
	relayURL := startRelay(t)
	chain := startChain(t)
	ctx := t.Context()
	alice, bob := newSession(t, relayURL), newSession(t, relayURL)
	must(alice.SetChainConfig(ctx, chainConfig(t, chain)))(t)
	must(alice.WalletImport(ctx, hex.EncodeToString(crypto.FromECDSA(devchain.AccountKey("alice"))), ""))(t)
	const cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
	tip := func(fpr string) error {
		_, err := alice.Tip(ctx, session.TipRequest{CID: cid, Author: fpr, Amount: "1"})
		return err
	}

	// No binding at all, the key published.
	carol := must(bob.CreatePersona(ctx, session.CreatePersonaRequest{Name: "Carol"}))(t)
	if err := bob.PublishKey(ctx, carol.Fingerprint); err != nil {
		t.Fatal(err)
	}
	if st := must(alice.WalletBindingStatus(ctx, carol.Fingerprint))(t); st.TwoWay || st.Account != "" || st.Reason == "" {
		t.Errorf("no binding: %+v", st)
	}
	wantCode(t, "a tip to an unbound key", tip(carol.Fingerprint), session.CodeNotBound)

	// A binding to an account that did not sign: the key names one
	// account, another signed. Alice has the key as a contact.
	p := must(persona.New(persona.Options{Name: "Dave"}))(t)
	named, _ := eth.GenerateKey()
	signer, _ := eth.GenerateKey()
	_, sig := eth.SignBinding(signer, devchain.ChainID, p.Fingerprint())
	acct := eth.Account{ChainID: devchain.ChainID, Address: named.Address()}
	if err := p.SetWallet(persona.WalletBinding{Account: acct.String(), Signature: sig}); err != nil {
		t.Fatal(err)
	}
	pub := must(p.ArmoredPublicKey())(t)
	must(alice.AddContact(ctx, string(pub), nil))(t)
	st := must(alice.WalletBindingStatus(ctx, p.Fingerprint()))(t)
	if st.TwoWay || st.Account != acct.String() || !strings.Contains(st.Reason, signer.Address().Hex()) {
		t.Errorf("a binding another account signed: %+v", st)
	}
	wantCode(t, "a tip to a one-way binding", tip(p.Fingerprint()), session.CodeNotBound)

	// A binding with no signature at all.
	if err := p.SetWallet(persona.WalletBinding{Account: acct.String()}); err != nil {
		t.Fatal(err)
	}
	pub = must(p.ArmoredPublicKey())(t)
	must(alice.AddContact(ctx, string(pub), nil))(t)
	wantCode(t, "a tip to an unsigned binding", tip(p.Fingerprint()), session.CodeNotBound)

	// A two-way binding on another chain.
	erin := must(bob.CreatePersona(ctx, session.CreatePersonaRequest{Name: "Erin"}))(t)
	ew := must(bob.WalletCreate(ctx, "erin's wallet"))(t)
	if r := must(bob.BindWallet(ctx, erin.Fingerprint, 5, ew.Address, ""))(t); !r.Published || !strings.HasPrefix(r.Account, "eip155:5:") {
		t.Errorf("BindWallet on chain 5: %+v", r)
	}
	if st := must(alice.WalletBindingStatus(ctx, erin.Fingerprint))(t); !st.TwoWay {
		t.Errorf("Erin's binding: %+v", st)
	}
	err := tip(erin.Fingerprint)
	wantCode(t, "a tip across chains", err, session.CodeNotBound)
	if err != nil && !strings.Contains(err.Error(), "chain 5") {
		t.Errorf("the error does not name the chain: %v", err)
	}

	// A key nobody has.
	_, err = alice.WalletBindingStatus(ctx, strings.Repeat("AB", 20))
	wantCode(t, "the binding of an unknown key", err, session.CodeNotFound)
	wantCode(t, "a tip to an unknown key", tip(strings.Repeat("AB", 20)), session.CodeNotFound)

	// Two wallets: a tip must say which.
	must(alice.WalletCreate(ctx, ""))(t)
	if err := bob.PublishKey(ctx, erin.Fingerprint); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.BindWallet(ctx, carol.Fingerprint, devchain.ChainID, ew.Address, ""); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "a tip from one of two wallets", tip(carol.Fingerprint), session.CodeBadInput)
}

func TestWalletsAndChainConfig(t *testing.T) {
	ctx := t.Context()
	store := persona.NewMemStorage()
	s := must(session.New(session.Config{Storage: store, Relay: "http://127.0.0.1:1"}))(t)
	if ws := must(s.WalletList(ctx))(t); len(ws) != 0 {
		t.Errorf("WalletList of a new session: %+v", ws)
	}
	if cfg := must(s.ChainConfig(ctx))(t); cfg != nil {
		t.Errorf("ChainConfig of a new session: %+v", cfg)
	}
	_, err := s.TipTotal(ctx, "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")
	wantCode(t, "tipTotal with no chain", err, session.CodeBadInput)
	_, err = s.WalletBalance(ctx, "")
	wantCode(t, "walletBalance with no wallet", err, session.CodeNotFound)

	// An unprotected wallet's key is stored as it is; import reads it back.
	key, _ := eth.GenerateKey()
	w := must(s.WalletImport(ctx, key.Hex()[2:], ""))(t)
	if w.Address != key.Address().Hex() || w.Protected || w.Locked {
		t.Errorf("WalletImport = %+v", w)
	}
	if raw, _ := store.Read("wallets/" + w.Address + ".json"); !bytes.Contains(raw, []byte(key.Hex())) {
		t.Errorf("the unprotected wallet's file: %s", raw)
	}
	for _, bad := range []string{"", "0x12", strings.Repeat("0", 64), strings.Repeat("z", 64)} {
		_, err := s.WalletImport(ctx, bad, "")
		wantCode(t, "importing "+bad, err, session.CodeBadInput)
	}
	wantCode(t, "unlocking no wallet", s.WalletUnlock(ctx, "0x"+strings.Repeat("1", 40), "x"), session.CodeNotFound)
	wantCode(t, "unlocking a malformed address", s.WalletUnlock(ctx, "0x12", "x"), session.CodeBadInput)
	if err := s.WalletUnlock(ctx, w.Address, "anything"); err != nil {
		t.Errorf("unlocking an unprotected wallet: %v", err)
	}

	// Chain configs are checked.
	good := session.ChainConfig{ChainID: 1337, RPC: "http://127.0.0.1:1", Contracts: session.ChainContracts{Tips: "0x" + strings.Repeat("ab", 20)}}
	for name, edit := range map[string]func(*session.ChainConfig){
		"no chain ID":    func(c *session.ChainConfig) { c.ChainID = 0 },
		"no RPC":         func(c *session.ChainConfig) { c.RPC = "" },
		"an FTP RPC":     func(c *session.ChainConfig) { c.RPC = "ftp://x" },
		"no tips":        func(c *session.ChainConfig) { c.Contracts.Tips = "" },
		"zero tips":      func(c *session.ChainConfig) { c.Contracts.Tips = "0x" + strings.Repeat("0", 40) },
		"a bad token":    func(c *session.ChainConfig) { c.Contracts.Token = "0x12" },
		"a bad checksum": func(c *session.ChainConfig) { c.Contracts.Tips = "0xaB" + strings.Repeat("ab", 19) },
		"a bad registry": func(c *session.ChainConfig) { c.Contracts.Registry = "registry" },
	} {
		cfg := good
		edit(&cfg)
		_, err := s.SetChainConfig(ctx, cfg)
		wantCode(t, "a chain config with "+name, err, session.CodeBadInput)
	}
	cfg := must(s.SetChainConfig(ctx, good))(t)
	if cfg.Contracts.Tips != eth.Address(common.HexToAddress(good.Contracts.Tips)).Hex() {
		t.Errorf("SetChainConfig = %+v", cfg)
	}

	// Nothing listens where the config points.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg.RPC = "http://" + addr
	must(s.SetChainConfig(ctx, *cfg))(t)
	_, err = s.TipTotal(ctx, "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")
	wantCode(t, "tipTotal with the chain down", err, session.CodeChainUnreachable)
	_, err = s.WalletBalance(ctx, w.Address)
	wantCode(t, "walletBalance with the chain down", err, session.CodeChainUnreachable)
}

func TestWalletCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("x: %w", session.ErrNotBound), session.CodeNotBound},
		{fmt.Errorf("x: %w", eth.ErrNotBound), session.CodeNotBound},
		{fmt.Errorf("%w: x: %w", eth.ErrUnreachable, errors.New("dial")), session.CodeChainUnreachable},
		{&eth.RPCError{Method: "eth_call", Code: 3, Message: "execution reverted"}, session.CodeChainError},
		{fmt.Errorf("x: %w", eth.ErrBadResponse), session.CodeChainError},
		{fmt.Errorf("x: %w", eth.ErrInvalid), session.CodeBadInput},
	} {
		if got := session.Code(tc.err); got != tc.want {
			t.Errorf("Code(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func decimal(t *testing.T, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("%q is not a decimal number", s)
	}
	return n
}

// TestWalletBackup: a backup carries the wallets (a sealed one stays
// sealed) and the chain settings; a restore into an empty storage brings
// them back usable, keeps what is there, and refuses a backup whose wallet
// file is not a wallet without writing anything.
func TestWalletBackup(t *testing.T) {
	ctx := t.Context()
	s := must(session.New(session.Config{Storage: persona.NewMemStorage(), Relay: "http://127.0.0.1:1"}))(t)
	must(s.CreatePersona(ctx, session.CreatePersonaRequest{Name: "Ana"}))(t)
	plainKey, _ := eth.GenerateKey()
	sealedKey, _ := eth.GenerateKey()
	must(s.WalletImport(ctx, plainKey.Hex(), ""))(t)
	must(s.WalletImport(ctx, sealedKey.Hex(), "wallet pass"))(t)
	cfg := must(s.SetChainConfig(ctx, session.ChainConfig{ChainID: 1337, RPC: "http://127.0.0.1:8545", Contracts: session.ChainContracts{Tips: "0x" + strings.Repeat("ab", 20)}}))(t)
	backup := must(s.Backup(ctx, "backup pass"))(t)
	if bytes.Contains(backup, []byte(plainKey.Hex()[2:])) {
		t.Fatal("the backup holds a wallet key in the clear")
	}

	store := persona.NewMemStorage()
	fresh := must(session.New(session.Config{Storage: store, Relay: "http://127.0.0.1:1"}))(t)
	other, _ := eth.GenerateKey()
	must(fresh.WalletImport(ctx, other.Hex(), ""))(t)
	res := must(fresh.Restore(ctx, backup, "backup pass"))(t)
	if res.Personas != 1 || res.Wallets != 2 {
		t.Errorf("Restore = %+v, want 1 persona and 2 wallets", res)
	}
	ws := must(fresh.WalletList(ctx))(t)
	got := map[string]session.WalletInfo{}
	for _, w := range ws {
		got[w.Address] = *w
	}
	if len(ws) != 3 || got[plainKey.Address().Hex()].Protected || !got[sealedKey.Address().Hex()].Locked || got[other.Address().Hex()].Address == "" {
		t.Errorf("wallets after the restore: %+v", ws)
	}
	wantCode(t, "unlocking the restored wallet wrongly", fresh.WalletUnlock(ctx, sealedKey.Address().Hex(), "nope"), session.CodeWrongPassphrase)
	if err := fresh.WalletUnlock(ctx, sealedKey.Address().Hex(), "wallet pass"); err != nil {
		t.Errorf("unlocking the restored sealed wallet: %v", err)
	}
	if c := must(fresh.ChainConfig(ctx))(t); c == nil || *c != *cfg {
		t.Errorf("chain settings after the restore: %+v, want %+v", c, cfg)
	}
	// Restoring again adds nothing.
	if res := must(fresh.Restore(ctx, backup, "backup pass"))(t); res.Wallets != 0 {
		t.Errorf("a second restore wrote %d wallets", res.Wallets)
	}

	// A backup whose wallet file holds another address's key: refused,
	// and nothing of it written.
	forged := persona.NewStore(persona.NewMemStorage())
	mallory := must(persona.New(persona.Options{Name: "Mallory"}))(t)
	if err := forged.SavePersona(mallory); err != nil {
		t.Fatal(err)
	}
	bad, _ := json.Marshal(map[string]string{"address": plainKey.Address().Hex(), "key": other.Hex()})
	var buf bytes.Buffer
	if err := forged.Backup(&buf, []byte("pass"), persona.BackupFile{Name: "wallets/" + plainKey.Address().Hex() + ".json", Data: bad}); err != nil {
		t.Fatal(err)
	}
	empty := persona.NewMemStorage()
	victim := must(session.New(session.Config{Storage: empty, Relay: "http://127.0.0.1:1"}))(t)
	_, err := victim.Restore(ctx, buf.Bytes(), "pass")
	wantCode(t, "a backup with a forged wallet", err, session.CodeCorrupt)
	if names, _ := empty.List(""); len(names) != 0 {
		t.Errorf("a refused restore wrote %v", names)
	}
}
