// Package relayclient is the client of a Veil relay's HTTP API (docs/API.md):
// upload and fetch posts (blobs), add and list shares, publish and look up
// keys in the relay's directory, and follow live events.
//
// It uses net/http only, so the same code runs in the veil command and, compiled
// with GOOS=js GOARCH=wasm, in the browser extension, where net/http goes
// through fetch. Live events travel over a WebSocket, which the two worlds
// open differently: Watch speaks the relay's event protocol (relay/hub) over
// a small Conn interface, and the caller supplies the dialer (the CLI one on
// gorilla/websocket, the extension one on the browser's WebSocket).
//
// A relay is not trusted with anything it could lie about. Get checks that the
// bytes hash to the CID asked for (for raw CIDs, which is what relays give
// posts up to their raw-block limit; larger blobs are chunked and come back
// unverified, so their OpenPGP integrity check and signature are what protect
// them). Upload checks that the CID the relay answers is the hash of what was
// sent. Key lookups parse every key returned and refuse one that is not the
// key its record names or does not match the query. Shares that are not
// whole key packets are dropped.
//
// Shares are authorized by a per-post Ed25519 key (persona.ShareKey): the
// upload names its public half (Veil-Share-Key), and each share carries a
// signature by it. ShareKeyHeader, ShareSignature and VerifyShareSignature
// are that format, for the relay as much as for clients.
//
// Errors from the relay are *Error values carrying the HTTP status and the
// stable code of the JSON error document; errors.Is matches them against
// ErrNotFound, ErrUnauthorized, ErrRateLimited and ErrTooLarge.
package relayclient
