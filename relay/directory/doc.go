// Package directory is the relay's public OpenPGP key directory: people
// publish their persona's public key (or any OpenPGP key) and others find it
// by fingerprint, key ID, email or claimed social handle.
//
// It speaks the protocols existing tools already speak, so gpg works against
// a relay with no plugin: HKP (/pks/lookup, /pks/add, what
// `gpg --keyserver hkp://relay --send-keys/--recv-keys/--search-keys` uses),
// VKS (the keys.openpgp.org API, /vks/v1/…) and WKD (/.well-known/openpgpkey/…),
// next to Veil's own JSON API under /v1/keys. docs/API.md lists the routes.
//
// What the directory stores is a cleaned certificate, never the upload as it
// came:
//
//   - only public keys: an upload with secret key material is refused whole;
//   - only what the key says about itself: user IDs and subkeys keep their
//     self-signatures and the key's own revocations; third-party
//     certifications (and user IDs or subkeys without a valid self-signature)
//     are dropped, and a key left with no self-signed user ID is refused;
//   - updates merge: a later upload of a known key adds user IDs, subkeys,
//     newer self-signatures and revocations, and can take nothing away.
//     Records are keyed by fingerprint, so no key can replace another.
//
// Nothing a key says is verified by the directory: an email in a user ID is
// only a claim (records say so: emails_verified is false), and so is a
// Keyoxide handle claim (proof@ariadne.id notation, see persona.Claims).
// Several keys may claim the same email or handle; lookups return them all,
// and clients verify a handle against the profile's openpgp4fpr: link. WKD
// answers are served from the same unverified data.
//
// Records live in a go-datastore under /directory: the certificate with its
// times at /directory/keys/<FPR>, and indexes (email, handle, key ID, WKD
// hash → fingerprints) beside it. A submission writes the record and its
// index changes in one batch, then syncs, so an acknowledged upload survives
// a crash. Parsed records are cached in memory for lookups.
package directory
