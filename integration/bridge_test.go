package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/internal/chaintest"
	"github.com/veilsocial/veil/internal/relaytest"
	"github.com/veilsocial/veil/relay"
	"github.com/veilsocial/veil/wallet/devchain"
	"github.com/veilsocial/veil/wasmclient/payload"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/session"
)

// bridgeResult is what testdata/bridge.mjs prints: one field per step.
type bridgeResult struct {
	Failure        string
	Methods        []string
	ReturnsPromise bool

	Personas        map[string]session.PersonaInfo
	StoredPersona   []string
	ResolveByHandle []session.KeyInfo
	ContactAdded    session.ContactInfo
	ResolveByEmail  []string
	AliceContacts   []string
	ResolveNobody   []session.KeyInfo

	Composed    session.ComposeResult
	Found       []string
	BobRead     session.ReadResult
	CarolBefore session.ReadResult
	BobShares   string
	Share       session.AddRecipientsResult
	CarolAfter  session.ReadResult

	SealedIsBytes bool
	BobOpen       session.ReadResult
	CarolOpen     session.ReadResult
	OpenNotBytes  string
	DownSealOpen  string

	PublicFeedText string
	PublicRead     session.ReadResult
	PublicStranger session.ReadResult
	PublicShare    string

	FindMixed []string
	FindNone  []string

	ProofTrue, ProofFalse bool
	BobContacts           []session.ContactInfo
	VerifiedAuthor        session.Signer

	DaveCreated     session.PersonaInfo
	DaveLocked      bool
	LockedCompose   string
	WrongPassphrase string
	UnlockedCompose string

	BackupIsBytes    bool
	BackupHead       string
	RestoreWrong     string
	Restored         session.RestoreResult
	RestoredPersonas []string
	RestoredRead     session.ReadResult

	DownCompose string
	DownRead    session.ReadResult

	ReadNoPost, BadArgument, BadAudience, BadOptions string
	ErrorShape                                       struct {
		IsError             bool
		Name, Code, Message string
	}

	ChainConfig     session.ChainConfig
	WalletImported  session.WalletInfo
	Bound           session.BindResult
	BindingStatus   session.BindingStatus
	TipNotBound     string
	Tip             session.TipResult
	TipStatus       session.TipStatus
	TipCalls        session.TipPlan
	TipAsPlanned    session.TipStatus
	TipNotPlanned   session.TipStatus
	TipCallsNoFrom  string
	TipTotal        session.TipTotal
	BobBalance      session.WalletBalance
	BobWallet       session.WalletInfo
	WalletKeyStored bool

	ExportedHead    string
	Wallet          map[string]any
	AfterRemove     session.Signer
	PlaintextStored bool
}

// TestBridge runs the browser client as a browser does: veil.wasm, built
// from wasmclient/js, under the toolchain's wasm_exec.js in Node.js, talking
// to a real relay through fetch. testdata/bridge.mjs drives the API of
// wasmclient/js/veil.d.ts for Alice, Bob, Carol and a few others, each with
// a storage of their own, and prints what came back.
func TestBridge(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (Node.js 20 or later runs the bridge test)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	wasm, wasmExec := buildWasm(t, ctx, root)
	logSize(t, wasm)

	n := relaytest.Start(t, relay.Config{RateAnon: 100000, BurstAnon: 100000})
	chain := chaintest.Start(t, devchain.Config{Accounts: []string{"alice"}})
	chainFile := filepath.Join(t.TempDir(), "devchain.json")
	if err := chain.WriteFile(chainFile); err != nil {
		t.Fatal(err)
	}

	script, err := filepath.Abs(filepath.Join("testdata", "bridge.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, node, script, wasm, wasmExec, n.URL(), chainFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	t.Logf("bridge.mjs ran for %v", time.Since(start).Round(time.Millisecond))
	if stderr.Len() > 0 {
		t.Logf("bridge.mjs stderr:\n%s", stderr.Bytes())
	}
	var r bridgeResult
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("bridge.mjs: %v, and its output is no JSON (%v):\n%s", runErr, err, stdout.Bytes())
	}
	if r.Failure != "" || runErr != nil {
		t.Fatalf("bridge.mjs failed (%v): %s\noutput: %s", runErr, r.Failure, stdout.Bytes())
	}
	checkBridge(t, &r, n.URL())
	checkTips(t, &r, chain)
}

// checkTips checks the wallet and tip steps: what the wasm signed, the
// chain took.
func checkTips(t *testing.T, r *bridgeResult, chain *devchain.Chain) {
	c := chain.Contracts()
	if r.ChainConfig.ChainID != devchain.ChainID || r.ChainConfig.RPC != chain.URL() || r.ChainConfig.Contracts.Tips != c.Tips.Hex() {
		t.Errorf("setChainConfig = %+v", r.ChainConfig)
	}
	aliceAddr := crypto.PubkeyToAddress(devchain.AccountKey("alice").PublicKey).Hex()
	if r.WalletImported.Address != aliceAddr || !r.WalletImported.Protected || r.WalletImported.Locked || r.WalletKeyStored {
		t.Errorf("walletImport = %+v (key in the clear in the storage: %v)", r.WalletImported, r.WalletKeyStored)
	}
	account := fmt.Sprintf("eip155:%d:%s", devchain.ChainID, r.BobWallet.Address)
	if r.Bound.Account != account || !r.Bound.Published || !r.BindingStatus.TwoWay || r.BindingStatus.Account != account {
		t.Errorf("bindWallet = %+v, walletBindingStatus = %+v", r.Bound, r.BindingStatus)
	}
	if r.TipNotBound != session.CodeNotBound {
		t.Errorf("a tip to Carol, who bound no wallet: %q", r.TipNotBound)
	}
	if r.Tip.Account != account || r.TipStatus.Status != "confirmed" {
		t.Errorf("tip = %+v, tipStatus = %+v", r.Tip, r.TipStatus)
	}
	if len(r.TipCalls.Calls) != 1 || r.TipCalls.Calls[0].Kind != "tip" || r.TipCalls.Calls[0].Params["value"] != "0x38d7ea4c68000" ||
		r.TipCalls.Account != account || r.TipCalls.ChainID != devchain.ChainID {
		t.Errorf("tipCalls = %+v", r.TipCalls)
	}
	if r.TipAsPlanned.Status != "confirmed" || r.TipNotPlanned.Status != "failed" || !strings.Contains(r.TipNotPlanned.Message, "not this tip") {
		t.Errorf("tipStatus against the planned call %+v, against another %+v", r.TipAsPlanned, r.TipNotPlanned)
	}
	if r.TipCallsNoFrom != session.CodeBadInput {
		t.Errorf("tipCalls without from: %q", r.TipCallsNoFrom)
	}
	if r.TipTotal.Native != "1000000000000000" || r.TipTotal.Count != 1 || r.TipTotal.Token != "0" || r.BobBalance.Native != "1000000000000000" {
		t.Errorf("tipTotal = %+v, Bob's balance %+v", r.TipTotal, r.BobBalance)
	}
	// The transaction is on the chain as go-ethereum reads it, from Alice.
	ec, err := ethclient.Dial(chain.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	tx, _, err := ec.TransactionByHash(t.Context(), common.HexToHash(r.Tip.TxHash))
	if err != nil {
		t.Fatalf("the tip's transaction %s: %v", r.Tip.TxHash, err)
	}
	from, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx)
	if err != nil || from.Hex() != aliceAddr || *tx.To() != c.Tips {
		t.Errorf("the tip's transaction: from %s (%v), to %s", from.Hex(), err, tx.To())
	}
}

// logSize logs how large the wasm is as built and as a server would send it
// compressed with brotli.
func logSize(t *testing.T, wasm string) {
	raw, brotli := wasmSizes(t, wasm)
	if brotli < 0 {
		t.Logf("veil.wasm: %d bytes (brotli is not installed to measure it compressed)", raw)
		return
	}
	t.Logf("veil.wasm: %d bytes, %d bytes with brotli -q 11 (%.0f%%)", raw, brotli, 100*float64(brotli)/float64(raw))
}

func checkBridge(t *testing.T, r *bridgeResult, relayURL string) {
	want := []string{"addContact", "addRecipients", "backup", "checkProof", "compose", "createPersona", "exportPublicKey",
		"findPayloads", "importPersona", "listContacts", "listPersonas", "lock", "open", "publishKey", "read", "removeContact",
		"resolveKeys", "restore", "seal", "unlock", "walletBinding"}
	want = append(want, "bindWallet", "chainConfig", "setChainConfig", "tip", "tipCalls", "tipStatus", "tipTotal", "walletBalance",
		"walletBindingStatus", "walletCreate", "walletImport", "walletList", "walletLock", "walletUnlock")
	slices.Sort(want)
	if !slices.Equal(r.Methods, want) || !r.ReturnsPromise {
		t.Errorf("Veil methods %v (promise %v), want %v", r.Methods, r.ReturnsPromise, want)
	}

	a, b, c := r.Personas["alice"], r.Personas["bob"], r.Personas["carol"]
	if len(a.Fingerprint) != 40 || a.Name != "Alice" || a.Email != "alice@example.org" || a.Profile != "v4" || a.Locked ||
		len(a.Handles) != 1 || a.Handles[0] != (persona.Claim{Site: "twitter", Handle: "alice"}) {
		t.Errorf("alice %+v", a)
	}
	if len(b.Fingerprint) != 64 || b.Profile != "v6" || len(b.Handles) != 0 || c.Name != "Carol" {
		t.Errorf("bob %+v, carol %+v", b, c)
	}
	if !slices.Equal(r.StoredPersona, []string{"personas/" + a.Fingerprint + ".asc"}) {
		t.Errorf("alice's storage holds %v", r.StoredPersona)
	}

	// Keys through the directory.
	if len(r.ResolveByHandle) != 1 || r.ResolveByHandle[0].Fingerprint != a.Fingerprint || r.ResolveByHandle[0].Name != "Alice" {
		t.Errorf("resolve by handle: %+v", r.ResolveByHandle)
	}
	if r.ContactAdded.Fingerprint != a.Fingerprint || r.ContactAdded.Verified != "" || len(r.ContactAdded.Handles) != 1 {
		t.Errorf("bob's new contact %+v", r.ContactAdded)
	}
	if !slices.Equal(r.ResolveByEmail, []string{a.Fingerprint}) {
		t.Errorf("resolve by email: %v", r.ResolveByEmail)
	}
	wantContacts := []string{b.Fingerprint, c.Fingerprint}
	slices.Sort(wantContacts)
	if !slices.Equal(r.AliceContacts, wantContacts) || r.ResolveNobody == nil || len(r.ResolveNobody) != 0 {
		t.Errorf("alice's contacts %v; nobody's keys %v", r.AliceContacts, r.ResolveNobody)
	}

	// Alice to Bob; Carol after a share.
	link := payload.Link(relayURL, mustCID(t, r.Composed.CID))
	if r.Composed.Link != link || r.Composed.FeedText != payload.FeedText(link) {
		t.Errorf("composed %+v, want link %s", r.Composed, link)
	}
	if !slices.Equal(r.Found, []string{link}) {
		t.Errorf("findPayloads in a page: %v", r.Found)
	}
	checkRead(t, "bob", r.BobRead, "hello bob", a.Fingerprint, 2)
	if !slices.Contains(r.BobRead.Audience, a.Fingerprint) || !slices.Contains(r.BobRead.Audience, b.Fingerprint) {
		t.Errorf("bob's read names the audience %v, want alice's and bob's fingerprints", r.BobRead.Audience)
	}
	if r.BobRead.Author.Name != "Alice" || r.BobRead.Public || r.BobRead.CID != r.Composed.CID {
		t.Errorf("bob's read %+v", r.BobRead)
	}
	if r.CarolBefore.Status != "not-for-you" || r.CarolBefore.Text != "" || r.CarolBefore.Author != nil || len(r.CarolBefore.Audience) != 2 || r.CarolBefore.Message == "" {
		t.Errorf("carol before the share: %+v", r.CarolBefore)
	}
	if r.BobShares != "bad-input" {
		t.Errorf("bob adding recipients to alice's post: %s", r.BobShares)
	}
	if r.Share.Index != 0 {
		t.Errorf("share %+v", r.Share)
	}
	checkRead(t, "carol after the share", r.CarolAfter, "hello bob", a.Fingerprint, 3)

	// Public posts.
	if !strings.HasPrefix(r.PublicFeedText, payload.PublicMarker+" "+relayURL+"/p/") {
		t.Errorf("public feed text %q", r.PublicFeedText)
	}
	checkRead(t, "carol reads the public post", r.PublicRead, "hello world", a.Fingerprint, 0)
	if !r.PublicRead.Public || r.PublicStranger.Status != "ok" || !r.PublicStranger.Public || r.PublicStranger.Text != "hello world" ||
		r.PublicStranger.Author == nil || r.PublicStranger.Author.Status != "unknown-key" || r.PublicStranger.Author.Fingerprint != a.Fingerprint {
		t.Errorf("public reads: %+v; a stranger's %+v", r.PublicRead, r.PublicStranger)
	}
	if r.PublicShare != "bad-input" {
		t.Errorf("a share of a public post: %s", r.PublicShare)
	}

	if len(r.FindMixed) != 2 || r.FindMixed[0] != link || !strings.HasSuffix(r.PublicFeedText, " "+r.FindMixed[1]) || r.FindNone == nil || len(r.FindNone) != 0 {
		t.Errorf("findPayloads: %v; in text without posts %v", r.FindMixed, r.FindNone)
	}

	// The proof makes Alice a verified contact of Bob's.
	if !r.ProofTrue || r.ProofFalse {
		t.Errorf("checkProof: %v with the proof, %v without", r.ProofTrue, r.ProofFalse)
	}
	if len(r.BobContacts) != 1 || r.BobContacts[0].Verified != "proof" || !r.VerifiedAuthor.Verified || r.VerifiedAuthor.Status != "good" {
		t.Errorf("after the proof: contacts %+v, author %+v", r.BobContacts, r.VerifiedAuthor)
	}

	// A locked persona.
	if r.DaveCreated.Locked || !r.DaveLocked || r.LockedCompose != "locked" || r.WrongPassphrase != "wrong-passphrase" ||
		!strings.HasPrefix(r.UnlockedCompose, payload.Marker+" ") {
		t.Errorf("dave: created %+v, locked %v, compose while locked %q, wrong passphrase %q, after unlocking %q",
			r.DaveCreated, r.DaveLocked, r.LockedCompose, r.WrongPassphrase, r.UnlockedCompose)
	}

	// Backup and restore.
	if !r.BackupIsBytes || r.BackupHead != "-----BEGIN PGP MESSAGE-----" || r.RestoreWrong != "wrong-passphrase" ||
		r.Restored != (session.RestoreResult{Personas: 1, Contacts: 1}) || !slices.Equal(r.RestoredPersonas, []string{b.Fingerprint}) {
		t.Errorf("backup %v %q; restore with a wrong passphrase %q; restored %+v %v", r.BackupIsBytes, r.BackupHead, r.RestoreWrong, r.Restored, r.RestoredPersonas)
	}
	checkRead(t, "bob restored", r.RestoredRead, "hello bob", a.Fingerprint, 3)

	// A relay that is down.
	if r.DownCompose != "relay-unreachable" || r.DownRead.Status != "relay-unreachable" || r.DownRead.CID != r.Composed.CID || r.DownRead.Text != "" {
		t.Errorf("relay down: compose %q, read %+v", r.DownCompose, r.DownRead)
	}

	// Mistakes and the shape of a rejection.
	for what, got := range map[string]string{"read of no post": r.ReadNoPost, "unlock(42)": r.BadArgument,
		"an unknown audience": r.BadAudience, "newVeil without storage": r.BadOptions} {
		if got != "bad-input" {
			t.Errorf("%s: %q, want bad-input", what, got)
		}
	}
	if e := r.ErrorShape; !e.IsError || e.Name != "VeilError" || e.Code != "not-found" || e.Message == "" {
		t.Errorf("a rejection: %+v", e)
	}

	// Sealed and opened in hand.
	if !r.SealedIsBytes || r.OpenNotBytes != "bad-input" || r.DownSealOpen != "ok" {
		t.Errorf("seal gives bytes: %v; open of a string: %q; seal and open with the relay down: %q", r.SealedIsBytes, r.OpenNotBytes, r.DownSealOpen)
	}
	checkRead(t, "bob (open)", r.BobOpen, "sealed for bob", a.Fingerprint, 2)
	if r.CarolOpen.Status != "not-for-you" || r.CarolOpen.CID != r.BobOpen.CID || r.BobOpen.CID == "" {
		t.Errorf("carol opens %+v; bob's open names %q", r.CarolOpen, r.BobOpen.CID)
	}

	if r.ExportedHead != "-----BEGIN PGP PUBLIC KEY BLOCK-----" || r.Wallet == nil || len(r.Wallet) != 0 {
		t.Errorf("exported %q, wallet %v", r.ExportedHead, r.Wallet)
	}
	if r.AfterRemove.Status != "unknown-key" {
		t.Errorf("carol reads alice's post after removing her: %+v", r.AfterRemove)
	}
	if r.PlaintextStored {
		t.Error("a post's plaintext is in a storage")
	}
}

// checkRead checks a read that went well. audience 0 is a public post.
func checkRead(t *testing.T, who string, r session.ReadResult, text, author string, audience int) {
	t.Helper()
	if r.Status != "ok" || r.Text != text || r.Author == nil || r.Author.Status != "good" || r.Author.Fingerprint != author ||
		len(r.Audience) != audience || r.Message != "" {
		t.Errorf("%s reads %+v (author %+v)", who, r, r.Author)
		return
	}
	if created, err := time.Parse(time.RFC3339, r.Created); err != nil || time.Since(created) > 10*time.Minute {
		t.Errorf("%s: created %q", who, r.Created)
	}
}

func mustCID(t *testing.T, s string) cid.Cid {
	t.Helper()
	c, err := cid.Decode(s)
	if err != nil {
		t.Fatalf("CID %q: %v", s, err)
	}
	return c
}
