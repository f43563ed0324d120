// Package wasmcheck is a guard, not a library: its test fails when the client core stops building for the
// browser (GOOS=js GOARCH=wasm) or when it comes to depend on server-side code.
//
// Everything under wasmclient/ is compiled twice, natively for the veil command and to wasm for the browser
// extension. Relay, storage and node code (libp2p, boxo, Redis, echo, WebSocket servers, go-ethereum,
// Prometheus, leveldb datastores) would not build there, or would bloat the wasm the extension
// loads, and so would any package of this module outside wasmclient/. The test lists the wasm build's
// dependencies with `go list -deps`, reports each forbidden one with the import chain that pulls it in,
// fails on a package whose build constraints leave js out or that imports syscall/js outside wasmclient/js,
// and builds wasmclient/... for GOOS=js.
// To allow a package on purpose, change the rules in the test and say why there.
package wasmcheck
