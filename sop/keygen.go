package sop

import (
	"bytes"
	"crypto"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/persona"
)

// userID is a USERID argument split the way go-crypto writes user IDs:
// "name (comment) <email>", each part optional.
type userID struct{ name, comment, email string }

// splitUserID splits s into its parts. ok is false when go-crypto could
// not write s back exactly (it refuses "()<>" inside the parts).
func splitUserID(s string) (u userID, ok bool) {
	rest := s
	if strings.HasSuffix(rest, ">") {
		if i := strings.LastIndex(rest, "<"); i >= 0 {
			u.email = rest[i+1 : len(rest)-1]
			rest = strings.TrimSuffix(rest[:i], " ")
		}
	}
	if strings.HasSuffix(rest, ")") {
		if i := strings.LastIndex(rest, "("); i >= 0 {
			u.comment = rest[i+1 : len(rest)-1]
			rest = strings.TrimSuffix(rest[:i], " ")
		}
	}
	u.name = rest
	id := packet.NewUserId(u.name, u.comment, u.email)
	return u, id != nil && id.Id == s
}

// keyProfiles are the generate-key profiles, the default first.
var keyProfiles = []profile{
	{"default", "a Veil persona: v4 key, EdDSA (Ed25519) primary and Curve25519 encryption subkey; readable by GnuPG 2.2"},
	{"rfc9580", "an RFC 9580 v6 key (Ed25519 primary, X25519 subkey) that asks for AEAD (SEIPDv2); GnuPG 2.2 cannot read it"},
}

// keyProfile maps a generate-key profile name to a persona profile.
func keyProfile(name string) (persona.Profile, error) {
	switch name {
	case "", "default", "rfc4880":
		return persona.ProfileV4, nil
	case "rfc9580":
		return persona.ProfileV6, nil
	}
	return 0, fail(UnsupportedProfile, "generate-key has no profile %q (see list-profiles generate-key)", name)
}

// userIDConfig is the configuration user IDs beyond the first are
// self-signed with: persona's algorithm preferences for the profile.
func userIDConfig(p persona.Profile) *packet.Config {
	c := &packet.Config{
		DefaultHash:            crypto.SHA512,
		DefaultCipher:          packet.CipherAES256,
		DefaultCompressionAlgo: packet.CompressionNone,
	}
	if p == persona.ProfileV6 {
		c.V6Keys = true
		c.AEADConfig = &packet.AEADConfig{DefaultMode: packet.AEADModeOCB}
	}
	return c
}

func runGenerateKey(inv *invocation, args []string) error {
	fs := inv.flags()
	noArmor := fs.Bool("no-armor", false, "write a binary key")
	keyPassword := fs.String("with-key-password", "", "protect the key with `PASSWORD`")
	profileName := fs.String("profile", "default", "key `PROFILE` (see list-profiles generate-key)")
	signingOnly := fs.Bool("signing-only", false, "make a key that can sign but not decrypt")
	uidArgs, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	prof, err := keyProfile(*profileName)
	if err != nil {
		return err
	}
	var uids []userID
	seen := map[string]bool{}
	for _, s := range uidArgs {
		u, ok := splitUserID(s)
		if !ok {
			return fail(BadData, "user ID %q cannot be written as name (comment) <email>", s)
		}
		if !seen[s] {
			seen[s] = true
			uids = append(uids, u)
		}
	}
	if len(uids) == 0 && prof == persona.ProfileV4 {
		return fail(MissingArg, "a v4 key needs a USERID (--profile=rfc9580 makes a key without one)")
	}
	var password []byte
	if *keyPassword != "" {
		if password, err = readNewPassword(*keyPassword); err != nil {
			return err
		}
	}

	// persona writes the first user ID when it has its usual form; the
	// others (or a first one with a comment) are added to the key after.
	opts := persona.Options{Profile: prof, Name: "sop"}
	keepFirst := len(uids) > 0 && uids[0].comment == "" && (uids[0].name != "" || uids[0].email != "")
	if keepFirst {
		opts.Name, opts.Email = uids[0].name, uids[0].email
		uids = uids[1:]
	}
	p, err := persona.New(opts)
	if err != nil {
		return err
	}
	e := p.Entity()
	if !keepFirst {
		clear(e.Identities)
	}
	config := userIDConfig(prof)
	for _, u := range uids {
		if err := e.AddUserId(u.name, u.comment, u.email, config); err != nil {
			return fmt.Errorf("cannot add user ID: %w", err)
		}
	}
	if *signingOnly {
		e.Subkeys = nil
	}
	if password != nil {
		if err := p.Protect(password); err != nil {
			return err
		}
	}
	armored, err := p.ArmoredSecretKey()
	if err != nil {
		return err
	}
	if !*noArmor {
		if !bytes.HasSuffix(armored, []byte("\n")) {
			armored = append(armored, '\n')
		}
		_, err = inv.stdout.Write(armored)
		return err
	}
	bin, err := dearmorBytes(armored)
	if err != nil {
		return err
	}
	_, err = inv.stdout.Write(bin)
	return err
}

// readStdinKeys reads secret keys from standard input.
func readStdinKeys(inv *invocation) (openpgp.EntityList, error) {
	data, err := readAllLimited(inv.stdin, "standard input")
	if err != nil {
		return nil, err
	}
	return parseSecretKeys(data)
}

func runExtractCert(inv *invocation, args []string) error {
	fs := inv.flags()
	noArmor := fs.Bool("no-armor", false, "write binary certificates")
	pos, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	keys, err := readStdinKeys(inv)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, e := range keys {
		if err := e.Serialize(&buf); err != nil {
			return fail(BadData, "cannot write certificate %X: %v", e.PrimaryKey.Fingerprint, err)
		}
	}
	return writeArmored(inv.stdout, buf.Bytes(), !*noArmor)
}

func runChangeKeyPassword(inv *invocation, args []string) error {
	fs := inv.flags()
	noArmor := fs.Bool("no-armor", false, "write binary keys")
	newPassword := fs.String("new-key-password", "", "protect the keys with `PASSWORD` (none: remove the protection)")
	var oldPasswords listFlag
	fs.Var(&oldPasswords, "old-key-password", "unlock the keys with `PASSWORD` (repeatable)")
	pos, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	olds, err := readPasswords(oldPasswords)
	if err != nil {
		return err
	}
	var newPW []byte
	if *newPassword != "" {
		if newPW, err = readNewPassword(*newPassword); err != nil {
			return err
		}
	}
	keys, err := readStdinKeys(inv)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, e := range keys {
		if !tryUnlock(e, olds) {
			return fail(KeyIsProtected, "key %X is locked and no --old-key-password unlocks it", e.PrimaryKey.Fingerprint)
		}
		if newPW != nil {
			if err := protect(e, newPW); err != nil {
				return err
			}
		}
		if err := e.SerializePrivateWithoutSigning(&buf, nil); err != nil {
			return fmt.Errorf("cannot write key %X: %w", e.PrimaryKey.Fingerprint, err)
		}
	}
	return writeArmored(inv.stdout, buf.Bytes(), !*noArmor)
}

// protect encrypts e's secret key material as persona protects a
// persona's. A key persona does not take (expired, say) is protected with
// the same S2K settings directly.
func protect(e *openpgp.Entity, password []byte) error {
	if p, err := persona.FromEntity(e); err == nil {
		return p.Protect(password)
	}
	config := userIDConfig(persona.ProfileV4)
	config.S2KConfig = &s2k.Config{S2KMode: s2k.IteratedSaltedS2K, Hash: crypto.SHA256, S2KCount: 65011712}
	if e.PrimaryKey.Version == 6 {
		config = userIDConfig(persona.ProfileV6)
		config.S2KConfig = &s2k.Config{S2KMode: s2k.Argon2S2K}
	}
	return e.EncryptPrivateKeys(password, config)
}

func runRevokeKey(inv *invocation, args []string) error {
	fs := inv.flags()
	noArmor := fs.Bool("no-armor", false, "write binary certificates")
	var keyPasswords listFlag
	fs.Var(&keyPasswords, "with-key-password", "unlock the keys with `PASSWORD` (repeatable)")
	pos, err := inv.parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	passwords, err := readPasswords(keyPasswords)
	if err != nil {
		return err
	}
	keys, err := readStdinKeys(inv)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, e := range keys {
		if e.PrivateKey.Dummy() {
			return fail(KeyCannotSign, "key %X has no primary secret key to revoke with", e.PrimaryKey.Fingerprint)
		}
		if e.PrivateKey.Encrypted && !tryUnlock(e, passwords) {
			return fail(KeyIsProtected, "key %X is locked and no --with-key-password unlocks it", e.PrimaryKey.Fingerprint)
		}
		if err := e.Revoke(packet.NoReason, "", userIDConfig(persona.ProfileV4)); err != nil {
			return fmt.Errorf("cannot revoke key %X: %w", e.PrimaryKey.Fingerprint, err)
		}
		if err := e.Serialize(&buf); err != nil {
			return fmt.Errorf("cannot write certificate %X: %w", e.PrimaryKey.Fingerprint, err)
		}
	}
	return writeArmored(inv.stdout, buf.Bytes(), !*noArmor)
}
