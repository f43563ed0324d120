package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/persona"
)

const personaUsage = `persona <new|list|export|import|backup|restore|claim> [options]

  new      --name N --email E [--claim twitter:alice] [--profile v4|v6] [--no-passphrase]
  list     list personas
  export   [--secret] [--binary] QUERY     write a key (armored) to stdout
  import   [FILE]                          import secret keys as personas, public keys as contacts
  backup   --out FILE                      one passphrase-encrypted file with every persona and contact
  restore  FILE                            bring back everything in a backup
  claim    QUERY [--remove] site:handle    add (or remove) a social claim on the key`

func runPersona(env Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.Stdout, "Usage: veil "+personaUsage)
		if len(args) == 0 {
			return usagef("missing persona subcommand")
		}
		return nil
	}
	sub := map[string]func(Env, []string) error{
		"new": personaNew, "list": personaList, "export": personaExport, "import": personaImport,
		"backup": personaBackup, "restore": personaRestore, "claim": personaClaim,
	}
	f, ok := sub[args[0]]
	if !ok {
		return usagef("unknown persona subcommand %q", args[0])
	}
	return f(env, args[1:])
}

// common flags of commands that use the key store.
type storeFlags struct {
	home           string
	passphraseFile string
}

// open parses the command line and opens the key store.
func (s *storeFlags) open(env Env, fs *flag.FlagSet, args []string) (*persona.Store, error) {
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	return openStore(env, s.home)
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.home, "home", "", "key directory (default $VEIL_HOME or ~/.veil)")
	fs.StringVar(&s.passphraseFile, "passphrase-file", "", "file whose first line is the persona passphrase (default $VEIL_PASSPHRASE)")
}

func personaNew(env Env, args []string) error {
	fs := newFlags(env, "persona new", "persona new --name NAME --email EMAIL [options]")
	var sf storeFlags
	sf.register(fs)
	name := fs.String("name", "", "display name")
	email := fs.String("email", "", "email address")
	profile := fs.String("profile", "v4", "key profile: v4 (EdDSA/Curve25519, gpg 2.2 reads it) or v6 (RFC 9580)")
	noPass := fs.Bool("no-passphrase", false, "store the secret key unprotected")
	var claims stringList
	fs.Var(&claims, "claim", "social account the key claims, site:handle (repeatable), e.g. twitter:alice")
	fs.Var(&claims, "handle", "same as --claim")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *name == "" && *email == "" {
		return usagef("--name or --email is required")
	}
	prof, err := persona.ParseProfile(*profile)
	if err != nil {
		return usagef("%v", err)
	}
	opts := persona.Options{Name: *name, Email: *email, Profile: prof}
	for _, c := range claims {
		cl, err := persona.ParseClaim(c)
		if err != nil {
			return usagef("%v", err)
		}
		opts.Claims = append(opts.Claims, cl)
	}
	var pass []byte
	if !*noPass {
		var err error
		if pass, err = passphrase(env, sf.passphraseFile, "VEIL_PASSPHRASE"); err != nil {
			return err
		}
	}
	if pass == nil && !*noPass {
		return usagef("a passphrase is required: --passphrase-file FILE or $VEIL_PASSPHRASE (or --no-passphrase)")
	}
	opts.Passphrase = pass
	st, err := openStore(env, sf.home)
	if err != nil {
		return err
	}
	p, err := persona.New(opts)
	if err != nil {
		return err
	}
	if err := st.SavePersona(p); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, p.Fingerprint())
	return nil
}

func personaList(env Env, args []string) error {
	fs := newFlags(env, "persona list", "persona list")
	var sf storeFlags
	sf.register(fs)
	st, err := sf.open(env, fs, args)
	if err != nil {
		return err
	}
	ps, err := st.Personas()
	if err != nil {
		return err
	}
	for _, p := range ps {
		state := "unprotected"
		if p.Locked() {
			state = "protected"
		}
		fmt.Fprintf(env.Stdout, "%s %s %s (%s)\n", p.Fingerprint(), p.Profile(), p.UserID(), state)
		for _, c := range p.Claims() {
			fmt.Fprintf(env.Stdout, "    claim %s  %s\n", c, c.URI())
		}
		if w, ok := p.Wallet(); ok {
			fmt.Fprintf(env.Stdout, "    wallet %s\n", w.Account)
		}
	}
	if len(ps) == 0 {
		fmt.Fprintln(env.Stderr, "no personas yet: veil persona new --name NAME --email EMAIL")
	}
	return nil
}

func personaExport(env Env, args []string) error {
	fs := newFlags(env, "persona export", "persona export [--secret] [--binary] QUERY")
	var sf storeFlags
	sf.register(fs)
	secret := fs.Bool("secret", false, "export the secret key (as stored: protected by its passphrase if it has one)")
	binary := fs.Bool("binary", false, "binary instead of ASCII armor")
	fs.Bool("public", true, "export the public key (the default)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("export takes one persona (fingerprint, email, name or handle)")
	}
	st, err := openStore(env, sf.home)
	if err != nil {
		return err
	}
	p, err := st.Persona(fs.Arg(0))
	if err != nil {
		return err
	}
	var out []byte
	switch {
	case *secret:
		out, err = p.ArmoredSecretKey()
	case *binary:
		var buf bytes.Buffer
		err = p.PublicKey(&buf)
		out = buf.Bytes()
	default:
		out, err = p.ArmoredPublicKey()
	}
	if err != nil {
		return err
	}
	if *secret && *binary {
		el, err := persona.ReadKeys(out)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := el[0].SerializePrivateWithoutSigning(&buf, nil); err != nil {
			return err
		}
		out = buf.Bytes()
	}
	_, err = env.Stdout.Write(out)
	return err
}

func personaImport(env Env, args []string) error {
	fs := newFlags(env, "persona import", "persona import [FILE]   (armored or binary; - or none for stdin)")
	var sf storeFlags
	sf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	el, err := readKeysArg(env, fs.Arg(0))
	if err != nil {
		return err
	}
	st, err := openStore(env, sf.home)
	if err != nil {
		return err
	}
	for _, e := range el {
		if e.PrivateKey != nil {
			p, err := persona.FromEntity(e)
			if err != nil {
				return err
			}
			if err := st.SavePersona(p); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "persona %s %s\n", p.Fingerprint(), p.UserID())
			continue
		}
		if err := st.AddContact(&persona.Contact{Key: e, ContactInfo: persona.ContactInfo{Source: "import"}}); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "contact %s %s\n", persona.Fingerprint(e), persona.UserID(e))
	}
	return nil
}

func personaBackup(env Env, args []string) error {
	fs := newFlags(env, "persona backup", "persona backup --out FILE")
	var sf storeFlags
	sf.register(fs)
	out := fs.String("out", "", "backup file to write (must not exist; - for stdout)")
	passFile := fs.String("backup-passphrase-file", "", "file with the backup passphrase (default $VEIL_BACKUP_PASSPHRASE, then the persona passphrase)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required")
	}
	pass, err := backupPassphrase(env, *passFile, sf.passphraseFile)
	if err != nil {
		return err
	}
	st, err := openStore(env, sf.home)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := st.Backup(&buf, pass); err != nil {
		return err
	}
	if *out == "-" {
		_, err := env.Stdout.Write(buf.Bytes())
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		os.Remove(*out)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func backupPassphrase(env Env, file, personaFile string) ([]byte, error) {
	pass, err := passphrase(env, file, "VEIL_BACKUP_PASSPHRASE")
	if err != nil || pass != nil {
		return pass, err
	}
	pass, err = passphrase(env, personaFile, "VEIL_PASSPHRASE")
	if err != nil {
		return nil, err
	}
	if pass == nil {
		return nil, usagef("a backup passphrase is required: --backup-passphrase-file FILE or $VEIL_BACKUP_PASSPHRASE")
	}
	return pass, nil
}

func personaRestore(env Env, args []string) error {
	fs := newFlags(env, "persona restore", "persona restore FILE")
	var sf storeFlags
	sf.register(fs)
	passFile := fs.String("backup-passphrase-file", "", "file with the backup passphrase (default $VEIL_BACKUP_PASSPHRASE)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("restore takes one backup file")
	}
	pass, err := backupPassphrase(env, *passFile, sf.passphraseFile)
	if err != nil {
		return err
	}
	in, done, err := input(env, fs.Arg(0))
	if err != nil {
		return err
	}
	defer done()
	st, err := openStore(env, sf.home)
	if err != nil {
		return err
	}
	rep, err := st.Restore(in, pass, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "restored %d personas and %d contacts\n", rep.Personas, rep.Contacts)
	if n := len(rep.Files); n > 0 {
		// The extension's wallets and chain settings; veil keeps wallets in
		// its keystore (veil wallet import).
		fmt.Fprintf(env.Stdout, "left out %d files of the browser extension (its wallets and chain settings)\n", n)
	}
	return nil
}

func personaClaim(env Env, args []string) error {
	fs := newFlags(env, "persona claim", "persona claim QUERY [--remove] site:handle")
	var sf storeFlags
	sf.register(fs)
	remove := fs.Bool("remove", false, "remove the claim instead of adding it")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("claim takes a persona and a claim (site:handle)")
	}
	c, err := persona.ParseClaim(fs.Arg(1))
	if err != nil {
		return usagef("%v", err)
	}
	st, err := openStore(env, sf.home)
	if err != nil {
		return err
	}
	p, err := st.Persona(fs.Arg(0))
	if err != nil {
		return err
	}
	pass, err := unlock(env, p, sf.passphraseFile)
	if err != nil {
		return err
	}
	if *remove {
		err = p.RemoveClaim(c)
	} else {
		err = p.AddClaim(c)
	}
	if err != nil {
		return err
	}
	if pass != nil {
		if err := p.Protect(pass); err != nil {
			return err
		}
	}
	if err := st.SavePersona(p); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s now claims:", p.Fingerprint())
	for _, c := range p.Claims() {
		fmt.Fprintf(env.Stdout, " %s", c)
	}
	fmt.Fprintln(env.Stdout)
	fmt.Fprintf(env.Stdout, "Put openpgp4fpr:%s in the profile's bio to complete the proof.\n", strings.ToLower(p.Fingerprint()))
	return nil
}

// unlock unlocks a protected persona with the passphrase from flags or
// environment and returns that passphrase (nil for an unprotected key).
func unlock(env Env, p *persona.Persona, passFile string) ([]byte, error) {
	if !p.Locked() {
		return nil, nil
	}
	pass, err := passphrase(env, passFile, "VEIL_PASSPHRASE")
	if err != nil {
		return nil, err
	}
	if pass == nil {
		return nil, fmt.Errorf("%w: %s needs its passphrase (--passphrase-file or $VEIL_PASSPHRASE)", persona.ErrLocked, p.Fingerprint())
	}
	if err := p.Unlock(pass); err != nil {
		if errors.Is(err, persona.ErrBadPassphrase) {
			return nil, fmt.Errorf("%w for %s", err, p.Fingerprint())
		}
		return nil, err
	}
	return pass, nil
}

// readKeysArg reads OpenPGP keys (armored or binary) from a file argument
// or stdin.
func readKeysArg(env Env, name string) (openpgp.EntityList, error) {
	in, done, err := input(env, name)
	if err != nil {
		return nil, err
	}
	defer done()
	data, err := io.ReadAll(io.LimitReader(in, 16<<20))
	if err != nil {
		return nil, err
	}
	return persona.ReadKeys(data)
}
