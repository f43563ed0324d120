// Package session is a person's Veil client as the browser holds it: their
// personas and contacts, kept in a storage the caller provides; the personas
// unlocked in this session; and the relay they post to.
//
// Its methods are those of the JavaScript bridge (wasmclient/js), one for
// one, and its types are the bridge's (wasmclient/js/veil.d.ts), with the
// same JSON names, so the bridge only moves values across and the logic is
// tested natively. The work is done by the other client packages: persona
// keeps keys and contacts, post composes, reads and shares posts, relayclient
// talks to the relay.
//
// A passphrase-protected persona is stored protected and unlocked only in
// memory, for as long as the Session lives or until Lock. Plaintext and
// secret keys leave only as method results.
//
// Errors keep the kinds of the packages that made them; Code names each with
// one of the bridge's stable codes ("locked", "not-for-you", …), and Read
// reports the ones a post can have as a ReadResult's Status rather than as an
// error.
package session
