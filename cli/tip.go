package cli

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/post"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

const tipUsage = `tip [options] POST AMOUNT [TOKEN]
       veil tip --totals [options] POST

Tips a post's author: AMOUNT (e.g. 1.5) of the chain's native coin, or of
TOKEN: "veil" for the VEIL token, or an ERC-20 contract address. POST is the
feed text, a link or a CID. The post is read (so you must be able to) and
its author's key must bind a wallet account both ways (veil wallet bind):
tips go to no other address. The key comes from your contacts, or from the
relay's directory, which holds the latest one.`

func runTip(env Env, args []string) error {
	fs := newFlags(env, "tip", tipUsage)
	var sf storeFlags
	sf.register(fs)
	var rf relayFlags
	rf.register(fs)
	var wf walletFlags
	wf.register(fs)
	var cf chainFlags
	cf.register(fs)
	totalsOnly := fs.Bool("totals", false, "only show what the post has received")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *totalsOnly {
		if fs.NArg() != 1 {
			return usagef("tip --totals takes one post")
		}
	} else if fs.NArg() < 2 || fs.NArg() > 3 {
		return usagef("tip takes a post, an amount and optionally a token (veil or an address)")
	}
	var amount *big.Int
	var token common.Address
	native := true
	if !*totalsOnly {
		var err error
		if amount, err = amountArg("amount", fs.Arg(1)); err != nil {
			return err
		}
		switch t := fs.Arg(2); {
		case t == "":
		case strings.EqualFold(t, "veil"):
			native = false
		case wallet.IsAddress(t):
			native, token = false, common.HexToAddress(t)
		default:
			return usagef("token: %q is neither veil nor a contract address", t)
		}
	}
	ctx, cancel := commandContext(requestTimeout)
	defer cancel()
	target, err := post.ParseTarget(ctx, fs.Arg(0))
	if err != nil {
		return usagef("%q names no post: %v", fs.Arg(0), err)
	}
	c, err := cf.dial(ctx, env)
	if err != nil {
		return err
	}
	defer c.Close()
	cid := target.CID.String()
	if *totalsOnly {
		return printTotals(ctx, env, c, cid, token)
	}

	author, authorAddr, err := tipRecipient(ctx, env, &sf, &rf, c.ChainID(), target)
	if err != nil {
		return err
	}
	s, err := wf.signer(env, sf.home)
	if err != nil {
		return err
	}
	var tip *wallet.Tip
	unit := "native"
	if native {
		tip, err = c.Tip(ctx, s, authorAddr, cid, amount)
	} else {
		unit = "VEIL"
		if token != (common.Address{}) && token != c.Contracts().Token {
			unit = "of " + token.Hex()
		}
		tip, err = c.TipToken(ctx, s, token, authorAddr, cid, amount)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "tipped %s %s to %s (%s) for %s\n", wallet.FormatAmount(tip.Amount), unit, authorAddr.Hex(), author, cid)
	fmt.Fprintf(env.Stdout, "transaction %s\n", tip.TxHash.Hex())
	return printTotals(ctx, env, c, cid, token)
}

// printTotals prints what a post has received.
func printTotals(ctx context.Context, env Env, c *wallet.Client, cid string, token common.Address) error {
	t, err := c.TipTotals(ctx, cid, token)
	if err != nil {
		return err
	}
	name := "VEIL"
	if token != (common.Address{}) && token != c.Contracts().Token {
		name = "of " + token.Hex()
	}
	fmt.Fprintf(env.Stdout, "%s has received %s native and %s %s in %d tips\n", cid, wallet.FormatAmount(t.Native), wallet.FormatAmount(t.Token), name, t.Count)
	return nil
}

// errNotBound: a post's author has bound no wallet account both ways on the
// chain, so there is nobody to tip.
var errNotBound = errors.New("the author has no wallet bound both ways on this chain")

// tipRecipient reads the post and returns its author's fingerprint and the
// account the author's key binds two-way on chainID.
func tipRecipient(ctx context.Context, env Env, sf *storeFlags, rf *relayFlags, chainID *big.Int, t post.Target) (string, common.Address, error) {
	st, err := openStore(env, sf.home)
	if err != nil {
		return "", common.Address{}, err
	}
	kr, err := keyring(env, st, sf.passphraseFile, "")
	if err != nil {
		return "", common.Address{}, err
	}
	rc, err := rf.client(env, t.Relay)
	if err != nil {
		return "", common.Address{}, err
	}
	o, err := post.Read(ctx, rc, t, post.ReadOptions{Keyring: kr, FetchKey: true})
	if err != nil {
		return "", common.Address{}, fmt.Errorf("reading %s: %w", t.Display, err)
	}
	sig := o.Post.Signature
	if sig.Status != envelope.SigGood || sig.Signer == nil {
		return "", common.Address{}, fmt.Errorf("%w: %s has no good signature by a key the relay's directory knows (%s)", envelope.ErrBadSignature, t.Display, sig.Status)
	}
	author := persona.Fingerprint(sig.Signer)
	addr, err := wallet.CheckBinding(sig.Signer, chainID)
	if err == nil {
		return author, addr, nil
	}
	// The key at hand may predate the binding: the directory has the latest.
	if latest, lerr := latestKey(ctx, rc, sig.Signer); lerr == nil {
		if addr, err = wallet.CheckBinding(latest, chainID); err == nil {
			return author, addr, nil
		}
	}
	return author, common.Address{}, fmt.Errorf("%w: %s: %v", errNotBound, author, err)
}

// latestKey merges what the relay's directory has of a key into it.
func latestKey(ctx context.Context, rc *relayclient.Client, e *openpgp.Entity) (*openpgp.Entity, error) {
	fpr := persona.Fingerprint(e)
	recs, err := rc.LookupKeys(ctx, relayclient.Query{Fingerprint: fpr})
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if persona.Fingerprint(r.Key) == fpr {
			return persona.Merge(e, r.Key)
		}
	}
	return nil, persona.ErrNotFound
}
