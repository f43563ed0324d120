// Package integration holds Veil's end-to-end tests: the parts run together
// as they do in use, with nothing mocked. It has no code of its own.
//
// TestBridge builds the browser client (wasmclient/js) to wasm, starts a real
// relay in the test process, and runs testdata/bridge.mjs in Node.js, which
// loads veil.wasm with the Go toolchain's wasm_exec.js and drives the
// newVeil API of veil.d.ts as a browser would: personas in separate
// storages, keys through the relay's directory, posts, shares, proofs,
// backups and the errors a caller must tell apart.
//
// The TestBrowser tests load the extension (assembled as `make extension`
// does) into real headless Chromium, serve the saved X and Facebook pages of
// extension/testdata under the sites' own host names over HTTPS with a
// strict CSP, and run people through it against a real relay: composing,
// reading inline, "not for you", shares, profile proofs, a hostile page
// script, backup and lock. They skip without Chromium; `make test` and
// `make test-browser` install it.
//
// TestBrowserWebViewer opens a post's link on the relay's own viewer (web/,
// /p/<cid>) in Chromium without the extension, the wasm served from the
// relay's web_wasm_dir: a pasted secret key that is not a recipient's, a
// protected one without and with its passphrase, the post's text with its
// author's signature checked, and no request to any origin but the relay's.
//
// BenchmarkBrowser (only with -bench) runs the same wasm in headless Chromium
// beside OpenPGP.js on the same keys, from testdata/browserbench/: cold
// start, decrypting and encrypting a 1 KiB post, and the wasm's size
// (docs/BENCHMARKS.md, "Browser").
package integration
