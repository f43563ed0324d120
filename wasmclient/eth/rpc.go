package eth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/veilsocial/veil/wasmclient/relayclient"
)

// maxResponse bounds a JSON-RPC answer; the largest the client asks for is
// a block header.
const maxResponse = 4 << 20

// Client is a JSON-RPC client of one Ethereum endpoint, with the methods a
// tip needs. It is safe for concurrent use.
type Client struct {
	url  string
	tr   relayclient.Transport
	next atomic.Uint64
}

// NewClient returns a client of the JSON-RPC endpoint at rawURL (http or
// https) whose requests go through tr (relayclient's default transport when
// nil: net/http natively; in the browser the bridge gives one over fetch).
func NewClient(rawURL string, tr relayclient.Transport) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Fragment != "" {
		return nil, invalid("RPC URL (want http(s)://host[:port][/path])", rawURL)
	}
	if tr == nil {
		tr = relayclient.DefaultTransport()
	}
	return &Client{url: u.String(), tr: tr}, nil
}

// URL is the endpoint's URL.
func (c *Client) URL() string { return c.url }

type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type rpcResponse struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

// call sends one request and decodes its result into out (nothing when out
// is nil). An error answer is an *RPCError.
func (c *Client) call(ctx context.Context, out any, method string, params ...any) error {
	if params == nil {
		params = []any{}
	}
	id := c.next.Add(1)
	body, err := json.Marshal(rpcRequest{JSONRPC: "2.0", ID: id, Method: method, Params: params})
	if err != nil {
		return err
	}
	req := &relayclient.Request{Method: "POST", URL: c.url, Body: body, Header: relayclient.Header{}}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.tr.RoundTrip(ctx, req)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnreachable, method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("%w: %s: reading the answer: %w", ErrUnreachable, method, err)
	}
	if len(data) > maxResponse {
		return fmt.Errorf("%w: %s: answer larger than %d bytes", ErrBadResponse, method, maxResponse)
	}
	var r rpcResponse
	if jerr := json.Unmarshal(data, &r); jerr != nil || r.Error == nil && r.Result == nil {
		if resp.Status < 200 || resp.Status > 299 {
			return fmt.Errorf("%w: %s: HTTP status %d", ErrBadResponse, method, resp.Status)
		}
		return fmt.Errorf("%w: %s: not a JSON-RPC answer", ErrBadResponse, method)
	}
	if string(r.ID) != strconv.FormatUint(id, 10) {
		return fmt.Errorf("%w: %s: answer to another request (id %s)", ErrBadResponse, method, r.ID)
	}
	if r.Error != nil {
		e := &RPCError{Method: method, Code: r.Error.Code, Message: r.Error.Message}
		if len(r.Error.Data) > 0 && string(r.Error.Data) != "null" {
			e.Data = string(r.Error.Data)
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(r.Result, out); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadResponse, method, err)
	}
	return nil
}

// callQuantity calls a method whose result is a quantity.
func (c *Client) callQuantity(ctx context.Context, method string, params ...any) (*big.Int, error) {
	var s string
	if err := c.call(ctx, &s, method, params...); err != nil {
		return nil, err
	}
	n, err := decodeBig(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadResponse, method, err)
	}
	return n, nil
}

// callUint calls a method whose result is a quantity that fits 64 bits.
func (c *Client) callUint(ctx context.Context, method string, params ...any) (uint64, error) {
	n, err := c.callQuantity(ctx, method, params...)
	if err != nil {
		return 0, err
	}
	if !n.IsUint64() {
		return 0, fmt.Errorf("%w: %s: %s does not fit 64 bits", ErrBadResponse, method, n)
	}
	return n.Uint64(), nil
}

// ChainID is eth_chainId.
func (c *Client) ChainID(ctx context.Context) (uint64, error) {
	return c.callUint(ctx, "eth_chainId")
}

// PendingNonce is the account's next nonce, counting its pending
// transactions (eth_getTransactionCount at "pending").
func (c *Client) PendingNonce(ctx context.Context, a Address) (uint64, error) {
	return c.callUint(ctx, "eth_getTransactionCount", a.Hex(), "pending")
}

// Balance is the account's balance in wei at the latest block.
func (c *Client) Balance(ctx context.Context, a Address) (*big.Int, error) {
	return c.callQuantity(ctx, "eth_getBalance", a.Hex(), "latest")
}

// GasPrice is eth_gasPrice: a legacy price per gas (base fee and tip).
func (c *Client) GasPrice(ctx context.Context) (*big.Int, error) {
	return c.callQuantity(ctx, "eth_gasPrice")
}

// MaxPriorityFee is eth_maxPriorityFeePerGas: the endpoint's suggested tip
// per gas.
func (c *Client) MaxPriorityFee(ctx context.Context) (*big.Int, error) {
	return c.callQuantity(ctx, "eth_maxPriorityFeePerGas")
}

// BaseFee is the base fee per gas of the latest block.
func (c *Client) BaseFee(ctx context.Context) (*big.Int, error) {
	var b struct {
		BaseFee *string `json:"baseFeePerGas"`
	}
	if err := c.call(ctx, &b, "eth_getBlockByNumber", "latest", false); err != nil {
		return nil, err
	}
	if b.BaseFee == nil {
		return nil, errors.New("eth: the latest block has no base fee (the chain does not do EIP-1559)")
	}
	n, err := decodeBig(*b.BaseFee)
	if err != nil {
		return nil, fmt.Errorf("%w: eth_getBlockByNumber: %v", ErrBadResponse, err)
	}
	return n, nil
}

// SuggestFees returns a tip and a fee cap per gas for a transaction sent
// now: the endpoint's suggested tip (or, where it has none, the gas price
// over the base fee), and twice the latest base fee plus the tip, which
// covers six full blocks of rising base fee.
func (c *Client) SuggestFees(ctx context.Context) (tipCap, feeCap *big.Int, err error) {
	base, err := c.BaseFee(ctx)
	if err != nil {
		return nil, nil, err
	}
	tipCap, err = c.MaxPriorityFee(ctx)
	var rpcErr *RPCError
	if errors.As(err, &rpcErr) {
		price, perr := c.GasPrice(ctx)
		if perr != nil {
			return nil, nil, perr
		}
		tipCap = new(big.Int).Sub(price, base)
		if tipCap.Sign() < 0 {
			tipCap.SetInt64(0)
		}
	} else if err != nil {
		return nil, nil, err
	}
	feeCap = new(big.Int).Add(new(big.Int).Lsh(base, 1), tipCap)
	return tipCap, feeCap, nil
}

// CallMsg is a call or a transaction to estimate: From may be zero, Value
// nil.
type CallMsg struct {
	From  Address
	To    Address
	Value *big.Int
	Data  []byte
}

func (m CallMsg) args() map[string]any {
	a := map[string]any{"to": m.To.Hex()}
	if !m.From.IsZero() {
		a["from"] = m.From.Hex()
	}
	if m.Value != nil && m.Value.Sign() > 0 {
		a["value"] = encodeBig(m.Value)
	}
	if len(m.Data) > 0 {
		a["data"] = encodeData(m.Data)
	}
	return a
}

// SendParams is m as the parameter object of eth_sendTransaction (EIP-1193
// wallets take it so): from, to, value and data in hex; the wallet picks
// the nonce, the fees and the gas.
func (m CallMsg) SendParams() map[string]any { return m.args() }

// ParseSendParams reads eth_sendTransaction's parameter object back, as
// SendParams writes it (the JSON of a JavaScript object): to is required,
// from, value and data may be left out.
func ParseSendParams(p map[string]any) (CallMsg, error) {
	var m CallMsg
	field := func(name string) (string, error) {
		v, ok := p[name]
		if !ok {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", invalid("transaction "+name, fmt.Sprint(v))
		}
		return s, nil
	}
	var s [4]string
	var errs [8]error
	for i, name := range []string{"from", "to", "value", "data"} {
		s[i], errs[i] = field(name)
	}
	if s[0] != "" {
		m.From, errs[4] = ParseAddress(s[0])
	}
	m.To, errs[5] = ParseAddress(s[1])
	m.Value = new(big.Int)
	if s[2] != "" {
		m.Value, errs[6] = decodeBig(s[2])
	}
	if s[3] != "" {
		m.Data, errs[7] = decodeHexData(s[3])
	}
	if err := errors.Join(errs[:]...); err != nil {
		return CallMsg{}, err
	}
	return m, nil
}

// EstimateGas is eth_estimateGas: the gas the transaction would use at
// the latest block. A transaction that would revert is an *RPCError.
func (c *Client) EstimateGas(ctx context.Context, m CallMsg) (uint64, error) {
	return c.callUint(ctx, "eth_estimateGas", m.args())
}

// Call is eth_call at the latest block: what a contract returns.
func (c *Client) Call(ctx context.Context, m CallMsg) ([]byte, error) {
	var s string
	if err := c.call(ctx, &s, "eth_call", m.args(), "latest"); err != nil {
		return nil, err
	}
	b, err := decodeHexData(s)
	if err != nil {
		return nil, fmt.Errorf("%w: eth_call: %v", ErrBadResponse, err)
	}
	return b, nil
}

// SendRawTransaction is eth_sendRawTransaction; it returns the hash the
// endpoint reports.
func (c *Client) SendRawTransaction(ctx context.Context, raw []byte) (Hash, error) {
	var s string
	if err := c.call(ctx, &s, "eth_sendRawTransaction", encodeData(raw)); err != nil {
		return Hash{}, err
	}
	h, err := ParseHash(s)
	if err != nil {
		return Hash{}, fmt.Errorf("%w: eth_sendRawTransaction: %v", ErrBadResponse, err)
	}
	return h, nil
}

// Receipt is what became of a mined transaction.
type Receipt struct {
	TxHash      Hash
	BlockNumber uint64
	GasUsed     uint64
	// Succeeded is false when the transaction reverted.
	Succeeded bool
}

// Receipt is eth_getTransactionReceipt: nil (and no error) while the
// transaction is not mined, or when the endpoint does not know it (yet: a
// go-ethereum node still indexing transactions says so, and that counts as
// not knowing).
func (c *Client) Receipt(ctx context.Context, tx Hash) (*Receipt, error) {
	var r *struct {
		TxHash      string `json:"transactionHash"`
		BlockNumber string `json:"blockNumber"`
		GasUsed     string `json:"gasUsed"`
		Status      string `json:"status"`
	}
	if err := c.call(ctx, &r, "eth_getTransactionReceipt", tx.Hex()); err != nil {
		var rpcErr *RPCError
		if errors.As(err, &rpcErr) && strings.Contains(rpcErr.Message, "indexing is in progress") {
			return nil, nil
		}
		return nil, err
	}
	if r == nil {
		return nil, nil
	}
	var out Receipt
	var errs [4]error
	out.TxHash, errs[0] = ParseHash(r.TxHash)
	out.BlockNumber, errs[1] = decodeUint(r.BlockNumber)
	out.GasUsed, errs[2] = decodeUint(r.GasUsed)
	var status uint64
	status, errs[3] = decodeUint(r.Status)
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("%w: eth_getTransactionReceipt: %v", ErrBadResponse, err)
	}
	if out.TxHash != tx {
		return nil, fmt.Errorf("%w: eth_getTransactionReceipt: the receipt of %s for %s", ErrBadResponse, out.TxHash, tx)
	}
	out.Succeeded = status == 1
	return &out, nil
}

// Tx is a transaction as the endpoint knows it.
type Tx struct {
	Hash Hash
	From Address
	// To is zero for a contract creation.
	To    Address
	Value *big.Int
	Data  []byte
	// BlockNumber is 0 while the transaction is pending.
	BlockNumber uint64
}

// Transaction is eth_getTransactionByHash: nil (and no error) when the
// endpoint does not know the transaction.
func (c *Client) Transaction(ctx context.Context, tx Hash) (*Tx, error) {
	var r *struct {
		Hash        string  `json:"hash"`
		From        string  `json:"from"`
		To          *string `json:"to"`
		Value       string  `json:"value"`
		Input       string  `json:"input"`
		BlockNumber *string `json:"blockNumber"`
	}
	if err := c.call(ctx, &r, "eth_getTransactionByHash", tx.Hex()); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, nil
	}
	var out Tx
	var errs [6]error
	out.Hash, errs[0] = ParseHash(r.Hash)
	out.From, errs[1] = ParseAddress(r.From)
	if r.To != nil {
		out.To, errs[2] = ParseAddress(*r.To)
	}
	out.Value, errs[3] = decodeBig(r.Value)
	out.Data, errs[4] = decodeHexData(r.Input)
	if r.BlockNumber != nil {
		out.BlockNumber, errs[5] = decodeUint(*r.BlockNumber)
	}
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("%w: eth_getTransactionByHash: %v", ErrBadResponse, err)
	}
	if out.Hash != tx {
		return nil, fmt.Errorf("%w: eth_getTransactionByHash: the transaction %s for %s", ErrBadResponse, out.Hash, tx)
	}
	return &out, nil
}

// Transact signs a transaction from key's account to to, with value wei
// and data, and sends it: the account's pending nonce, SuggestFees, and the
// estimated gas with a fifth more for state that changes before it is
// mined. A zero chainID asks the endpoint for its own. It returns the
// transaction's hash.
func (c *Client) Transact(ctx context.Context, chainID uint64, key *PrivateKey, to Address, value *big.Int, data []byte) (Hash, error) {
	if err := checkUint256("value", value); err != nil {
		return Hash{}, err
	}
	if chainID == 0 {
		id, err := c.ChainID(ctx)
		if err != nil {
			return Hash{}, err
		}
		chainID = id
	}
	from := key.Address()
	nonce, err := c.PendingNonce(ctx, from)
	if err != nil {
		return Hash{}, err
	}
	tipCap, feeCap, err := c.SuggestFees(ctx)
	if err != nil {
		return Hash{}, err
	}
	gas, err := c.EstimateGas(ctx, CallMsg{From: from, To: to, Value: value, Data: data})
	if err != nil {
		return Hash{}, err
	}
	gas += gas / 5
	raw, hash, err := SignDynamicFeeTx(chainID, nonce, tipCap, feeCap, gas, to, value, data, key)
	if err != nil {
		return Hash{}, err
	}
	sent, err := c.SendRawTransaction(ctx, raw)
	if err != nil {
		return Hash{}, err
	}
	if sent != hash {
		return Hash{}, fmt.Errorf("%w: eth_sendRawTransaction: the endpoint reports hash %s for transaction %s", ErrBadResponse, sent, hash)
	}
	return hash, nil
}
