// Package wallet is Veil's chain bridge in Go: the keys (a go-ethereum
// keystore under the Veil home), a client of any EVM JSON-RPC endpoint, and
// what Veil does on a chain through the contracts in wallet/contracts —
// tipping a post's author in native coin or VEIL, staking on the relay
// registry, and reading the registry (Registry, which a relay uses to find
// its peers). It also binds a persona to an account both ways (Bind,
// CheckBinding; docs/CHAIN.md "Wallet binding").
//
// Transactions are EIP-1559 (types.DynamicFeeTx) with fees from the chain's
// suggestions and a gas estimate with a margin; a Client hands out nonces so
// that any number of concurrent sends from one account in one process never
// reuse one, waits for receipts within a bounded time, and reports a revert
// with its reason decoded when the chain gives it (RevertError).
//
// This package is native only (it imports go-ethereum). The binding's
// message and its check are wasmclient/eth's, the code the browser runs, so
// there is one definition of both. wallet/devchain runs a local chain with
// the contracts deployed, for development and tests.
package wallet
