// Package contracts holds Veil's Solidity contracts (VeilToken, Tips, RelayRegistry; the *.sol files here), their
// compiled ABI and bytecode (build/) and the Go bindings generated from them with abigen --v2 (veiltoken.go,
// tips.go, relayregistry.go). docs/CHAIN.md is the contract these follow.
//
// Everything but doc.go and the tests is generated: edit the .sol files and run `make contracts`, which compiles
// them with the solc pinned in package.json and regenerates the bindings; a test checks that the committed
// files are what `make contracts` produces. The contracts' tests run on go-ethereum's simulated backend; the
// hostile contracts they use (wallet/contracts/testdata) are bound into package attack, which nothing else
// imports.
package contracts
