// Package pgppacket reads the framing of OpenPGP data: packet headers and
// lengths (both header formats, partial body lengths) and the order of
// packets at the top level of a message (RFC 9580, sections 4.2 and 10.3).
//
// It looks at no packet's contents; that is the OpenPGP library's job. The
// envelope package uses it to cut a message after its key packets and to
// insist that a message's framing is exact, the payload package to tell a
// whole inline message from one a site cut short, and the relay to accept
// only OpenPGP messages for upload.
package pgppacket
