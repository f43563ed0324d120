package wallet

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/veilsocial/veil/wallet/contracts"
)

// The bindings, parsed once: they hold only the ABIs.
var (
	tokenBinding    = contracts.NewVeilToken()
	tipsBinding     = contracts.NewTips()
	registryBinding = contracts.NewRelayRegistry()
)

// contractABIs are the ABIs whose custom errors a revert is decoded with.
func contractABIs() []*abi.ABI {
	var out []*abi.ABI
	for _, a := range []abi.ABI{tokenBinding.GetABI(), tipsBinding.GetABI(), registryBinding.GetABI()} {
		out = append(out, &a)
	}
	return out
}

// token returns the token to use: the one given, or VEIL for the zero address.
func (c *Client) token(token common.Address) (common.Address, error) {
	if token != (common.Address{}) {
		return token, nil
	}
	if c.cfg.Contracts.Token == (common.Address{}) {
		return common.Address{}, fmt.Errorf("%w: token", ErrNoContract)
	}
	return c.cfg.Contracts.Token, nil
}

// TokenBalance is owner's balance of an ERC-20 token; the zero address
// means VEIL.
func (c *Client) TokenBalance(ctx context.Context, token, owner common.Address) (*big.Int, error) {
	token, err := c.token(token)
	if err != nil {
		return nil, err
	}
	inst := tokenBinding.Instance(c.eth, token)
	return call(ctx, c, inst, tokenBinding.PackBalanceOf(owner), tokenBinding.UnpackBalanceOf)
}

// Allowance is what spender may move of owner's token (zero address: VEIL).
func (c *Client) Allowance(ctx context.Context, token, owner, spender common.Address) (*big.Int, error) {
	token, err := c.token(token)
	if err != nil {
		return nil, err
	}
	inst := tokenBinding.Instance(c.eth, token)
	return call(ctx, c, inst, tokenBinding.PackAllowance(owner, spender), tokenBinding.UnpackAllowance)
}

// ensureAllowance approves spender for amount of token when the allowance
// is short of it, and waits for the approval to be mined. The caller holds
// the account's spend lock, so nothing uses the allowance in between.
func (c *Client) ensureAllowance(ctx context.Context, s Signer, token, spender common.Address, amount *big.Int) error {
	have, err := c.Allowance(ctx, token, s.Address(), spender)
	if err != nil {
		return err
	}
	if have.Cmp(amount) >= 0 {
		return nil
	}
	if _, err := c.transact(ctx, s, tokenBinding.Instance(c.eth, token), nil, tokenBinding.PackApprove(spender, amount)); err != nil {
		return fmt.Errorf("approving %s to spend %s: %w", spender.Hex(), FormatAmount(amount), err)
	}
	return nil
}

// spendLock serializes an account's approve-then-spend sequences, so two
// concurrent ones do not overwrite each other's approval.
func (c *Client) spendLock(addr common.Address) func() {
	s := c.slot(addr)
	s.spend.Lock()
	return s.spend.Unlock
}

// positive checks an amount argument.
func positive(what string, amount *big.Int) error {
	if amount == nil || amount.Sign() <= 0 {
		return fmt.Errorf("%w: %s must be more than 0", ErrBadAmount, what)
	}
	return nil
}
