package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/veilsocial/veil/wasmclient/persona"
	"github.com/veilsocial/veil/wasmclient/relayclient"
)

const keysUsage = `keys <publish|lookup> [options]

  publish [QUERY]                             publish a persona's public key in the relay's directory
  lookup  [--import] FPR|KEYID|EMAIL|site:handle   find keys in the relay's directory (--import adds them as contacts)

The relay is --relay URL, else $VEIL_RELAY, else ` + DefaultRelay + `.
What a directory says about a key (emails, handles) is the key's own claim:
nobody checked it.`

func runKeys(env Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.Stdout, "Usage: veil "+keysUsage)
		if len(args) == 0 {
			return usagef("missing keys subcommand")
		}
		return nil
	}
	switch args[0] {
	case "publish":
		return keysPublish(env, args[1:])
	case "lookup":
		return keysLookup(env, args[1:])
	}
	return usagef("unknown keys subcommand %q", args[0])
}

func keysPublish(env Env, args []string) error {
	fs := newFlags(env, "keys publish", "keys publish [--relay URL] [QUERY]   (the persona; default: the only one)")
	var sf storeFlags
	sf.register(fs)
	var rf relayFlags
	rf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usagef("publish takes one persona")
	}
	st, err := openStore(env, sf.home)
	if err != nil {
		return err
	}
	p, err := author(st, fs.Arg(0))
	if err != nil {
		return err
	}
	pub, err := p.ArmoredPublicKey()
	if err != nil {
		return err
	}
	c, err := rf.client(env, "")
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(requestTimeout)
	defer cancel()
	res, err := c.PublishKey(ctx, pub)
	if err != nil {
		return fmt.Errorf("publishing %s on %s: %w", p.Fingerprint(), c.BaseURL(), err)
	}
	for _, k := range res.Keys {
		fmt.Fprintf(env.Stdout, "%s %s\n", k.Fingerprint, k.Status)
	}
	for _, r := range res.Rejected {
		fmt.Fprintf(env.Stderr, "veil: %s rejected: %s\n", r.Fingerprint, r.Reason)
	}
	return nil
}

// keyQuery reads what the user looks a key up by: a fingerprint (40 or 64
// hex digits), a key ID (16), an email, or a handle (site:handle, @handle,
// a profile URL).
func keyQuery(s string) (relayclient.Query, error) {
	s = strings.TrimSpace(s)
	h := strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	h = strings.TrimPrefix(h, "0X")
	if isHexString(h) {
		switch len(h) {
		case 40, 64:
			return relayclient.Query{Fingerprint: h}, nil
		case 16:
			return relayclient.Query{KeyID: h}, nil
		}
	}
	if strings.Contains(s, "@") && !strings.HasPrefix(s, "@") && !strings.Contains(s, "://") {
		return relayclient.Query{Email: strings.Trim(s, "<>")}, nil
	}
	if _, err := persona.ParseClaim(s); err == nil {
		return relayclient.Query{Handle: s}, nil
	}
	return relayclient.Query{}, usagef("look keys up by fingerprint, 16-digit key ID, email or site:handle, not %q", s)
}

func isHexString(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789ABCDEF", r) {
			return false
		}
	}
	return true
}

func keysLookup(env Env, args []string) error {
	fs := newFlags(env, "keys lookup", "keys lookup [--import] [--relay URL] FPR|KEYID|EMAIL|site:handle")
	var sf storeFlags
	sf.register(fs)
	var rf relayFlags
	rf.register(fs)
	imp := fs.Bool("import", false, "add the keys found as contacts")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("lookup takes one query")
	}
	q, err := keyQuery(fs.Arg(0))
	if err != nil {
		return err
	}
	c, err := rf.client(env, "")
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(requestTimeout)
	defer cancel()
	recs, err := c.LookupKeys(ctx, q)
	if err != nil {
		return fmt.Errorf("looking up %s on %s: %w", fs.Arg(0), c.BaseURL(), err)
	}
	if len(recs) == 0 {
		return fmt.Errorf("%w: no key for %s on %s", persona.ErrNotFound, fs.Arg(0), c.BaseURL())
	}
	var st *persona.Store
	if *imp {
		if st, err = openStore(env, sf.home); err != nil {
			return err
		}
	}
	for _, r := range recs {
		state := ""
		if r.Revoked {
			state = " revoked"
		}
		fmt.Fprintf(env.Stdout, "%s created %s%s\n", persona.Fingerprint(r.Key), r.Key.PrimaryKey.CreationTime.UTC().Format("2006-01-02"), state)
		uids := make([]string, 0, len(r.Key.Identities))
		for name := range r.Key.Identities {
			uids = append(uids, name)
		}
		sort.Strings(uids)
		for _, uid := range uids {
			fmt.Fprintf(env.Stdout, "    uid    %s\n", uid)
		}
		for _, cl := range persona.Claims(r.Key) {
			fmt.Fprintf(env.Stdout, "    claim  %s  %s (unverified)\n", cl, cl.URI())
		}
		if st != nil {
			if err := st.AddContact(&persona.Contact{Key: r.Key, ContactInfo: persona.ContactInfo{Source: "directory", Note: "from " + c.BaseURL()}}); err != nil {
				return err
			}
			fmt.Fprintf(env.Stderr, "veil: added contact %s %s\n", persona.Fingerprint(r.Key), persona.UserID(r.Key))
		}
	}
	return nil
}
