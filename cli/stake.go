package cli

import (
	"context"
	"flag"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/veilsocial/veil/wallet"
)

const stakeUsage = `stake <register|delegate|undelegate|withdraw|claim|commission|status> [options]

  register   --peer-id ID --url URL [--commission BPS] SELF_STAKE   list your relay with SELF_STAKE VEIL
  delegate   OPERATOR AMOUNT       stake AMOUNT VEIL on OPERATOR's relay
  undelegate OPERATOR AMOUNT       start unbonding; prints the entry's ID and when it is released
  withdraw   ID                    take back a released unbonding entry
  claim      OPERATOR              take your rewards from OPERATOR's relay
  commission BPS                   propose your relay's new commission (in force after the registry's delay)
  status     [ADDRESS]             the active set, and an account's relay, stakes, rewards and unbonding

Amounts are VEIL (e.g. 1000 or 2.5); the registry is the chain file's or
--registry-contract. Approvals the registry needs are sent first.`

func runStake(env Env, args []string) error {
	return subcommands(env, "stake", stakeUsage, args, map[string]func(Env, []string) error{
		"register": stakeRegister, "delegate": stakeDelegate, "undelegate": stakeUndelegate, "withdraw": stakeWithdraw,
		"claim": stakeClaim, "commission": stakeCommission, "status": stakeStatus,
	})
}

// stakeCmd is what every stake subcommand shares: its flags, the chain
// and the registry, and (for writes) the unlocked account.
type stakeCmd struct {
	sf  storeFlags
	wf  walletFlags
	cf  chainFlags
	reg *wallet.Registry
}

func newStakeCmd(env Env, name, usage string) (*stakeCmd, *flag.FlagSet) {
	sc := &stakeCmd{}
	fs := newFlags(env, "stake "+name, "stake "+usage)
	sc.sf.register(fs)
	sc.wf.register(fs)
	sc.cf.register(fs)
	return sc, fs
}

// run parses args (want positional arguments), connects, and calls f with
// the positional arguments and, when sign, the unlocked account.
func (sc *stakeCmd) run(env Env, fs *flag.FlagSet, args []string, want int, sign bool, f func(ctx context.Context, s wallet.Signer, args []string) error) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != want {
		return usagef("%s takes %d argument(s), got %d", fs.Name(), want, fs.NArg())
	}
	var s wallet.Signer
	if sign {
		var err error
		if s, err = sc.wf.signer(env, sc.sf.home); err != nil {
			return err
		}
	}
	c, ctx, done, err := dialed(env, &sc.cf)
	if err != nil {
		return err
	}
	defer done()
	if sc.reg, err = c.Registry(); err != nil {
		return err
	}
	return f(ctx, s, fs.Args())
}

func stakeRegister(env Env, args []string) error {
	sc, fs := newStakeCmd(env, "register", "register --peer-id ID --url URL [--commission BPS] SELF_STAKE")
	peerID := fs.String("peer-id", "", "the relay's libp2p peer ID")
	url := fs.String("url", "", "the relay's public URL")
	commission := fs.Uint("commission", 0, "the operator's share of rewards, in basis points (500 = 5%)")
	return sc.run(env, fs, args, 1, true, func(ctx context.Context, s wallet.Signer, a []string) error {
		stake, err := amountArg("self-stake", a[0])
		if err != nil {
			return err
		}
		if *peerID == "" || *url == "" {
			return usagef("--peer-id and --url are required")
		}
		if *commission > 10_000 {
			return usagef("--commission: %d bps is more than 100%%", *commission)
		}
		if _, err := sc.reg.Register(ctx, s, *peerID, *url, uint16(*commission), stake); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "registered %s (%s) for %s with %s VEIL of its own\n", *peerID, *url, s.Address().Hex(), wallet.FormatAmount(stake))
		return nil
	})
}

func stakeDelegate(env Env, args []string) error {
	sc, fs := newStakeCmd(env, "delegate", "delegate OPERATOR AMOUNT")
	return sc.run(env, fs, args, 2, true, func(ctx context.Context, s wallet.Signer, a []string) error {
		op, amount, err := operatorAmount(a)
		if err != nil {
			return err
		}
		if _, err := sc.reg.Delegate(ctx, s, op, amount); err != nil {
			return err
		}
		stake, err := sc.reg.StakeOf(ctx, op, s.Address())
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "delegated %s VEIL to %s; your stake there is %s VEIL\n", wallet.FormatAmount(amount), op.Hex(), wallet.FormatAmount(stake))
		return nil
	})
}

func stakeUndelegate(env Env, args []string) error {
	sc, fs := newStakeCmd(env, "undelegate", "undelegate OPERATOR AMOUNT")
	return sc.run(env, fs, args, 2, true, func(ctx context.Context, s wallet.Signer, a []string) error {
		op, amount, err := operatorAmount(a)
		if err != nil {
			return err
		}
		u, err := sc.reg.Undelegate(ctx, s, op, amount)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "unbonding %s VEIL from %s: entry %s, released at %s (veil stake withdraw %s)\n",
			wallet.FormatAmount(u.Amount), op.Hex(), u.ID, u.ReleaseTime.UTC().Format(time.RFC3339), u.ID)
		return nil
	})
}

func stakeWithdraw(env Env, args []string) error {
	sc, fs := newStakeCmd(env, "withdraw", "withdraw ID")
	return sc.run(env, fs, args, 1, true, func(ctx context.Context, s wallet.Signer, a []string) error {
		id, ok := new(big.Int).SetString(a[0], 10)
		if !ok || id.Sign() <= 0 {
			return usagef("withdraw: %q is not an unbonding entry ID (1, 2, …)", a[0])
		}
		paid, err := sc.reg.Withdraw(ctx, s, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "withdrew %s VEIL (entry %s)\n", wallet.FormatAmount(paid), id)
		return nil
	})
}

func stakeClaim(env Env, args []string) error {
	sc, fs := newStakeCmd(env, "claim", "claim OPERATOR")
	return sc.run(env, fs, args, 1, true, func(ctx context.Context, s wallet.Signer, a []string) error {
		op, err := addressArg("operator", a[0])
		if err != nil {
			return err
		}
		paid, err := sc.reg.Claim(ctx, s, op)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "claimed %s VEIL of rewards from %s\n", wallet.FormatAmount(paid), op.Hex())
		return nil
	})
}

func stakeCommission(env Env, args []string) error {
	sc, fs := newStakeCmd(env, "commission", "commission BPS")
	return sc.run(env, fs, args, 1, true, func(ctx context.Context, s wallet.Signer, a []string) error {
		bps, err := strconv.ParseUint(a[0], 10, 16)
		if err != nil || bps > 10_000 {
			return usagef("commission: %q is not a number of basis points from 0 to 10000", a[0])
		}
		at, err := sc.reg.ProposeCommission(ctx, s, uint16(bps))
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "commission %d bps from %s\n", bps, at.UTC().Format(time.RFC3339))
		return nil
	})
}

func stakeStatus(env Env, args []string) error {
	sc, fs := newStakeCmd(env, "status", "status [ADDRESS]   (default: your account)")
	fromBlock := fs.Int64("from-block", -1, "first block to read the registry's events from (default: the chain file's deployBlock, else 0)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var addr common.Address
	var err error
	switch fs.NArg() {
	case 0:
		if _, addr, err = sc.wf.account(env, sc.sf.home); err != nil {
			return err
		}
	case 1:
		if addr, err = addressArg("status", fs.Arg(0)); err != nil {
			return err
		}
	default:
		return usagef("status takes one address")
	}
	c, ctx, done, err := dialed(env, &sc.cf)
	if err != nil {
		return err
	}
	defer done()
	reg, err := c.Registry()
	if err != nil {
		return err
	}
	p, err := reg.Params(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "registry %s on chain %s: minimum self-stake %s VEIL, unbonding %v, commission delay %v, active set of %d\n",
		reg.Address().Hex(), c.ChainID(), wallet.FormatAmount(p.MinSelfStake), p.UnbondingDelay, p.CommissionDelay, p.ActiveSetSize)
	set, err := reg.ActiveSet(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "active set (%d):\n", len(set))
	for i, r := range set {
		fmt.Fprintf(env.Stdout, "  %2d. %s %s VEIL  %s  %s\n", i+1, r.Operator.Hex(), wallet.FormatAmount(r.Stake), r.PeerID, r.URL)
	}
	fmt.Fprintf(env.Stdout, "account %s:\n", addr.Hex())
	info, err := reg.RelayInfo(ctx, addr)
	if err != nil {
		return err
	}
	if info.Registered {
		fmt.Fprintf(env.Stdout, "  relay %s  %s: stake %s VEIL (self %s), commission %d bps", info.PeerID, info.URL,
			wallet.FormatAmount(info.TotalStake), wallet.FormatAmount(info.SelfStake), info.CommissionBps)
		if !info.PendingCommissionAt.IsZero() {
			fmt.Fprintf(env.Stdout, ", %d bps from %s", info.PendingCommissionBps, info.PendingCommissionAt.UTC().Format(time.RFC3339))
		}
		fmt.Fprintln(env.Stdout)
	}
	from := c.FromBlock()
	if *fromBlock >= 0 {
		from = uint64(*fromBlock)
	}
	ops, err := reg.DelegatedTo(ctx, addr, from)
	if err != nil {
		return err
	}
	if info.Registered {
		ops = append([]common.Address{addr}, ops...)
	}
	seen := map[common.Address]bool{}
	for _, op := range ops {
		if seen[op] {
			continue
		}
		seen[op] = true
		stake, err := reg.StakeOf(ctx, op, addr)
		if err != nil {
			return err
		}
		rewards, err := reg.PendingRewards(ctx, op, addr)
		if err != nil {
			return err
		}
		if stake.Sign() == 0 && rewards.Sign() == 0 {
			continue
		}
		fmt.Fprintf(env.Stdout, "  stake on %s: %s VEIL, rewards to claim %s VEIL\n", op.Hex(), wallet.FormatAmount(stake), wallet.FormatAmount(rewards))
	}
	ubs, err := reg.Unbondings(ctx, addr, from)
	if err != nil {
		return err
	}
	for _, u := range ubs {
		state := "released at " + u.ReleaseTime.UTC().Format(time.RFC3339)
		if u.Withdrawn {
			state = "withdrawn"
		}
		fmt.Fprintf(env.Stdout, "  unbonding %s: %s VEIL from %s, %s\n", u.ID, wallet.FormatAmount(u.Amount), u.Operator.Hex(), state)
	}
	return nil
}

func operatorAmount(a []string) (common.Address, *big.Int, error) {
	op, err := addressArg("operator", a[0])
	if err != nil {
		return common.Address{}, nil, err
	}
	amount, err := amountArg("amount", a[1])
	return op, amount, err
}
