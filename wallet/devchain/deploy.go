package devchain

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wallet/contracts"
)

// Gas limits of the setup transactions: generous (a block holds 60 M), and
// only what is used is paid.
const (
	deployGas = 10_000_000
)

// deploy deploys VeilToken, Tips and RelayRegistry from the governance
// account and mints VEIL to every account. It also returns a block no later
// than the deployment's, where scans of the contracts' events may start.
func (c *Chain) deploy(ctx context.Context) (wallet.Contracts, uint64, error) {
	ec := ethclient.NewClient(c.stack.Attach())
	defer ec.Close()
	gov := AccountKey(Governance)
	govAddr := crypto.PubkeyToAddress(gov.PublicKey)
	chainID := big.NewInt(ChainID)
	head, err := ec.HeaderByNumber(ctx, nil)
	if err != nil {
		return wallet.Contracts{}, 0, fmt.Errorf("devchain: %w", err)
	}
	tip := big.NewInt(1_000_000_000)
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	nonce := uint64(0)
	opts := func(gas uint64) *bind.TransactOpts {
		o := bind.NewKeyedTransactor(gov, chainID)
		o.Context, o.GasLimit, o.GasTipCap, o.GasFeeCap = ctx, gas, tip, feeCap
		o.Nonce = new(big.Int).SetUint64(nonce)
		nonce++
		return o
	}
	from := head.Number.Uint64() + 1
	var txs []*types.Transaction
	var names []string
	deployOne := func(name string, meta *bind.MetaData, args []byte) (common.Address, error) {
		addr, tx, err := bind.DeployContract(opts(deployGas), common.FromHex(meta.Bin), ec, args)
		if err != nil {
			return common.Address{}, fmt.Errorf("devchain: deploying %s: %w", name, err)
		}
		txs, names = append(txs, tx), append(names, "deploying "+name)
		return addr, nil
	}
	token := contracts.NewVeilToken()
	var out wallet.Contracts
	if out.Token, err = deployOne("VeilToken", &contracts.VeilTokenMetaData, token.PackConstructor("Veil", "VEIL", govAddr)); err != nil {
		return out, 0, err
	}
	if out.Tips, err = deployOne("Tips", &contracts.TipsMetaData, nil); err != nil {
		return out, 0, err
	}
	reg := contracts.NewRelayRegistry()
	regArgs := reg.PackConstructor(out.Token, govAddr, c.cfg.MinSelfStake, seconds(c.cfg.UnbondingDelay),
		seconds(c.cfg.CommissionDelay), c.cfg.MaxSlashBps, c.cfg.ActiveSetSize)
	if out.Registry, err = deployOne("RelayRegistry", &contracts.RelayRegistryMetaData, regArgs); err != nil {
		return out, 0, err
	}
	// The mints' gas is estimated once the token is there.
	if err := c.mined(ctx, ec, txs, names); err != nil {
		return out, 0, err
	}
	txs, names = nil, nil
	inst := token.Instance(ec, out.Token)
	for _, a := range c.info.Accounts {
		data := token.PackMint(a.Address, c.cfg.TokenFunds)
		gas, err := ec.EstimateGas(ctx, ethereum.CallMsg{From: govAddr, To: &out.Token, Data: data})
		if err != nil {
			return out, 0, fmt.Errorf("devchain: minting VEIL for %s: %w", a.Name, err)
		}
		tx, err := bind.Transact(inst, opts(gas*2), data)
		if err != nil {
			return out, 0, fmt.Errorf("devchain: minting VEIL for %s: %w", a.Name, err)
		}
		txs, names = append(txs, tx), append(names, "minting VEIL for "+a.Name)
	}
	return out, from, c.mined(ctx, ec, txs, names)
}

// mined seals a block and checks that every transaction succeeded.
func (c *Chain) mined(ctx context.Context, ec *ethclient.Client, txs []*types.Transaction, names []string) error {
	c.Mine()
	for i, tx := range txs {
		r, err := c.receipt(ctx, ec, tx.Hash())
		if err != nil {
			return fmt.Errorf("devchain: %s: %w", names[i], err)
		}
		if r.Status != types.ReceiptStatusSuccessful {
			return fmt.Errorf("devchain: %s failed (gas used %d of %d)", names[i], r.GasUsed, tx.Gas())
		}
	}
	return nil
}

// receipt waits (briefly: the setup block is sealed already, unless the
// miner took some of it first) for a setup transaction's receipt.
func (c *Chain) receipt(ctx context.Context, ec *ethclient.Client, h common.Hash) (*types.Receipt, error) {
	var err error
	for range 200 {
		var r *types.Receipt
		if r, err = ec.TransactionReceipt(ctx, h); err == nil {
			return r, nil
		}
		c.poke()
		time.Sleep(5 * time.Millisecond)
	}
	return nil, fmt.Errorf("no receipt: %w", err)
}

func seconds(d time.Duration) uint64 { return uint64(d / time.Second) }
