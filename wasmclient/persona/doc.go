// Package persona holds Veil identities: OpenPGP keys that a person posts and
// reads with.
//
// A persona is a standard OpenPGP key. The default profile is a v4 key with an
// EdDSA (Ed25519) primary key for signing and certifying and a Curve25519
// subkey for encryption, which GnuPG 2.2 and every other OpenPGP tool reads.
// The RFC 9580 profile makes a v6 key (Ed25519/X25519, AEAD preferences) for
// people whose friends all use modern tools.
//
// Social claims ride on the key itself as Keyoxide notations
// (proof@ariadne.id=https://twitter.com/<handle>) in the self-signature of the
// primary user ID, so anyone holding the public key sees them and a profile
// that links back with openpgp4fpr:<fingerprint> (ProfileProves) completes
// the proof. A slot for the wallet binding lives in the same place.
//
// A persona also derives one Ed25519 key per post it stores on a relay
// (ShareKey): the relay takes shares for the post only when that key signs
// them, and learns no identity from it.
//
// Keys and contacts are kept by a Store over a small Storage interface: the
// command line stores them in a 0700 directory of 0600 files (DirStorage),
// the browser adapts its own storage. A Store writes one passphrase-encrypted
// backup file (an ordinary OpenPGP message, so gpg can open it too) that
// restores every persona with its claims and every contact with its handles.
package persona
