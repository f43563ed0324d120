// Package relay is a Veil relay node: it stores OpenPGP ciphertext (never
// plaintext) on the storage package's IPFS blockstore, serves it by CID and
// through the IPFS trustless gateway, keeps shares (late key packets) for
// posts, runs the public key directory (relay/directory: JSON, HKP, VKS,
// WKD), and pushes live events over WebSockets (relay/hub).
//
// A Node is assembled from a Config: embedded defaults need nothing but a
// data directory (leveldb under it, an in-process broker). Every request
// passes small policy functions (size caps, rate limits per IP and per
// persona) that each refuse with a JSON error and a stable code (relay/api).
// Node.Handler is an http.Handler, so tests run a node with httptest or on
// 127.0.0.1:0 with Node.Start.
package relay
