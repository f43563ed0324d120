// Package eth is the little of Ethereum the browser client needs to tip an
// author and to bind a wallet to a persona, small enough for the wasm:
// secp256k1 keys and signatures, addresses (EIP-55) and CAIP-10 accounts,
// EIP-191 personal_sign and the persona binding of docs/CHAIN.md, signed
// EIP-1559 transactions (RLP), the ABI encoding of the few contract calls
// the Tips contract and an ERC-20 token take, and a JSON-RPC client whose
// requests go through a relayclient.Transport (net/http natively, fetch in
// the browser).
//
// go-ethereum does not build for the browser, and would be megabytes of wasm
// if it did, so none of it is here; the tests check every piece against it.
// The curve arithmetic is gnark-crypto's secp256k1; signatures follow
// RFC 6979 with low S, as go-ethereum's and libsecp256k1's do, so the same
// key signs the same bytes. (dcrd's secp256k1 would do the same, but links a
// precomputed table of half a megabyte of compressed data into every
// program that imports it.)
//
// wasmclient/session uses it for the bridge's wallet methods; wallet/ is the
// native, go-ethereum based side of the chain.
package eth
