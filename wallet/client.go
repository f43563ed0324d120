package wallet

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// Defaults of Config.
const (
	DefaultReceiptTimeout = 2 * time.Minute
	DefaultGasMargin      = 20 // percent added to a gas estimate
)

// Config says which chain a Client talks to.
type Config struct {
	// RPC is the chain's JSON-RPC endpoint (http(s)://, ws(s)://, or an IPC path).
	RPC string
	// Contracts are Veil's contracts on that chain; zero addresses for the
	// ones it does not have.
	Contracts Contracts
	// ReceiptTimeout bounds how long waiting for a transaction to be mined
	// takes (default DefaultReceiptTimeout).
	ReceiptTimeout time.Duration
	// GasMargin is the percentage added to a gas estimate (default
	// DefaultGasMargin).
	GasMargin int
	// FromBlock is where scans of the contracts' events may start
	// (ChainInfo.DeployBlock); 0 is the genesis.
	FromBlock uint64
}

// Client talks to one chain. It is safe for concurrent use; share one per
// chain in a process, since it is what keeps concurrent sends from one
// account from reusing a nonce.
type Client struct {
	cfg     Config
	eth     *ethclient.Client
	chainID *big.Int
	abis    []*abi.ABI // to decode custom revert errors

	mu     sync.Mutex
	nonces map[common.Address]*nonceSlot
}

// ErrNoContract is returned when an operation needs a contract whose
// address the Client was not given.
var ErrNoContract = errors.New("contract address not configured")

// Dial connects to cfg.RPC and reads the chain ID.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.RPC == "" {
		return nil, errors.New("wallet: no RPC endpoint")
	}
	r, err := rpc.DialContext(ctx, cfg.RPC)
	if err != nil {
		return nil, fmt.Errorf("wallet: failed to connect to %s: %w", cfg.RPC, err)
	}
	c, err := NewClient(ctx, ethclient.NewClient(r), cfg)
	if err != nil {
		r.Close()
		return nil, err
	}
	return c, nil
}

// NewClient is Dial for a connection the caller already has; Close closes it.
func NewClient(ctx context.Context, ec *ethclient.Client, cfg Config) (*Client, error) {
	if cfg.ReceiptTimeout <= 0 {
		cfg.ReceiptTimeout = DefaultReceiptTimeout
	}
	if cfg.GasMargin <= 0 {
		cfg.GasMargin = DefaultGasMargin
	}
	id, err := ec.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("wallet: failed to read the chain ID from %s: %w", cfg.RPC, err)
	}
	return &Client{cfg: cfg, eth: ec, chainID: id, abis: contractABIs(), nonces: map[common.Address]*nonceSlot{}}, nil
}

// Close closes the connection.
func (c *Client) Close() { c.eth.Close() }

// ChainID is the chain's ID (EIP-155).
func (c *Client) ChainID() *big.Int { return new(big.Int).Set(c.chainID) }

// FromBlock is where scans of the contracts' events may start.
func (c *Client) FromBlock() uint64 { return c.cfg.FromBlock }

// Contracts are the contract addresses the Client was given.
func (c *Client) Contracts() Contracts { return c.cfg.Contracts }

// Eth is the underlying go-ethereum client, for what this package does not
// wrap.
func (c *Client) Eth() *ethclient.Client { return c.eth }

// Balance is an account's native coin balance (latest block), in wei.
func (c *Client) Balance(ctx context.Context, addr common.Address) (*big.Int, error) {
	b, err := c.eth.BalanceAt(ctx, addr, nil)
	if err != nil {
		return nil, fmt.Errorf("wallet: failed to read the balance of %s: %w", addr.Hex(), err)
	}
	return b, nil
}

// instance is a contract at addr with the given ABI, bound to this client.
func (c *Client) instance(a *abi.ABI, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, *a, c.eth, c.eth, c.eth)
}

// call runs a view function and unpacks its result, decoding a revert.
func call[T any](ctx context.Context, c *Client, inst *bind.BoundContract, data []byte, unpack func([]byte) (T, error)) (T, error) {
	out, err := bind.Call(inst, &bind.CallOpts{Context: ctx}, data, unpack)
	if err != nil {
		var zero T
		return zero, c.callError(err)
	}
	return out, nil
}
