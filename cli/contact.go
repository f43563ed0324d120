package cli

import (
	"fmt"

	"github.com/veilsocial/veil/wasmclient/persona"
)

const contactUsage = `contact <add|list|remove> [options]

  add     [--handle site:handle] [FILE]   add a friend's public key (armored or binary; stdin without FILE)
  list                                     list contacts
  remove  QUERY                            forget a contact`

func runContact(env Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.Stdout, "Usage: veil "+contactUsage)
		if len(args) == 0 {
			return usagef("missing contact subcommand")
		}
		return nil
	}
	switch args[0] {
	case "add":
		return contactAdd(env, args[1:])
	case "list":
		return contactList(env, args[1:])
	case "remove":
		return contactRemove(env, args[1:])
	}
	return usagef("unknown contact subcommand %q", args[0])
}

func contactAdd(env Env, args []string) error {
	fs := newFlags(env, "contact add", "contact add [--handle site:handle] [FILE]")
	var sf storeFlags
	sf.register(fs)
	var handles stringList
	fs.Var(&handles, "handle", "an account this key belongs to, site:handle (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	el, err := readKeysArg(env, fs.Arg(0))
	if err != nil {
		return err
	}
	info := persona.ContactInfo{Source: "import"}
	for _, h := range handles {
		c, err := persona.ParseClaim(h)
		if err != nil {
			return usagef("%v", err)
		}
		info.Handles = append(info.Handles, c)
	}
	st, err := openStore(env, sf.home)
	if err != nil {
		return err
	}
	for _, e := range el {
		if err := st.AddContact(&persona.Contact{Key: e, ContactInfo: info}); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s %s\n", persona.Fingerprint(e), persona.UserID(e))
	}
	return nil
}

func contactList(env Env, args []string) error {
	fs := newFlags(env, "contact list", "contact list")
	var sf storeFlags
	sf.register(fs)
	st, err := sf.open(env, fs, args)
	if err != nil {
		return err
	}
	cs, err := st.Contacts()
	if err != nil {
		return err
	}
	for _, c := range cs {
		fmt.Fprintf(env.Stdout, "%s %s", c.Fingerprint(), persona.UserID(c.Key))
		for _, h := range c.Handles {
			fmt.Fprintf(env.Stdout, " %s", h)
		}
		fmt.Fprintln(env.Stdout)
	}
	return nil
}

func contactRemove(env Env, args []string) error {
	fs := newFlags(env, "contact remove", "contact remove QUERY")
	var sf storeFlags
	sf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("remove takes one contact")
	}
	st, err := openStore(env, sf.home)
	if err != nil {
		return err
	}
	c, err := st.Contact(fs.Arg(0))
	if err != nil {
		return err
	}
	return st.RemoveContact(c.Fingerprint())
}
