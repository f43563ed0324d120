package sop

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Name is how the implementation introduces itself in "sop version".
const Name = "veil-sop"

// SpecVersion is the revision of the SOP draft this package follows. The
// leading "~" says that it implements part of it (see "sop version
// --sop-spec").
const SpecVersion = "~draft-dkg-openpgp-stateless-cli-10"

// specRemarks are the lines "version --sop-spec" prints after SpecVersion.
var specRemarks = []string{
	"Implemented: version, list-profiles, generate-key, change-key-password, revoke-key, extract-cert,",
	"sign, verify, encrypt, decrypt, armor, dearmor, inline-sign, inline-verify, inline-detach.",
	"Not implemented: signing a message with more than one key in encrypt --sign-with and",
	"inline-sign --as=binary|text (one signer; detached and clear-signed signatures take many);",
	"subcommands of later drafts (merge-certs, update-key, certify-userid, validate-userid).",
}

// moduleVersions reads Veil's and go-crypto's versions from the build.
func moduleVersions() (veil, gocrypto string) {
	veil, gocrypto = "0.0.0-devel", "unknown"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if v := info.Main.Version; info.Main.Path == "github.com/veilsocial/veil" && v != "" && v != "(devel)" {
		veil = v
	}
	for _, d := range info.Deps {
		if d.Path == "github.com/ProtonMail/go-crypto" {
			gocrypto = d.Version
			if d.Replace != nil {
				gocrypto = d.Replace.Version
			}
		}
	}
	return
}

func runVersion(inv *invocation, args []string) error {
	fs := inv.flags()
	backend := fs.Bool("backend", false, "print the OpenPGP library and its version")
	extended := fs.Bool("extended", false, "print more version information")
	sopSpec := fs.Bool("sop-spec", false, "print the SOP draft this implements")
	pos, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	n := 0
	for _, b := range []bool{*backend, *extended, *sopSpec} {
		if b {
			n++
		}
	}
	if n > 1 {
		return fail(IncompatibleOptions, "--backend, --extended and --sop-spec exclude each other")
	}
	veil, gocrypto := moduleVersions()
	lib := "github.com/ProtonMail/go-crypto " + gocrypto
	var lines []string
	switch {
	case *backend:
		lines = []string{lib}
	case *sopSpec:
		lines = append([]string{SpecVersion}, specRemarks...)
	case *extended:
		lines = []string{Name + " " + veil, lib, runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, "SOP " + SpecVersion}
	default:
		lines = []string{Name + " " + veil}
	}
	_, err = fmt.Fprintln(inv.stdout, strings.Join(lines, "\n"))
	return err
}

// profile is a named set of choices for generate-key or encrypt.
type profile struct{ name, description string }

// encryptProfiles are the encrypt profiles, the default first.
var encryptProfiles = []profile{
	{"default", "SEIPDv1 (readable by GnuPG 2.2), or SEIPDv2 (AEAD) when every recipient's key asks for it"},
}

// profilesOf lists the profiles of a subcommand; ok is false for a
// subcommand that takes no --profile.
func profilesOf(subcommand string) (ps []profile, ok bool) {
	switch subcommand {
	case "generate-key":
		return keyProfiles, true
	case "encrypt":
		return encryptProfiles, true
	}
	return nil, false
}

// checkProfile fails unless name is a profile of the subcommand ("default"
// always is).
func checkProfile(subcommand, name string) error {
	ps, _ := profilesOf(subcommand)
	for _, p := range ps {
		if name == p.name || name == "default" {
			return nil
		}
	}
	return fail(UnsupportedProfile, "%s has no profile %q (see list-profiles %s)", subcommand, name, subcommand)
}

func runListProfiles(inv *invocation, args []string) error {
	fs := inv.flags()
	pos, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fail(MissingArg, "name a SUBCOMMAND")
	}
	if len(pos) > 1 {
		return fail(UnsupportedOption, "unexpected argument %q", pos[1])
	}
	if _, ok := commands[pos[0]]; !ok {
		return fail(UnsupportedSubcommand, "%s is not a supported subcommand", pos[0])
	}
	ps, ok := profilesOf(pos[0])
	if !ok {
		return fail(UnsupportedProfile, "%s takes no --profile", pos[0])
	}
	for _, p := range ps {
		if _, err := fmt.Fprintf(inv.stdout, "%s: %s\n", p.name, p.description); err != nil {
			return err
		}
	}
	return nil
}
