package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/veilsocial/veil/wallet"
)

// DefaultRPC is the chain the wallet commands use without --rpc,
// $VEIL_RPC or a chain file: a `veil devchain` on this machine.
const DefaultRPC = "http://127.0.0.1:8545"

// chainFlags are the options of the commands that talk to a chain.
type chainFlags struct {
	rpc                   string
	file                  string
	token, tips, registry string
}

func (c *chainFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.rpc, "rpc", "", "chain JSON-RPC URL (default $VEIL_RPC, the chain file's, or "+DefaultRPC+")")
	fs.StringVar(&c.file, "chain-file", "", "dev chain file (veil devchain --out) with the RPC URL and contract addresses (default $VEIL_CHAIN_FILE)")
	fs.StringVar(&c.token, "token-contract", "", "VEIL token contract address (overrides the chain file)")
	fs.StringVar(&c.tips, "tips-contract", "", "Tips contract address (overrides the chain file)")
	fs.StringVar(&c.registry, "registry-contract", "", "RelayRegistry contract address (overrides the chain file)")
}

// config resolves the chain settings: flags, then environment, then the
// chain file, then the defaults. It also returns the chain file, if any.
func (c *chainFlags) config(env Env) (wallet.Config, *wallet.ChainInfo, error) {
	var cfg wallet.Config
	var info *wallet.ChainInfo
	file := c.file
	if file == "" {
		file = env.Getenv("VEIL_CHAIN_FILE")
	}
	if file != "" {
		var err error
		if info, err = wallet.LoadChainInfo(file); err != nil {
			return cfg, nil, err
		}
		cfg.RPC, cfg.Contracts, cfg.FromBlock = info.RPC, info.Contracts, info.DeployBlock
	}
	switch {
	case c.rpc != "":
		cfg.RPC = c.rpc
	case env.Getenv("VEIL_RPC") != "":
		cfg.RPC = env.Getenv("VEIL_RPC")
	case cfg.RPC == "":
		cfg.RPC = DefaultRPC
	}
	for _, o := range []struct {
		flag, value string
		dst         *common.Address
	}{{"--token-contract", c.token, &cfg.Contracts.Token}, {"--tips-contract", c.tips, &cfg.Contracts.Tips}, {"--registry-contract", c.registry, &cfg.Contracts.Registry}} {
		if o.value == "" {
			continue
		}
		if !wallet.IsAddress(o.value) {
			return cfg, nil, usagef("%s: %q is not an address", o.flag, o.value)
		}
		*o.dst = common.HexToAddress(o.value)
	}
	return cfg, info, nil
}

// dial connects to the chain.
func (c *chainFlags) dial(ctx context.Context, env Env) (*wallet.Client, error) {
	cfg, _, err := c.config(env)
	if err != nil {
		return nil, err
	}
	return wallet.Dial(ctx, cfg)
}

// walletFlags pick and unlock the account that pays.
type walletFlags struct {
	from           string
	passphraseFile string
	lightKDF       bool
}

func (w *walletFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&w.from, "from", "", "the wallet account to use (default: the only one in the keystore)")
	fs.StringVar(&w.passphraseFile, "wallet-passphrase-file", "", "file whose first line is the wallet account's passphrase (default $VEIL_WALLET_PASSPHRASE)")
}

// keystore opens the wallet's keystore under the Veil home.
func (w *walletFlags) keystore(env Env, homeFlag string) (*wallet.Keystore, error) {
	dir, err := home(env, homeFlag)
	if err != nil {
		return nil, err
	}
	kdf := wallet.StandardKDF
	if w.lightKDF {
		kdf = wallet.LightKDF
	}
	return wallet.OpenKeystore(wallet.KeystoreDir(dir), kdf)
}

// passphrase is the wallet passphrase for a new key; a missing one is a
// usage error.
func (w *walletFlags) passphrase(env Env) (string, error) {
	pass, err := passphrase(env, w.passphraseFile, "VEIL_WALLET_PASSPHRASE")
	if err != nil {
		return "", err
	}
	if pass == nil {
		return "", usagef("a wallet passphrase is required: --wallet-passphrase-file FILE or $VEIL_WALLET_PASSPHRASE")
	}
	return string(pass), nil
}

// account picks the account --from names (or the only one).
func (w *walletFlags) account(env Env, homeFlag string) (*wallet.Keystore, common.Address, error) {
	ks, err := w.keystore(env, homeFlag)
	if err != nil {
		return nil, common.Address{}, err
	}
	if w.from != "" && !wallet.IsAddress(w.from) {
		return nil, common.Address{}, usagef("--from: %q is not an address", w.from)
	}
	addr, err := ks.Account(w.from)
	if err != nil {
		if errors.Is(err, wallet.ErrNoAccount) && w.from == "" && len(ks.Accounts()) == 0 {
			return nil, common.Address{}, fmt.Errorf("%w: make one with veil wallet new, or veil wallet import", err)
		}
		return nil, common.Address{}, err
	}
	return ks, addr, nil
}

// signer unlocks the account --from names (or the only one).
func (w *walletFlags) signer(env Env, homeFlag string) (wallet.Signer, error) {
	ks, addr, err := w.account(env, homeFlag)
	if err != nil {
		return nil, err
	}
	pass, err := passphrase(env, w.passphraseFile, "VEIL_WALLET_PASSPHRASE")
	if err != nil {
		return nil, err
	}
	if pass == nil {
		return nil, fmt.Errorf("%w: %s needs its passphrase (--wallet-passphrase-file or $VEIL_WALLET_PASSPHRASE)", wallet.ErrLocked, addr.Hex())
	}
	return ks.Unlock(addr, string(pass))
}

// amountArg reads an amount argument ("1.5" whole units).
func amountArg(what, s string) (*big.Int, error) {
	n, err := wallet.ParseAmount(s)
	if err != nil {
		return nil, usagef("%s: %v", what, err)
	}
	if n.Sign() == 0 {
		return nil, usagef("%s: must be more than 0", what)
	}
	return n, nil
}

// addressArg reads an address argument.
func addressArg(what, s string) (common.Address, error) {
	if !wallet.IsAddress(s) {
		return common.Address{}, usagef("%s: %q is not an address (0x and 40 hex digits)", what, s)
	}
	return common.HexToAddress(s), nil
}

// subcommands runs one of a command's subcommands.
func subcommands(env Env, name, usage string, args []string, sub map[string]func(Env, []string) error) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.Stdout, "Usage: veil "+usage)
		if len(args) == 0 {
			return usagef("missing %s subcommand", name)
		}
		return nil
	}
	f, ok := sub[args[0]]
	if !ok {
		return usagef("unknown %s subcommand %q (%s)", name, args[0], strings.Join(slices.Sorted(maps.Keys(sub)), ", "))
	}
	return f(env, args[1:])
}
