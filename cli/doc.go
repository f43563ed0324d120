// Package cli implements the subcommands of the veil binary: personas,
// contacts, encrypting and decrypting posts, shares, the relay's clients
// (post, read, keys, watch, and share add with a link; see relay_*.go, which
// run the flows of wasmclient/post) and node (veil relay), and the Stateless
// OpenPGP interface (veil sop). cmd/veil only calls Main.
//
// Exit codes are stable so scripts can branch on them: 0 success, 1 other
// failure, 2 usage error, and for decrypt 3 not for me, 4 bad signature,
// 5 corrupt input, 6 unsupported, 7 key locked (see ExitCode).
package cli
