package cli

import (
	"context"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/veilsocial/veil/wallet"
)

const walletUsage = `wallet <new|import|list|balance|bind> [options]

  new      [--lightkdf]                        make an account; prints its address
  import   [--lightkdf] [KEYFILE | --dev NAME] add an account from a hex private key (a file, or stdin),
                                               or one of the dev chain's accounts (from the chain file)
  list                                         list the accounts
  balance  [ADDRESS]                           native coin and VEIL held (default: your account)
  bind     [PERSONA]                           bind a persona and your account both ways

Accounts are key files under $VEIL_HOME/wallet/keystore, each protected by
its passphrase: --wallet-passphrase-file FILE or $VEIL_WALLET_PASSPHRASE.
The chain is --rpc URL or $VEIL_RPC, and --chain-file FILE or
$VEIL_CHAIN_FILE (what veil devchain writes) for the contracts.`

func runWallet(env Env, args []string) error {
	return subcommands(env, "wallet", walletUsage, args, map[string]func(Env, []string) error{
		"new": walletNew, "import": walletImport, "list": walletList, "balance": walletBalance, "bind": walletBind,
	})
}

func walletNew(env Env, args []string) error {
	fs := newFlags(env, "wallet new", "wallet new [--lightkdf]")
	var sf storeFlags
	sf.register(fs)
	var wf walletFlags
	wf.register(fs)
	fs.BoolVar(&wf.lightKDF, "lightkdf", false, "protect the key with a weaker, faster KDF (dev chain accounts, tests)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("new takes no arguments")
	}
	pass, err := wf.passphrase(env)
	if err != nil {
		return err
	}
	ks, err := wf.keystore(env, sf.home)
	if err != nil {
		return err
	}
	addr, err := ks.New(pass)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, addr.Hex())
	return nil
}

func walletImport(env Env, args []string) error {
	fs := newFlags(env, "wallet import", "wallet import [--lightkdf] [KEYFILE | --dev NAME]   (a hex private key; - or none for stdin)")
	var sf storeFlags
	sf.register(fs)
	var wf walletFlags
	wf.register(fs)
	var cf chainFlags
	cf.register(fs)
	fs.BoolVar(&wf.lightKDF, "lightkdf", false, "protect the key with a weaker, faster KDF (dev chain accounts, tests)")
	dev := fs.String("dev", "", "import the dev chain account of this name (alice, bob, …) from the chain file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 || (*dev != "" && fs.NArg() > 0) {
		return usagef("import takes one key file, or --dev NAME")
	}
	var hexKey string
	if *dev != "" {
		_, info, err := cf.config(env)
		if err != nil {
			return err
		}
		if info == nil {
			return usagef("--dev needs the dev chain file: --chain-file FILE or $VEIL_CHAIN_FILE")
		}
		a, ok := info.Account(*dev)
		if !ok {
			var names []string
			for _, a := range info.Accounts {
				names = append(names, a.Name)
			}
			return usagef("the dev chain has no account %q (it has %s)", *dev, strings.Join(names, ", "))
		}
		hexKey = a.PrivateKey
	} else {
		in, done, err := input(env, fs.Arg(0))
		if err != nil {
			return err
		}
		data, err := io.ReadAll(io.LimitReader(in, 4096))
		done()
		if err != nil {
			return err
		}
		hexKey = strings.TrimSpace(string(data))
	}
	pass, err := wf.passphrase(env)
	if err != nil {
		return err
	}
	ks, err := wf.keystore(env, sf.home)
	if err != nil {
		return err
	}
	addr, err := ks.Import(hexKey, pass)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, addr.Hex())
	return nil
}

func walletList(env Env, args []string) error {
	fs := newFlags(env, "wallet list", "wallet list")
	var sf storeFlags
	sf.register(fs)
	var wf walletFlags
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("list takes no arguments")
	}
	ks, err := wf.keystore(env, sf.home)
	if err != nil {
		return err
	}
	accts := ks.Accounts()
	for _, a := range accts {
		fmt.Fprintln(env.Stdout, a.Hex())
	}
	if len(accts) == 0 {
		fmt.Fprintln(env.Stderr, "no wallet accounts yet: veil wallet new, or veil wallet import")
	}
	return nil
}

func walletBalance(env Env, args []string) error {
	fs := newFlags(env, "wallet balance", "wallet balance [ADDRESS]")
	var sf storeFlags
	sf.register(fs)
	var wf walletFlags
	wf.register(fs)
	var cf chainFlags
	cf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usagef("balance takes one address")
	}
	var addr common.Address
	var err error
	if fs.NArg() == 1 {
		if addr, err = addressArg("balance", fs.Arg(0)); err != nil {
			return err
		}
	} else if _, addr, err = wf.account(env, sf.home); err != nil {
		return err
	}
	c, ctx, done, err := dialed(env, &cf)
	if err != nil {
		return err
	}
	defer done()
	native, err := c.Balance(ctx, addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s on chain %s\n", addr.Hex(), c.ChainID())
	fmt.Fprintf(env.Stdout, "  %s native\n", wallet.FormatAmount(native))
	if c.Contracts().Token != (common.Address{}) {
		veil, err := c.TokenBalance(ctx, common.Address{}, addr)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "  %s VEIL\n", wallet.FormatAmount(veil))
	}
	return nil
}

func walletBind(env Env, args []string) error {
	fs := newFlags(env, "wallet bind", "wallet bind [PERSONA]   (default: the only persona)")
	var sf storeFlags
	sf.register(fs)
	var wf walletFlags
	wf.register(fs)
	var cf chainFlags
	cf.register(fs)
	chainID := fs.Uint64("chain-id", 0, "the chain the account is bound on (default: the chain file's, or the RPC's)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usagef("bind takes one persona")
	}
	st, err := openStore(env, sf.home)
	if err != nil {
		return err
	}
	p, err := author(st, fs.Arg(0))
	if err != nil {
		return err
	}
	id, err := bindChainID(env, &cf, *chainID)
	if err != nil {
		return err
	}
	s, err := wf.signer(env, sf.home)
	if err != nil {
		return err
	}
	pass, err := unlock(env, p, sf.passphraseFile)
	if err != nil {
		return err
	}
	if err := wallet.Bind(p, s, id); err != nil {
		return err
	}
	// Check what will be published before keeping it.
	if _, err := wallet.CheckBinding(p.Entity(), id); err != nil {
		return fmt.Errorf("the new binding does not check: %w", err)
	}
	if pass != nil {
		if err := p.Protect(pass); err != nil {
			return err
		}
	}
	if err := st.SavePersona(p); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s is bound to %s both ways\n", p.Fingerprint(), wallet.CAIP10(id, s.Address()))
	fmt.Fprintf(env.Stderr, "veil: publish the key so that others see it: veil keys publish %s\n", p.Fingerprint())
	return nil
}

// bindChainID is the chain a binding names: --chain-id, the chain file's,
// or the one the RPC endpoint reports.
func bindChainID(env Env, cf *chainFlags, flagValue uint64) (*big.Int, error) {
	if flagValue != 0 {
		return new(big.Int).SetUint64(flagValue), nil
	}
	cfg, info, err := cf.config(env)
	if err != nil {
		return nil, err
	}
	if info != nil && cf.rpc == "" && env.Getenv("VEIL_RPC") == "" {
		return new(big.Int).SetUint64(info.ChainID), nil
	}
	ctx, cancel := commandContext(requestTimeout)
	defer cancel()
	c, err := wallet.Dial(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w (or name the chain with --chain-id)", err)
	}
	defer c.Close()
	return c.ChainID(), nil
}

// dialed is a chain client and the context of the command using it.
func dialed(env Env, cf *chainFlags) (*wallet.Client, context.Context, func(), error) {
	ctx, cancel := commandContext(requestTimeout)
	c, err := cf.dial(ctx, env)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	return c, ctx, func() { c.Close(); cancel() }, nil
}
