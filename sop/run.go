package sop

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Run executes one SOP subcommand. args start after "sop", e.g.
// {"encrypt", "--as=text", "bob.cert"}. The data a subcommand consumes is
// read from stdin and what it produces is written to stdout; diagnostics go
// to stderr. The result is the exit code the specification defines.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	if len(args) == 0 {
		printTopUsage(stderr)
		return int(MissingArg)
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "--help", "-help":
		printTopUsage(stdout)
		return 0
	case "help":
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			printTopUsage(stdout)
			return 0
		}
		name, rest = rest[0], []string{"--help"}
	}
	cmd, ok := commands[name]
	if !ok {
		code := UnsupportedSubcommand
		if strings.HasPrefix(name, "-") {
			code = UnsupportedOption
		}
		fmt.Fprintf(stderr, "sop: %s is not a supported subcommand [%v]\n", name, code)
		return int(code)
	}
	inv := &invocation{cmd: cmd, stdin: stdin, stdout: stdout, stderr: stderr}
	err := cmd.run(inv, rest)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "sop %s: %v\n", name, err)
	}
	return int(codeOf(err))
}

// command is one subcommand.
type command struct {
	name     string
	synopsis string // positional arguments, e.g. "[--] KEYS..."
	summary  string
	run      func(inv *invocation, args []string) error
}

// commands is filled in by init to break the reference cycle between the
// table and the help subcommand.
var commands map[string]*command

func init() {
	commands = map[string]*command{}
	for _, c := range []*command{
		{"version", "", "Print version information", runVersion},
		{"list-profiles", "SUBCOMMAND", "List the profiles a subcommand accepts", runListProfiles},
		{"generate-key", "[--] [USERID...]", "Generate a secret key", runGenerateKey},
		{"change-key-password", "", "Change or remove the password of secret keys", runChangeKeyPassword},
		{"revoke-key", "", "Make revocation certificates for secret keys", runRevokeKey},
		{"extract-cert", "", "Extract certificates from secret keys", runExtractCert},
		{"sign", "[--] KEYS...", "Create detached signatures", runSign},
		{"verify", "[--] SIGNATURES CERTS...", "Verify detached signatures", runVerify},
		{"encrypt", "[--] [CERTS...]", "Encrypt a message", runEncrypt},
		{"decrypt", "[--] [KEYS...]", "Decrypt a message", runDecrypt},
		{"armor", "", "Add ASCII armor", runArmor},
		{"dearmor", "", "Remove ASCII armor", runDearmor},
		{"inline-sign", "[--] KEYS...", "Create an inline-signed message", runInlineSign},
		{"inline-verify", "[--] CERTS...", "Verify an inline-signed message", runInlineVerify},
		{"inline-detach", "", "Split the signatures from an inline-signed message", runInlineDetach},
	} {
		commands[c.name] = c
	}
}

func printTopUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: sop SUBCOMMAND [OPTIONS] [ARGS]\n\n")
	fmt.Fprintf(w, "Stateless OpenPGP (draft-dkg-openpgp-stateless-cli) on Veil's client core.\n\nSubcommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-20s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun \"sop SUBCOMMAND --help\" for a subcommand's options.\n")
}

// invocation is one run of a subcommand with its standard streams.
type invocation struct {
	cmd    *command
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// flags starts the flag set of the invocation's subcommand. Errors are
// reported by parse, not printed by the flag package.
func (inv *invocation) flags() *flag.FlagSet {
	fs := flag.NewFlagSet(inv.cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses args with fs. Options and positional arguments may be
// interleaved; "--" ends the options. It prints the usage and returns
// errHelp for -h/--help, and maps flag errors to exit codes.
func (inv *invocation) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				inv.usage(fs, inv.stdout)
				return nil, errHelp
			}
			// The flag package spells options with one dash.
			msg := strings.Replace(err.Error(), ": -", ": --", 1)
			if strings.Contains(msg, "needs an argument") {
				return nil, fail(MissingArg, "%s", msg)
			}
			return nil, fail(UnsupportedOption, "%s", msg)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// usage prints the subcommand's synopsis and options.
func (inv *invocation) usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, "Usage: sop %s [OPTIONS] %s\n\n%s.\n", inv.cmd.name, inv.cmd.synopsis, inv.cmd.summary)
	var lines [][2]string
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		opt := "--" + f.Name
		if name != "" {
			opt += "=" + name
		}
		lines = append(lines, [2]string{opt, usage})
	})
	lines = append(lines, [2]string{"--help", "print this help"})
	fmt.Fprintf(w, "\nOptions:\n")
	for _, l := range lines {
		fmt.Fprintf(w, "  %-32s %s\n", l[0], l[1])
	}
}

// listFlag is an option that may be given more than once.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// noArgs fails when a subcommand that takes no positional arguments got
// some.
func noArgs(args []string) error {
	if len(args) > 0 {
		return fail(UnsupportedOption, "unexpected argument %q", args[0])
	}
	return nil
}

// sigMode is the --as option of sign and encrypt: binary or text.
type sigMode string

func parseMode(s string, allowed ...string) (sigMode, error) {
	for _, a := range allowed {
		if s == a {
			return sigMode(s), nil
		}
	}
	return "", fail(UnsupportedOption, "--as=%s: want one of %s", s, strings.Join(allowed, ", "))
}
