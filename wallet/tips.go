package wallet

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// ErrBadTip is returned for a tip that cannot be sent: no post CID, or the
// zero address as the author.
var ErrBadTip = errors.New("bad tip")

// Tip is one tip, as the Tips contract logged it.
type Tip struct {
	From, Author common.Address
	Token        common.Address // zero for native coin
	Amount       *big.Int
	CID          string
	TxHash       common.Hash
}

func (c *Client) tipsContract() (*bind.BoundContract, error) {
	if c.cfg.Contracts.Tips == (common.Address{}) {
		return nil, fmt.Errorf("%w: tips", ErrNoContract)
	}
	return tipsBinding.Instance(c.eth, c.cfg.Contracts.Tips), nil
}

func checkTip(author common.Address, cid string, amount *big.Int) error {
	if cid == "" {
		return fmt.Errorf("%w: no post CID", ErrBadTip)
	}
	if author == (common.Address{}) {
		return fmt.Errorf("%w: the author is the zero address", ErrBadTip)
	}
	return positive("a tip", amount)
}

// Tip sends amount of native coin (wei) to author for the post cid, through
// the Tips contract, and waits for it to be mined.
func (c *Client) Tip(ctx context.Context, s Signer, author common.Address, cid string, amount *big.Int) (*Tip, error) {
	if err := checkTip(author, cid, amount); err != nil {
		return nil, err
	}
	inst, err := c.tipsContract()
	if err != nil {
		return nil, err
	}
	r, err := c.transact(ctx, s, inst, amount, tipsBinding.PackTip(author, cid))
	if err != nil {
		return nil, err
	}
	return tipFromReceipt(c.cfg.Contracts.Tips, r)
}

// TipToken sends amount of an ERC-20 token (the zero address: VEIL) to
// author for the post cid: it approves the Tips contract first when the
// allowance is short, then calls tipToken, and waits for both.
func (c *Client) TipToken(ctx context.Context, s Signer, token, author common.Address, cid string, amount *big.Int) (*Tip, error) {
	if err := checkTip(author, cid, amount); err != nil {
		return nil, err
	}
	inst, err := c.tipsContract()
	if err != nil {
		return nil, err
	}
	token, err = c.token(token)
	if err != nil {
		return nil, err
	}
	defer c.spendLock(s.Address())()
	if err := c.ensureAllowance(ctx, s, token, c.cfg.Contracts.Tips, amount); err != nil {
		return nil, err
	}
	r, err := c.transact(ctx, s, inst, nil, tipsBinding.PackTipToken(token, author, amount, cid))
	if err != nil {
		return nil, err
	}
	return tipFromReceipt(c.cfg.Contracts.Tips, r)
}

// tipFromReceipt finds the Tipped event in a receipt.
func tipFromReceipt(tips common.Address, r *types.Receipt) (*Tip, error) {
	for _, l := range r.Logs {
		if l.Address != tips {
			continue
		}
		ev, err := tipsBinding.UnpackTippedEvent(l)
		if err != nil {
			continue
		}
		return &Tip{From: ev.From, Author: ev.Author, Token: ev.Token, Amount: ev.Amount, CID: ev.Cid, TxHash: r.TxHash}, nil
	}
	return nil, fmt.Errorf("wallet: transaction %s logged no tip", r.TxHash.Hex())
}

// TipTotals is what a post received.
type TipTotals struct {
	Native *big.Int // wei
	Token  *big.Int // of the token asked about (VEIL by default)
	Count  uint64   // tips in any token
}

// TipTotals reads what the post cid received in native coin and in token
// (the zero address: VEIL), and how many tips it got.
func (c *Client) TipTotals(ctx context.Context, cid string, token common.Address) (TipTotals, error) {
	inst, err := c.tipsContract()
	if err != nil {
		return TipTotals{}, err
	}
	token, err = c.token(token)
	if err != nil {
		return TipTotals{}, err
	}
	var t TipTotals
	if t.Native, err = call(ctx, c, inst, tipsBinding.PackTotalTipped(cid, common.Address{}), tipsBinding.UnpackTotalTipped); err != nil {
		return TipTotals{}, err
	}
	if t.Token, err = call(ctx, c, inst, tipsBinding.PackTotalTipped(cid, token), tipsBinding.UnpackTotalTipped); err != nil {
		return TipTotals{}, err
	}
	n, err := call(ctx, c, inst, tipsBinding.PackTipCount(cid), tipsBinding.UnpackTipCount)
	if err != nil {
		return TipTotals{}, err
	}
	t.Count = n.Uint64()
	return t, nil
}
