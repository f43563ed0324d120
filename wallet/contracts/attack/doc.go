// Package attack holds Go bindings for contracts that exist only to attack Veil's contracts in tests: HookToken,
// an ERC-20 that calls back into the sender and recipient on every transfer (or returns false instead of moving
// anything), and Reenterer, an account that calls back into a contract while that contract pays it. Their
// sources are in wallet/contracts/testdata; `make contracts` generates this package. Only tests import it.
package attack
