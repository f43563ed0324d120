// Package envelope turns Veil posts into standard OpenPGP messages and back.
//
// A post is one OpenPGP message: a signed literal data packet holding a small
// versioned JSON document (Post), encrypted to every recipient and to the
// author. gpg, Sequoia and OpenPGP.js read these messages as they read any
// other; Veil reads what they write.
//
// Sealing streams: Encrypt and Sign return a WriteCloser, so large
// attachments go through in bounded memory. Opening never releases
// plaintext that is not authenticated: Decrypt holds what it reads in a
// spool (memory, then a temporary file) until the integrity check at the
// end of the message and the signature check both pass, and only then
// hands it to the caller. A tampered message yields an error and no text.
//
// Recipients can be added to a message later without touching its data: a
// reader recovers the session key and writes new key packets for the new
// recipients (a share). The share's key packets followed by the unchanged
// message form a valid OpenPGP message for the new recipients, in Veil and
// in gpg. Signatures therefore carry no intended-recipient fingerprints:
// they would name only the first audience and fail for late recipients. The
// audience of a message is read from its key packets instead.
//
// Errors are typed: ErrNotForMe, ErrBadSignature, ErrCorrupt,
// ErrUnsupported (test with errors.Is), and the package never panics on
// input.
package envelope
