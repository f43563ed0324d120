package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/veilsocial/veil/sop"
	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wasmclient/envelope"
	"github.com/veilsocial/veil/wasmclient/persona"
)

// Version is the veil version, set at build time with -ldflags.
var Version = "0.1.0-dev"

// Exit codes.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitNotForMe    = 3
	ExitBadSig      = 4
	ExitCorrupt     = 5
	ExitUnsupported = 6
	ExitLocked      = 7
)

// Env is the world a command runs in.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// OSEnv is the process's own environment.
func OSEnv() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// errUsage marks errors that are the caller's mistake in calling veil.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(env Env, args []string) error
}

func commands() []command {
	return []command{
		{"persona", "make, list, export, import, back up and restore personas; manage claims", runPersona},
		{"contact", "add, list and remove friends' public keys", runContact},
		{"encrypt", "encrypt and sign a post (stdin) to friends", runEncrypt},
		{"decrypt", "decrypt and verify a post or message (stdin)", runDecrypt},
		{"share", "let more friends read an existing post (share add)", runShare},
		{"post", "encrypt and sign a post (stdin), store it on a relay, print the feed text", runPost},
		{"read", "fetch, decrypt and verify posts from feed text, a link or a CID", runRead},
		{"keys", "publish and look up keys in a relay's directory", runKeys},
		{"watch", "follow your inboxes on a relay: new posts and shares as they arrive", runWatch},
		{"relay", "run a relay: ciphertext store, key directory, live events", runRelay},
		{"wallet", "make, import and list wallet accounts; balances; bind a persona to an account", runWallet},
		{"tip", "tip a post's author in native coin or VEIL", runTip},
		{"stake", "stake on the relay registry: register, delegate, undelegate, withdraw, claim, status", runStake},
		{"devchain", "run a local chain with Veil's contracts and funded dev accounts", runDevchain},
		{"sop", "the Stateless OpenPGP command-line interface", nil},
		{"version", "print the version", func(env Env, _ []string) error {
			fmt.Fprintln(env.Stdout, "veil", Version)
			return nil
		}},
	}
}

// Main runs veil with args (without the program name) and returns the exit
// code.
func Main(args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		mainUsage(env.Stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	if args[0] == "sop" {
		return sop.Run(args[1:], env.Stdin, env.Stdout, env.Stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(env, args[1:])
			return report(env, c.name, err)
		}
	}
	fmt.Fprintf(env.Stderr, "veil: unknown command %q\n\n", args[0])
	mainUsage(env.Stderr)
	return ExitUsage
}

func mainUsage(w io.Writer) {
	fmt.Fprintln(w, "veil: end-to-end encrypted posts for the social web (standard OpenPGP)")
	fmt.Fprintln(w, "\nUsage: veil <command> [options]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --help. Keys live in $VEIL_HOME (default ~/.veil).")
	fmt.Fprintln(w, "Passphrases come from --passphrase-file or $VEIL_PASSPHRASE.")
	fmt.Fprintln(w, "Relays: --relay URL or $VEIL_RELAY (default "+DefaultRelay+").")
}

// report prints an error and maps it to an exit code.
func report(env Env, name string, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "veil %s: %v\n", name, err)
	return ExitCode(err)
}

// ExitCode maps an error to veil's exit code.
func ExitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case errors.Is(err, envelope.ErrNotForMe):
		return ExitNotForMe
	case errors.Is(err, envelope.ErrBadSignature):
		return ExitBadSig
	case errors.Is(err, envelope.ErrCorrupt), errors.Is(err, persona.ErrInvalidKey), errors.Is(err, persona.ErrBadBackup),
		errors.Is(err, wallet.ErrBadKey):
		return ExitCorrupt
	case errors.Is(err, envelope.ErrUnsupported):
		return ExitUnsupported
	case errors.Is(err, envelope.ErrLocked), errors.Is(err, persona.ErrLocked), errors.Is(err, persona.ErrBadPassphrase),
		errors.Is(err, wallet.ErrBadPassphrase), errors.Is(err, wallet.ErrLocked):
		return ExitLocked
	}
	return ExitFailure
}

// newFlags makes a FlagSet that prints its usage to stderr and returns
// errors instead of exiting.
func newFlags(env Env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("veil "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: veil %s\n", usage)
		if hasFlags(fs) {
			fmt.Fprintln(env.Stderr, "\nOptions:")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parse parses flags and turns flag errors into usage errors. Flags may
// come after positional arguments too.
func parse(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if rest[0] == "--" {
			pos = append(pos, rest[1:]...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// home returns the key directory.
func home(env Env, flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if h := env.Getenv("VEIL_HOME"); h != "" {
		return h, nil
	}
	uh, err := os.UserHomeDir()
	if err != nil {
		return "", errors.New("cannot find a home directory: set VEIL_HOME")
	}
	return filepath.Join(uh, ".veil"), nil
}

// openStore opens the key store.
func openStore(env Env, flagValue string) (*persona.Store, error) {
	dir, err := home(env, flagValue)
	if err != nil {
		return nil, err
	}
	ds, err := persona.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	return persona.NewStore(ds), nil
}

// passphrase reads a passphrase from a file (first line) or from the named
// environment variable. It returns nil when neither is given.
func passphrase(env Env, file, envName string) ([]byte, error) {
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		line, _, _ := strings.Cut(string(data), "\n")
		line = strings.TrimRight(line, "\r")
		if line == "" {
			return nil, fmt.Errorf("%s: empty passphrase", file)
		}
		return []byte(line), nil
	}
	if v := env.Getenv(envName); v != "" {
		return []byte(v), nil
	}
	return nil, nil
}

// input opens a file argument, "-" or "" meaning stdin.
func input(env Env, name string) (io.Reader, func(), error) {
	if name == "" || name == "-" {
		return env.Stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
