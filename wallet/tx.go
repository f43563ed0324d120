package wallet

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// ErrNotMined is returned when a transaction has no receipt within the
// Client's ReceiptTimeout.
var ErrNotMined = errors.New("transaction not mined in time")

// nonceSlot hands out one account's nonces. Its lock is held from choosing
// a nonce until the node has the transaction, so concurrent sends reach the
// node in nonce order and never share a nonce.
type nonceSlot struct {
	mu    sync.Mutex
	next  uint64     // the nonce after the last one this process sent
	spend sync.Mutex // held across approve-then-spend (spendLock)
}

func (c *Client) slot(addr common.Address) *nonceSlot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.nonces[addr]
	if !ok {
		s = &nonceSlot{}
		c.nonces[addr] = s
	}
	return s
}

// maxNonceRetries bounds how often a send is retried after the node says
// its nonce was taken (by another process using the same account).
const maxNonceRetries = 5

// Send signs and submits a transaction to `to` carrying value (wei, may be
// nil) and data (may be nil) and returns it once the node has it. Nothing is
// sent when the gas estimate says the call would revert: the error is a
// *RevertError.
func (c *Client) Send(ctx context.Context, s Signer, to common.Address, value *big.Int, data []byte) (*types.Transaction, error) {
	return c.send(ctx, s, c.instance(&abi.ABI{}, to), value, data)
}

// Transfer sends native coin and waits for it to be mined.
func (c *Client) Transfer(ctx context.Context, s Signer, to common.Address, amount *big.Int) (*types.Receipt, error) {
	if amount == nil || amount.Sign() <= 0 {
		return nil, fmt.Errorf("%w: a transfer needs a positive amount", ErrBadAmount)
	}
	tx, err := c.Send(ctx, s, to, amount, nil)
	if err != nil {
		return nil, err
	}
	return c.Wait(ctx, tx)
}

// transact sends a contract call and waits for its receipt.
func (c *Client) transact(ctx context.Context, s Signer, inst *bind.BoundContract, value *big.Int, data []byte) (*types.Receipt, error) {
	tx, err := c.send(ctx, s, inst, value, data)
	if err != nil {
		return nil, err
	}
	return c.Wait(ctx, tx)
}

func (c *Client) send(ctx context.Context, s Signer, inst *bind.BoundContract, value *big.Int, data []byte) (*types.Transaction, error) {
	if value == nil {
		value = new(big.Int)
	}
	from, to := s.Address(), inst.Address()
	tip, feeCap, err := c.fees(ctx)
	if err != nil {
		return nil, err
	}
	gas, err := c.estimate(ctx, ethereum.CallMsg{From: from, To: &to, Value: value, Data: data, GasFeeCap: feeCap, GasTipCap: tip})
	if err != nil {
		return nil, err
	}
	opts := &bind.TransactOpts{
		From:      from,
		Value:     value,
		GasFeeCap: feeCap,
		GasTipCap: tip,
		GasLimit:  gas,
		Context:   ctx,
		Signer: func(addr common.Address, tx *types.Transaction) (*types.Transaction, error) {
			if addr != from {
				return nil, fmt.Errorf("wallet: asked to sign for %s with %s", addr.Hex(), from.Hex())
			}
			return s.SignTx(tx, c.chainID)
		},
	}
	slot := c.slot(from)
	slot.mu.Lock()
	defer slot.mu.Unlock()
	for attempt := 0; ; attempt++ {
		pending, err := c.eth.PendingNonceAt(ctx, from)
		if err != nil {
			return nil, fmt.Errorf("wallet: failed to read the nonce of %s: %w", from.Hex(), err)
		}
		nonce := max(pending, slot.next)
		opts.Nonce = new(big.Int).SetUint64(nonce)
		tx, err := bind.Transact(inst, opts, data)
		if err == nil {
			slot.next = nonce + 1
			return tx, nil
		}
		if !nonceTaken(err) || attempt >= maxNonceRetries {
			return nil, fmt.Errorf("wallet: failed to send from %s: %w", from.Hex(), err)
		}
		slot.next = nonce + 1
	}
}

// nonceTaken reports whether a node refused a transaction because its nonce
// is already used (mined, or pending in its pool).
func nonceTaken(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "nonce too low") || strings.Contains(msg, "already known") ||
		strings.Contains(msg, "replacement transaction underpriced")
}

// fees returns the priority fee the chain suggests and a fee cap that
// survives a few blocks of rising base fee (tip + 2 × base fee).
func (c *Client) fees(ctx context.Context) (tip, feeCap *big.Int, err error) {
	tip, err = c.eth.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("wallet: failed to read the suggested priority fee: %w", err)
	}
	head, err := c.eth.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("wallet: failed to read the latest block: %w", err)
	}
	if head.BaseFee == nil {
		return nil, nil, errors.New("wallet: the chain has no EIP-1559 base fee")
	}
	feeCap = new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	return tip, feeCap, nil
}

// pendingBlock asks for the pending state (rpc.PendingBlockNumber).
var pendingBlock = big.NewInt(-1)

// estimate returns the gas msg needs plus the margin. It estimates against
// the pending state, so it sees this account's transactions not yet mined
// and a block time of now; it falls back to the latest block on a node
// without a pending state.
func (c *Client) estimate(ctx context.Context, msg ethereum.CallMsg) (uint64, error) {
	gas, err := c.eth.EstimateGasAtBlock(ctx, msg, pendingBlock)
	if err != nil && !isRevert(err) {
		gas, err = c.eth.EstimateGas(ctx, msg)
	}
	if err != nil {
		if isRevert(err) {
			return 0, c.revertError(common.Hash{}, err)
		}
		return 0, fmt.Errorf("wallet: failed to estimate gas: %w", err)
	}
	return gas + gas*uint64(c.cfg.GasMargin)/100, nil
}

// Wait waits until tx is mined, within the Client's ReceiptTimeout, and
// returns its receipt. A reverted transaction gives a *RevertError with the
// reason when the chain can tell it (by replaying the call).
func (c *Client) Wait(ctx context.Context, tx *types.Transaction) (*types.Receipt, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ReceiptTimeout)
	defer cancel()
	delay := 5 * time.Millisecond
	var lastErr error
	for {
		r, err := c.eth.TransactionReceipt(ctx, tx.Hash())
		if err == nil {
			if r.Status == types.ReceiptStatusSuccessful {
				return r, nil
			}
			return r, c.replayRevert(ctx, tx, r)
		}
		if !errors.Is(err, ethereum.NotFound) {
			lastErr = err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			if parent.Err() != nil {
				return nil, fmt.Errorf("wallet: stopped waiting for %s: %w", tx.Hash().Hex(), parent.Err())
			}
			if lastErr != nil {
				return nil, fmt.Errorf("%w: %s within %v (last error: %v)", ErrNotMined, tx.Hash().Hex(), c.cfg.ReceiptTimeout, lastErr)
			}
			return nil, fmt.Errorf("%w: %s within %v", ErrNotMined, tx.Hash().Hex(), c.cfg.ReceiptTimeout)
		case <-t.C:
		}
		delay = min(delay*2, time.Second)
	}
}

// replayRevert finds why a mined transaction reverted by running it again
// as a call on the state before its block.
func (c *Client) replayRevert(ctx context.Context, tx *types.Transaction, r *types.Receipt) error {
	from, err := types.Sender(types.LatestSignerForChainID(c.chainID), tx)
	if err != nil {
		return &RevertError{TxHash: tx.Hash()}
	}
	msg := ethereum.CallMsg{From: from, To: tx.To(), Gas: tx.Gas(), Value: tx.Value(), Data: tx.Data()}
	parent := new(big.Int).Sub(r.BlockNumber, big.NewInt(1))
	if _, err := c.eth.CallContract(ctx, msg, parent); err != nil && isRevert(err) {
		return c.revertError(tx.Hash(), err)
	}
	return &RevertError{TxHash: tx.Hash()}
}
