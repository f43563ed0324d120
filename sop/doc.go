// Package sop is Veil's implementation of the Stateless OpenPGP Command-Line
// Interface (draft-dkg-openpgp-stateless-cli, "SOP"), the small common
// command line that OpenPGP implementations speak so that they can be
// tested against each other and swapped under tools such as the OpenPGP
// interoperability test suite.
//
// Run takes the arguments after "sop" and standard input and output, and
// returns the exit code the specification assigns to each failure (see
// Code). The command line wires it as "veil sop …", so anything that drives
// sqop, gosop or pgpainless-cli can drive Veil's client core the same way.
//
// Nothing here is a second OpenPGP stack. Keys are made by
// wasmclient/persona (the "default" profile is a Veil persona: a v4 key with
// an EdDSA primary and a Curve25519 encryption subkey; "rfc9580" is a v6
// persona); messages are encrypted, decrypted and inline-signed by
// wasmclient/envelope, which never releases unauthenticated plaintext and
// never writes intended-recipient fingerprints into signatures. What
// envelope and persona have no use for goes to go-crypto directly: detached
// signatures and their verification, clear-signing, ASCII armor, extra
// user IDs and revocations.
//
// Options that name inputs (CERTS, KEYS, PASSWORD, SESSIONKEY, SIGNATURES)
// take a file name or a special designator: @ENV:NAME reads an environment
// variable, @FD:N an open file descriptor. Outputs named by options
// (--session-key-out, --verifications-out, --micalg-out, --signatures-out)
// must not exist yet, or may be @FD:N; they are written only on success.
//
// Behaviour worth knowing when comparing with other implementations:
//   - Text signatures (--as=text) store the text with CRLF line endings,
//     as go-crypto canonicalizes signed text; gpg turns them back into
//     native ones, sqop and Veil give them back as stored.
//   - A clear-signed text is signed without its final line break, and
//     inline-verify gives it back with one, as gpg and sqop do.
//   - encrypt and inline-sign (binary or text) sign with one key, as
//     envelope does; sign and clear-signing take several.
package sop
