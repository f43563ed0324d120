// Package web is the relay's own web front, embedded into the binary (with
// the embed package) and served by every relay next to its API
// (relay/node.go mounts Handler):
//
//   - / is the node's dashboard: name, version, peer ID and addresses,
//     peers, storage, connections, health (and stake, once relays stake),
//     filled in by a small script from /v1/info, /healthz and /metrics and
//     refreshed every few seconds;
//   - /keys looks keys up in the relay's directory (/v1/keys) by handle,
//     email, fingerprint or key ID and offers each key for download;
//   - /p/<cid> is where a Veil link points (payload.Link, and /p/#v1.… for
//     posts inline in the link): it tells a visitor what an encrypted Veil
//     post is and how to read it, shows what anyone can see of it (size,
//     the key IDs its key packets name, shares added later), and, with a
//     secret key pasted into the page, decrypts it in the page with the
//     client's own wasm (static/veil.wasm, the bridge of wasmclient/js).
//
// The pages are plain HTML, CSS and JavaScript modules from static/ and
// templates/: no bundler, nothing from another origin, no inline script or
// style. Every response carries CSP, which allows the page's own scripts
// and the compilation of veil.wasm and nothing else, so a string from a key
// or a post can never run: scripts render untrusted text with textContent.
// A secret key pasted into the viewer stays in the tab's memory, inside
// the wasm; the page has no form that could send it anywhere.
//
// veil.wasm and wasm_exec.js are build products: `make build` copies them
// from bin/ into static/ (they are git-ignored) before building the veil
// command. On a checkout without them the package still builds, and the
// viewer says that decryption in the page is not available in this build.
// A relay can also serve them from a directory (New with Options.WasmDir,
// the relay's web_wasm_dir setting), without rebuilding; they then take
// the place of any embedded copies.
package web
