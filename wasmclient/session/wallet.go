package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/eth"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/post"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// The wallet methods of the bridge: the session's own Ethereum keys (kept in
// its storage beside the personas, sealed with a passphrase when given one),
// the binding of a persona to one of them (docs/CHAIN.md "Wallet binding"),
// the chain tips go over, and tips to the authors of posts.
//
// Storage:
//
//	wallets/<address>.json  a wallet: its key, in the clear or sealed
//	chain/config.json       the chain: chain ID, RPC URL, contracts
//
// persona.Store never reads or writes these names, so it stays the only
// writer of the personas and contacts it caches. A sealed key is an OpenPGP
// message encrypted with the passphrase (envelope.Encrypt), which gpg also
// opens; an unprotected one is in the clear, as an unprotected persona is.
// Backups (Backup) carry these files as they are stored, beside the
// personas and contacts.

// The stable codes of the wallet methods (veil.d.ts VeilError).
const (
	// CodeNotBound: the author has no two-way bound account on the chain.
	CodeNotBound = "not-bound"
	// CodeChainUnreachable: the chain's RPC endpoint could not be reached.
	CodeChainUnreachable = "chain-unreachable"
	// CodeChainError: the chain refused a transaction or a call (no
	// funds, a revert, a nonce taken) or answered nonsense.
	CodeChainError = "chain-error"
)

// ErrNotBound: a tip to an author without a two-way bound account on the
// configured chain.
var ErrNotBound = errors.New("not bound")

// walletCode names the errors of the wallet methods that the older codes
// do not cover; "" for the rest.
func walletCode(err error) string {
	var rpcErr *eth.RPCError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNotBound), errors.Is(err, eth.ErrNotBound):
		return CodeNotBound
	case errors.Is(err, eth.ErrUnreachable):
		return CodeChainUnreachable
	case errors.As(err, &rpcErr), errors.Is(err, eth.ErrBadResponse):
		return CodeChainError
	case errors.Is(err, eth.ErrInvalid):
		return CodeBadInput
	}
	return ""
}

// wallets is a session's wallet state.
type wallets struct {
	storage   persona.Storage
	transport relayclient.Transport

	mu sync.Mutex
	// unlocked holds the sealed wallets' keys unlocked in this session.
	unlocked map[eth.Address]*eth.PrivateKey
	// client talks to the configured chain's RPC endpoint.
	client *eth.Client
}

const (
	walletDir   = "wallets"
	chainConfig = "chain/config.json"
)

// storedWallet is a wallet as stored: the key in hex, or sealed (an OpenPGP
// message encrypted with the wallet's passphrase).
type storedWallet struct {
	Address string    `json:"address"`
	Key     string    `json:"key,omitempty"`
	Sealed  []byte    `json:"sealed,omitempty"`
	Created time.Time `json:"created"`
}

// WalletInfo describes a wallet (veil.d.ts WalletInfo).
type WalletInfo struct {
	// Address is checksummed (EIP-55).
	Address string `json:"address"`
	// Protected is true when the key is stored sealed with a passphrase.
	Protected bool `json:"protected"`
	// Locked is true while a protected wallet is not unlocked in this
	// session.
	Locked bool `json:"locked"`
}

// WalletCreate makes a new wallet key and stores it, sealed with the
// passphrase when there is one (and then unlocked in this session).
func (s *Session) WalletCreate(ctx context.Context, passphrase string) (*WalletInfo, error) {
	k, err := eth.GenerateKey()
	if err != nil {
		return nil, err
	}
	return s.saveWallet(k, passphrase)
}

// WalletImport stores an existing key (64 hex digits, 0x optional), sealed
// with the passphrase when there is one.
func (s *Session) WalletImport(ctx context.Context, privateKeyHex, passphrase string) (*WalletInfo, error) {
	k, err := eth.ParsePrivateKey(privateKeyHex)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	return s.saveWallet(k, passphrase)
}

func (s *Session) saveWallet(k *eth.PrivateKey, passphrase string) (*WalletInfo, error) {
	w := storedWallet{Address: k.Address().Hex(), Created: time.Now().UTC().Truncate(time.Second)}
	if passphrase == "" {
		w.Key = k.Hex()
	} else {
		var buf bytes.Buffer
		wc, err := envelope.Encrypt(&buf, nil, nil, &envelope.SealOptions{Passwords: [][]byte{[]byte(passphrase)}, FileName: "wallet-key"})
		if err != nil {
			return nil, err
		}
		if _, err := wc.Write(k.Bytes()); err != nil {
			return nil, err
		}
		if err := wc.Close(); err != nil {
			return nil, err
		}
		w.Sealed = buf.Bytes()
	}
	data, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	if err := s.wallet.storage.Write(walletPath(k.Address()), data); err != nil {
		return nil, err
	}
	if passphrase != "" {
		s.wallet.mu.Lock()
		if s.wallet.unlocked == nil {
			s.wallet.unlocked = map[eth.Address]*eth.PrivateKey{}
		}
		s.wallet.unlocked[k.Address()] = k
		s.wallet.mu.Unlock()
	}
	return &WalletInfo{Address: w.Address, Protected: passphrase != ""}, nil
}

func walletPath(a eth.Address) string { return path.Join(walletDir, a.Hex()+".json") }

// readWallet reads a stored wallet.
func (s *Session) readWallet(a eth.Address) (*storedWallet, error) {
	data, err := s.wallet.storage.Read(walletPath(a))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no wallet %s", persona.ErrNotFound, a.Hex())
	}
	if err != nil {
		return nil, err
	}
	var w storedWallet
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("wallet %s: %w", a.Hex(), err)
	}
	if w.Address != a.Hex() {
		return nil, fmt.Errorf("wallet %s: the file holds %s", a.Hex(), w.Address)
	}
	return &w, nil
}

// WalletList lists the stored wallets, in the storage's order (by name:
// the checksummed address).
func (s *Session) WalletList(ctx context.Context) ([]*WalletInfo, error) {
	addrs, err := s.walletAddresses()
	if err != nil {
		return nil, err
	}
	out := []*WalletInfo{}
	for _, a := range addrs {
		w, err := s.readWallet(a)
		if err != nil {
			return nil, err
		}
		info := &WalletInfo{Address: w.Address, Protected: w.Key == ""}
		if info.Protected {
			s.wallet.mu.Lock()
			info.Locked = s.wallet.unlocked[a] == nil
			s.wallet.mu.Unlock()
		}
		out = append(out, info)
	}
	return out, nil
}

func (s *Session) walletAddresses() ([]eth.Address, error) {
	names, err := s.wallet.storage.List(walletDir)
	if err != nil {
		return nil, err
	}
	var out []eth.Address
	for _, n := range names {
		a, err := eth.ParseAddress(strings.TrimSuffix(path.Base(n), ".json"))
		if err == nil && strings.HasSuffix(n, ".json") {
			out = append(out, a)
		}
	}
	return out, nil
}

// WalletUnlock unlocks a protected wallet for this session.
func (s *Session) WalletUnlock(ctx context.Context, address, passphrase string) error {
	a, err := parseAddress(address)
	if err != nil {
		return err
	}
	w, err := s.readWallet(a)
	if err != nil {
		return err
	}
	if w.Key != "" {
		return nil
	}
	var plain bytes.Buffer
	if _, err := envelope.Decrypt(bytes.NewReader(w.Sealed), &plain, &envelope.OpenOptions{Passwords: [][]byte{[]byte(passphrase)}}); err != nil {
		if errors.Is(err, envelope.ErrNotForMe) {
			return fmt.Errorf("%w for wallet %s", persona.ErrBadPassphrase, a.Hex())
		}
		return fmt.Errorf("wallet %s: %w", a.Hex(), err)
	}
	k, err := eth.PrivateKeyFromBytes(plain.Bytes())
	if err != nil || k.Address() != a {
		return fmt.Errorf("%w: wallet %s does not hold its key", persona.ErrInvalidKey, a.Hex())
	}
	s.wallet.mu.Lock()
	if s.wallet.unlocked == nil {
		s.wallet.unlocked = map[eth.Address]*eth.PrivateKey{}
	}
	s.wallet.unlocked[a] = k
	s.wallet.mu.Unlock()
	return nil
}

// WalletLock forgets a protected wallet's unlocked key.
func (s *Session) WalletLock(ctx context.Context, address string) error {
	a, err := parseAddress(address)
	if err != nil {
		return err
	}
	s.wallet.mu.Lock()
	delete(s.wallet.unlocked, a)
	s.wallet.mu.Unlock()
	return nil
}

// walletAddress reads a wallet's address; empty is the only wallet's.
func (s *Session) walletAddress(address string) (eth.Address, error) {
	if address != "" {
		return parseAddress(address)
	}
	addrs, err := s.walletAddresses()
	if err != nil {
		return eth.Address{}, err
	}
	switch len(addrs) {
	case 0:
		return eth.Address{}, fmt.Errorf("%w: no wallet: create or import one first", persona.ErrNotFound)
	case 1:
		return addrs[0], nil
	}
	return eth.Address{}, fmt.Errorf("%w: %d wallets: say which", ErrBadInput, len(addrs))
}

// walletKey returns the key of the wallet at address, or of the only wallet
// when address is empty.
func (s *Session) walletKey(address string) (*eth.PrivateKey, error) {
	a, err := s.walletAddress(address)
	if err != nil {
		return nil, err
	}
	w, err := s.readWallet(a)
	if err != nil {
		return nil, err
	}
	if w.Key != "" {
		k, err := eth.ParsePrivateKey(w.Key)
		if err != nil || k.Address() != a {
			return nil, fmt.Errorf("%w: wallet %s does not hold its key", persona.ErrInvalidKey, a.Hex())
		}
		return k, nil
	}
	s.wallet.mu.Lock()
	k := s.wallet.unlocked[a]
	s.wallet.mu.Unlock()
	if k == nil {
		return nil, fmt.Errorf("%w: wallet %s needs its passphrase (walletUnlock)", persona.ErrLocked, a.Hex())
	}
	return k, nil
}

func parseAddress(s string) (eth.Address, error) {
	a, err := eth.ParseAddress(strings.TrimSpace(s))
	if err != nil {
		return eth.Address{}, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	return a, nil
}

// BindResult is what bindWallet did (veil.d.ts BindResult).
type BindResult struct {
	// Account is the bound account, CAIP-10.
	Account string `json:"account"`
	// Published is true when the relay took the updated key; otherwise
	// PublishError says why, and publishKey can try again.
	Published    bool   `json:"published"`
	PublishError string `json:"publishError,omitempty"`
}

// BindWallet binds a persona and a wallet of this session both ways: the
// wallet signs the persona's fingerprint (personal_sign) and the persona's
// key names the account on chainID (0: the configured chain's) and carries
// that signature. The key is stored and published on the relay. A
// protected persona needs its passphrase, to protect the changed key again.
func (s *Session) BindWallet(ctx context.Context, fingerprint string, chainID uint64, address, passphrase string) (*BindResult, error) {
	fpr, err := checkFingerprint(fingerprint)
	if err != nil {
		return nil, err
	}
	if chainID == 0 {
		cfg, err := s.ChainConfig(ctx)
		if err != nil {
			return nil, err
		}
		if cfg == nil {
			return nil, fmt.Errorf("%w: no chain ID, and no chain configured", ErrBadInput)
		}
		chainID = cfg.ChainID
	}
	if address == "" {
		return nil, fmt.Errorf("%w: which wallet?", ErrBadInput)
	}
	key, err := s.walletKey(address)
	if err != nil {
		return nil, err
	}
	// The store's own parse of the key, so that nothing the session holds
	// changes unless all goes well.
	p, err := s.store.PersonaByFingerprint(fpr)
	if err != nil {
		return nil, err
	}
	protected := p.Protected()
	if protected {
		if passphrase == "" {
			return nil, fmt.Errorf("%w: %s is passphrase-protected: give its passphrase to change its key", ErrBadInput, fpr)
		}
		if err := p.Unlock([]byte(passphrase)); err != nil {
			return nil, err
		}
	}
	account, sig := eth.SignBinding(key, chainID, fpr)
	if err := p.SetWallet(persona.WalletBinding{Account: account.String(), Signature: sig}); err != nil {
		return nil, err
	}
	if protected {
		if err := p.Protect([]byte(passphrase)); err != nil {
			return nil, err
		}
	}
	if err := s.store.SavePersona(p); err != nil {
		return nil, err
	}
	if protected {
		if err := s.keepUnlocked(p, passphrase); err != nil {
			return nil, err
		}
	}
	res := &BindResult{Account: account.String(), Published: true}
	if err := s.PublishKey(ctx, fpr); err != nil {
		res.Published, res.PublishError = false, err.Error()
	}
	return res, nil
}

// BindingStatus is a key's wallet binding as this session sees it
// (veil.d.ts BindingStatus).
type BindingStatus struct {
	// Account is what the key's verified self-signature names (CAIP-10),
	// empty when it names none.
	Account string `json:"account,omitempty"`
	// TwoWay is true when the account also signed the key's fingerprint.
	TwoWay bool `json:"twoWay"`
	// Reason says why the binding is not two-way.
	Reason string `json:"reason,omitempty"`

	account eth.Account
}

// keyBinding reads an OpenPGP key's binding.
func keyBinding(fpr string, b persona.WalletBinding, ok bool) *BindingStatus {
	if !ok {
		return &BindingStatus{Reason: "the key names no wallet"}
	}
	st := &BindingStatus{Account: b.Account}
	if len(b.Signature) == 0 {
		st.Reason = "the account has not signed the key"
		return st
	}
	acct, err := eth.VerifyBinding(b.Account, fpr, b.Signature)
	if err != nil {
		st.Reason = err.Error()
		return st
	}
	st.Account, st.TwoWay, st.account = acct.String(), true, acct
	return st
}

// WalletBindingStatus reads the wallet binding of a persona's or contact's
// key, or of the key the relay's directory has under the fingerprint: the
// directory's copy is read when there is none here or this one is not
// bound both ways (the author may have bound a wallet since).
func (s *Session) WalletBindingStatus(ctx context.Context, fingerprint string) (*BindingStatus, error) {
	fpr, err := checkFingerprint(fingerprint)
	if err != nil {
		return nil, err
	}
	var local *BindingStatus
	e, err := s.key(fpr)
	switch {
	case err == nil:
		b, ok := persona.Wallet(e)
		if local = keyBinding(fpr, b, ok); local.TwoWay {
			return local, nil
		}
	case !errors.Is(err, persona.ErrNotFound):
		return nil, err
	}
	rec, err := s.relay.GetKey(ctx, fpr)
	if err != nil {
		if local != nil {
			return local, nil
		}
		if errors.Is(err, relayclient.ErrNotFound) {
			return nil, fmt.Errorf("%w: no key %s here or on %s", persona.ErrNotFound, fpr, s.relay.BaseURL())
		}
		return nil, &post.RelayError{Op: "looking " + fpr + " up on " + s.relay.BaseURL(), Err: err}
	}
	b, ok := persona.Wallet(rec.Key)
	return keyBinding(fpr, b, ok), nil
}

// ChainConfig is the chain tips go over: the dev chain file's format
// (docs/CHAIN.md "The dev chain") without its accounts (veil.d.ts
// ChainConfig).
type ChainConfig struct {
	ChainID   uint64         `json:"chainId"`
	RPC       string         `json:"rpc"`
	Contracts ChainContracts `json:"contracts"`
}

// ChainContracts are the addresses of Veil's contracts on the chain,
// checksummed; empty for one that is not there.
type ChainContracts struct {
	Token    string `json:"token,omitempty"`
	Tips     string `json:"tips"`
	Registry string `json:"registry,omitempty"`
}

// SetChainConfig checks and stores the chain to tip on. Private keys that
// came with it (a dev chain file's accounts) are never read.
func (s *Session) SetChainConfig(ctx context.Context, cfg ChainConfig) (*ChainConfig, error) {
	if err := checkChainConfig(&cfg); err != nil {
		return nil, err
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.wallet.storage.Write(chainConfig, data); err != nil {
		return nil, err
	}
	s.wallet.mu.Lock()
	s.wallet.client = nil
	s.wallet.mu.Unlock()
	return &cfg, nil
}

// checkChainConfig checks chain settings and writes their addresses
// checksummed.
func checkChainConfig(cfg *ChainConfig) error {
	if cfg.ChainID == 0 {
		return fmt.Errorf("%w: the chain config has no chainId", ErrBadInput)
	}
	if _, err := eth.NewClient(cfg.RPC, nil); err != nil {
		return fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	for _, c := range []struct {
		name string
		addr *string
		need bool
	}{{"tips", &cfg.Contracts.Tips, true}, {"token", &cfg.Contracts.Token, false}, {"registry", &cfg.Contracts.Registry, false}} {
		if *c.addr == "" && !c.need {
			continue
		}
		a, err := eth.ParseAddress(*c.addr)
		if err != nil || a.IsZero() {
			if err == nil {
				err = errors.New("the zero address")
			}
			return fmt.Errorf("%w: contracts.%s: %v", ErrBadInput, c.name, err)
		}
		*c.addr = a.Hex()
	}
	return nil
}

// ChainConfig returns the configured chain, nil when there is none.
func (s *Session) ChainConfig(ctx context.Context) (*ChainConfig, error) {
	data, err := s.wallet.storage.Read(chainConfig)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cfg ChainConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("the stored chain config: %w", err)
	}
	return &cfg, nil
}

// chain returns the configured chain and a client of its RPC endpoint.
func (s *Session) chain(ctx context.Context) (*ChainConfig, *eth.Client, error) {
	cfg, err := s.ChainConfig(ctx)
	if err != nil {
		return nil, nil, err
	}
	if cfg == nil {
		return nil, nil, fmt.Errorf("%w: no chain configured (setChainConfig)", ErrBadInput)
	}
	s.wallet.mu.Lock()
	defer s.wallet.mu.Unlock()
	if s.wallet.client == nil || s.wallet.client.URL() != cfg.RPC {
		c, err := eth.NewClient(cfg.RPC, s.wallet.transport)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: the stored chain config: %v", ErrBadInput, err)
		}
		s.wallet.client = c
	}
	return cfg, s.wallet.client, nil
}

// TipRequest is a tip to a post's author (veil.d.ts tip).
type TipRequest struct {
	// CID is the post's.
	CID string `json:"cid"`
	// Author is the fingerprint of the post's author.
	Author string `json:"author"`
	// Amount is in the coin's or token's smallest unit (wei), in decimal.
	Amount string `json:"amount"`
	// Token is an ERC-20 token's address; empty for the chain's native coin.
	Token string `json:"token,omitempty"`
	// From is the wallet that pays; empty for the only one.
	From string `json:"from,omitempty"`
}

// TipResult is a tip sent (veil.d.ts TipResult).
type TipResult struct {
	// TxHash is the tip's transaction (tipStatus follows it).
	TxHash string `json:"txHash"`
	// ApproveTxHash is the token approval mined before a token tip, when
	// the allowance was short.
	ApproveTxHash string `json:"approveTxHash,omitempty"`
	// Account is the author's account the tip goes to, CAIP-10.
	Account string `json:"account"`
}

// tipTarget is a checked tip: the chain, the Tips contract, the author's
// account, and what to send.
type tipTarget struct {
	cfg     *ChainConfig
	client  *eth.Client
	tips    eth.Address
	author  eth.Address
	account string // the author's, CAIP-10
	cid     string
	amount  *big.Int
	token   eth.Address // zero for the native coin
}

// tipTarget checks a tip request against the configured chain and the
// author's binding: only an account bound to the author's key both ways on
// that chain is tipped (ErrNotBound otherwise).
func (s *Session) tipTarget(ctx context.Context, req TipRequest) (*tipTarget, error) {
	c, err := cid.Decode(strings.TrimSpace(req.CID))
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a post's CID", ErrBadInput, req.CID)
	}
	amount, err := parseAmount(req.Amount)
	if err != nil {
		return nil, err
	}
	t := &tipTarget{cid: c.String(), amount: amount}
	if req.Token != "" {
		if t.token, err = parseAddress(req.Token); err != nil {
			return nil, err
		}
		if t.token.IsZero() {
			return nil, fmt.Errorf("%w: the zero token: leave token out to tip in the native coin", ErrBadInput)
		}
	}
	if t.cfg, t.client, err = s.chain(ctx); err != nil {
		return nil, err
	}
	if t.tips, err = eth.ParseAddress(t.cfg.Contracts.Tips); err != nil {
		return nil, fmt.Errorf("%w: the stored chain config: %v", ErrBadInput, err)
	}
	st, err := s.WalletBindingStatus(ctx, req.Author)
	if err != nil {
		return nil, err
	}
	switch {
	case !st.TwoWay:
		return nil, fmt.Errorf("%w: %s: %s", ErrNotBound, req.Author, st.Reason)
	case st.account.ChainID != t.cfg.ChainID:
		return nil, fmt.Errorf("%w: %s is bound on chain %d, tips go over chain %d", ErrNotBound, req.Author, st.account.ChainID, t.cfg.ChainID)
	}
	t.author, t.account = st.account.Address, st.Account
	return t, nil
}

// calls are the transactions of the tip from the account from, in order:
// an approval of the token for the Tips contract when from's allowance is
// short, then the tip.
func (t *tipTarget) calls(ctx context.Context, from eth.Address) ([]TxCall, error) {
	if t.token.IsZero() {
		return []TxCall{newTxCall("tip", eth.CallMsg{From: from, To: t.tips, Value: t.amount, Data: eth.TipCall(t.author, t.cid)})}, nil
	}
	var out []TxCall
	allowance, err := callUint256(ctx, t.client, t.token, eth.AllowanceCall(from, t.tips))
	if err != nil {
		return nil, err
	}
	if allowance.Cmp(t.amount) < 0 {
		approve, err := eth.ApproveCall(t.tips, t.amount)
		if err != nil {
			return nil, err
		}
		out = append(out, newTxCall("approve", eth.CallMsg{From: from, To: t.token, Data: approve}))
	}
	data, err := eth.TipTokenCall(t.token, t.author, t.amount, t.cid)
	if err != nil {
		return nil, err
	}
	return append(out, newTxCall("tip", eth.CallMsg{From: from, To: t.tips, Data: data})), nil
}

// TxCall is one transaction of a tip for a wallet that signs and sends it
// itself (veil.d.ts TxCall): Params is eth_sendTransaction's parameter
// object, as EIP-1193 wallets take it.
type TxCall struct {
	// Kind is "approve" (the token's allowance for the Tips contract) or
	// "tip".
	Kind   string         `json:"kind"`
	Params map[string]any `json:"params"`

	msg eth.CallMsg
}

func newTxCall(kind string, m eth.CallMsg) TxCall {
	return TxCall{Kind: kind, Params: m.SendParams(), msg: m}
}

// TipPlan is a tip for another wallet to send (veil.d.ts TipPlan).
type TipPlan struct {
	// Account is the author's account the tip goes to, CAIP-10.
	Account string `json:"account"`
	// ChainID is the chain the wallet must be on.
	ChainID uint64 `json:"chainId"`
	// Calls are sent in order, each once the one before is mined.
	Calls []TxCall `json:"calls"`
}

// TipCalls checks a tip as Tip does and returns its transactions for the
// wallet at req.From (required) to sign and send: the page's wallet,
// through EIP-1193. Nothing is signed or sent here.
func (s *Session) TipCalls(ctx context.Context, req TipRequest) (*TipPlan, error) {
	if req.From == "" {
		return nil, fmt.Errorf("%w: from: the account that pays", ErrBadInput)
	}
	from, err := parseAddress(req.From)
	if err != nil {
		return nil, err
	}
	t, err := s.tipTarget(ctx, req)
	if err != nil {
		return nil, err
	}
	calls, err := t.calls(ctx, from)
	if err != nil {
		return nil, err
	}
	return &TipPlan{Account: t.account, ChainID: t.cfg.ChainID, Calls: calls}, nil
}

// Tip tips the author of a post through the configured chain's Tips
// contract, from a wallet of this session: only to an account bound to the
// author's key both ways on that chain (ErrNotBound otherwise). A token tip
// first approves the contract for the amount, and waits for that to be
// mined, when the allowance is short. It returns once the tip is sent;
// TipStatus follows it.
func (s *Session) Tip(ctx context.Context, req TipRequest) (*TipResult, error) {
	t, err := s.tipTarget(ctx, req)
	if err != nil {
		return nil, err
	}
	key, err := s.walletKey(req.From)
	if err != nil {
		return nil, err
	}
	calls, err := t.calls(ctx, key.Address())
	if err != nil {
		return nil, err
	}
	res := &TipResult{Account: t.account}
	for _, c := range calls {
		tx, err := t.client.Transact(ctx, t.cfg.ChainID, key, c.msg.To, c.msg.Value, c.msg.Data)
		if err != nil {
			return nil, err
		}
		if c.Kind == "tip" {
			res.TxHash = tx.Hex()
			break
		}
		res.ApproveTxHash = tx.Hex()
		r, err := waitMined(ctx, t.client, tx)
		if err != nil {
			return nil, err
		}
		if !r.Succeeded {
			return nil, fmt.Errorf("%w: the approval %s reverted", eth.ErrBadResponse, tx)
		}
	}
	return res, nil
}

// parseAmount reads a positive amount of smallest units in decimal.
func parseAmount(s string) (*big.Int, error) {
	s = strings.TrimSpace(s)
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || s == "" || strings.Trim(s, "0123456789") != "" || n.Sign() <= 0 || n.BitLen() > 256 {
		return nil, fmt.Errorf("%w: amount %q: want a positive whole number of the smallest unit (wei)", ErrBadInput, s)
	}
	return n, nil
}

func callUint256(ctx context.Context, c *eth.Client, to eth.Address, data []byte) (*big.Int, error) {
	ret, err := c.Call(ctx, eth.CallMsg{To: to, Data: data})
	if err != nil {
		return nil, err
	}
	n, err := eth.DecodeUint256(ret)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", eth.ErrBadResponse, to.Hex(), err)
	}
	return n, nil
}

// waitMined polls for a transaction's receipt until it comes or ctx ends.
func waitMined(ctx context.Context, c *eth.Client, tx eth.Hash) (*eth.Receipt, error) {
	wait := 50 * time.Millisecond
	for {
		r, err := c.Receipt(ctx, tx)
		if err != nil || r != nil {
			return r, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for %s to be mined: %w", tx, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// TipStatus is what became of a tip's transaction (veil.d.ts TipStatus).
type TipStatus struct {
	// Status is "pending" (not mined, or unknown to the endpoint),
	// "confirmed" or "failed" (mined and reverted, or not the transaction
	// expected).
	Status      string `json:"status"`
	BlockNumber uint64 `json:"blockNumber,omitempty"`
	// Message says why it failed.
	Message string `json:"message,omitempty"`
}

// TipStatus looks a transaction up on the configured chain. With expect
// (the call a wallet was asked to send: TipPlan's, as given back), a
// transaction that is not that call — another sender, contract, amount or
// input — is "failed": a wallet outside Veil (the page's) reports the hash,
// and the chain, not the wallet, says what it is.
func (s *Session) TipStatus(ctx context.Context, txHash string, expect map[string]any) (*TipStatus, error) {
	h, err := eth.ParseHash(strings.TrimSpace(txHash))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	var want *eth.CallMsg
	if expect != nil {
		m, err := eth.ParseSendParams(expect)
		if err != nil {
			return nil, fmt.Errorf("%w: expect: %v", ErrBadInput, err)
		}
		want = &m
	}
	_, client, err := s.chain(ctx)
	if err != nil {
		return nil, err
	}
	if want != nil {
		tx, err := client.Transaction(ctx, h)
		if err != nil {
			return nil, err
		}
		if tx == nil {
			return &TipStatus{Status: "pending"}, nil
		}
		if why := txDiffers(tx, want); why != "" {
			return &TipStatus{Status: "failed", BlockNumber: tx.BlockNumber, Message: "transaction " + h.Hex() + " is not this tip: " + why}, nil
		}
	}
	r, err := client.Receipt(ctx, h)
	switch {
	case err != nil:
		return nil, err
	case r == nil:
		return &TipStatus{Status: "pending"}, nil
	case r.Succeeded:
		return &TipStatus{Status: "confirmed", BlockNumber: r.BlockNumber}, nil
	}
	return &TipStatus{Status: "failed", BlockNumber: r.BlockNumber, Message: "it reverted"}, nil
}

// txDiffers says how a transaction differs from the call expected, ""
// when it does not.
func txDiffers(tx *eth.Tx, want *eth.CallMsg) string {
	switch {
	case !want.From.IsZero() && tx.From != want.From:
		return "it was sent by " + tx.From.Hex() + ", not " + want.From.Hex()
	case tx.To != want.To:
		return "it goes to " + tx.To.Hex() + ", not " + want.To.Hex()
	case tx.Value.Cmp(want.Value) != 0:
		return "it sends " + tx.Value.String() + " wei, not " + want.Value.String()
	case !bytes.Equal(tx.Data, want.Data):
		return "its input is another call"
	}
	return ""
}

// TipTotal is what a post received (veil.d.ts TipTotal); amounts in the
// smallest unit, in decimal.
type TipTotal struct {
	Native string `json:"native"`
	// Token is the configured token's total, when there is a token.
	Token string `json:"token,omitempty"`
	// Count is the number of tips in any coin or token.
	Count uint64 `json:"count"`
}

// TipTotal reads a post's tips from the configured chain's Tips contract.
func (s *Session) TipTotal(ctx context.Context, postCID string) (*TipTotal, error) {
	c, err := cid.Decode(strings.TrimSpace(postCID))
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a post's CID", ErrBadInput, postCID)
	}
	id := c.String()
	cfg, client, err := s.chain(ctx)
	if err != nil {
		return nil, err
	}
	tips, err := eth.ParseAddress(cfg.Contracts.Tips)
	if err != nil {
		return nil, fmt.Errorf("%w: the stored chain config: %v", ErrBadInput, err)
	}
	native, err := callUint256(ctx, client, tips, eth.TotalTippedCall(id, eth.Address{}))
	if err != nil {
		return nil, err
	}
	count, err := callUint256(ctx, client, tips, eth.TipCountCall(id))
	if err != nil {
		return nil, err
	}
	out := &TipTotal{Native: native.String(), Count: count.Uint64()}
	if cfg.Contracts.Token != "" {
		token, err := eth.ParseAddress(cfg.Contracts.Token)
		if err != nil {
			return nil, fmt.Errorf("%w: the stored chain config: %v", ErrBadInput, err)
		}
		n, err := callUint256(ctx, client, tips, eth.TotalTippedCall(id, token))
		if err != nil {
			return nil, err
		}
		out.Token = n.String()
	}
	return out, nil
}

// WalletBalance is a wallet's balance (veil.d.ts WalletBalance), in the
// smallest unit, in decimal.
type WalletBalance struct {
	Native string `json:"native"`
	// Token is its balance of the configured token, when there is one.
	Token string `json:"token,omitempty"`
}

// WalletBalance reads a wallet's balances on the configured chain (the only
// wallet's when address is empty).
func (s *Session) WalletBalance(ctx context.Context, address string) (*WalletBalance, error) {
	a, err := s.walletAddress(address)
	if err != nil {
		return nil, err
	}
	cfg, client, err := s.chain(ctx)
	if err != nil {
		return nil, err
	}
	bal, err := client.Balance(ctx, a)
	if err != nil {
		return nil, err
	}
	out := &WalletBalance{Native: bal.String()}
	if cfg.Contracts.Token != "" {
		token, err := eth.ParseAddress(cfg.Contracts.Token)
		if err != nil {
			return nil, fmt.Errorf("%w: the stored chain config: %v", ErrBadInput, err)
		}
		n, err := callUint256(ctx, client, token, eth.BalanceOfCall(a))
		if err != nil {
			return nil, err
		}
		out.Token = n.String()
	}
	return out, nil
}

// backupFiles are the wallets and the chain settings as stored, for a
// backup.
func (s *Session) backupFiles() ([]persona.BackupFile, error) {
	addrs, err := s.walletAddresses()
	if err != nil {
		return nil, err
	}
	names := []string{chainConfig}
	for _, a := range addrs {
		names = append(names, walletPath(a))
	}
	var out []persona.BackupFile
	for _, n := range names {
		data, err := s.wallet.storage.Read(n)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, persona.BackupFile{Name: n, Data: data})
	}
	return out, nil
}

// checkBackupFile takes a backup's file only when it is a wallet that holds
// the key of the address it is named for, or chain settings.
func checkBackupFile(f persona.BackupFile) error {
	if f.Name == chainConfig {
		var cfg ChainConfig
		if err := json.Unmarshal(f.Data, &cfg); err != nil {
			return errors.New("not chain settings")
		}
		return checkChainConfig(&cfg)
	}
	dir, file := path.Split(f.Name)
	a, err := eth.ParseAddress(strings.TrimSuffix(file, ".json"))
	if dir != walletDir+"/" || !strings.HasSuffix(file, ".json") || err != nil || walletPath(a) != f.Name {
		return errors.New("not a file Veil keeps")
	}
	var w storedWallet
	if err := json.Unmarshal(f.Data, &w); err != nil || w.Address != a.Hex() {
		return errors.New("not a wallet")
	}
	switch {
	case w.Key != "":
		k, err := eth.ParsePrivateKey(w.Key)
		if err != nil || k.Address() != a {
			return errors.New("the wallet does not hold its key")
		}
	case len(w.Sealed) == 0:
		return errors.New("the wallet holds no key")
	}
	return nil
}

// restoreFiles writes the checked files of a backup: the wallets that are
// not here, and the chain settings when none are set. It returns how many
// wallets it wrote.
func (s *Session) restoreFiles(files []persona.BackupFile) (int, error) {
	n := 0
	for _, f := range files {
		_, err := s.wallet.storage.Read(f.Name)
		switch {
		case err == nil:
			continue // what is here stays
		case !errors.Is(err, fs.ErrNotExist):
			return n, err
		}
		if err := s.wallet.storage.Write(f.Name, f.Data); err != nil {
			return n, err
		}
		if f.Name != chainConfig {
			n++
		}
	}
	s.wallet.mu.Lock()
	s.wallet.client = nil
	s.wallet.mu.Unlock()
	return n, nil
}
