package eth_test

import (
	"math/big"
	"testing"

	"github.com/veilsocial/veil/wasmclient/eth"
)

// The costs of a tip's signature work, natively and (go test with
// GOOS=js GOARCH=wasm) in the wasm.

func BenchmarkSign(b *testing.B) {
	k, _ := eth.GenerateKey()
	h := eth.Keccak256([]byte("bench"))
	for b.Loop() {
		k.Sign(h)
	}
}

func BenchmarkRecover(b *testing.B) {
	k, _ := eth.GenerateKey()
	h := eth.Keccak256([]byte("bench"))
	sig := k.Sign(h)
	for b.Loop() {
		if _, err := eth.Recover(h, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignDynamicFeeTx(b *testing.B) {
	k, _ := eth.GenerateKey()
	data := eth.TipCall(k.Address(), "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")
	for b.Loop() {
		if _, _, err := eth.SignDynamicFeeTx(1337, 1, big.NewInt(1e9), big.NewInt(3e9), 60000, k.Address(), big.NewInt(1e15), data, k); err != nil {
			b.Fatal(err)
		}
	}
}
