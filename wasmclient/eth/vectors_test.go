package eth_test

import (
	"encoding/hex"
	"math/big"
	"testing"

	"github.com/veilsocial/veil/wasmclient/eth"
)

// vectors were made by go-ethereum (crypto.Sign over accounts.TextHash,
// types.SignTx with LatestSignerForChainID) from keys that are the
// Keccak-256 of the seed. They need no go-ethereum to check, so they also
// run where the curve arithmetic is gnark-crypto's pure Go, under
// GOOS=js GOARCH=wasm (go test with go_js_wasm_exec): the wasm's own code.
var vectors = []struct{ seed, address, bindingSig, rawTx, txHash string }{
	{"veil vector 1", "0x5bCD3bFEB3384Cf4413a07f142d0d7FD5C57E71B", "40caa453d471c83a4b3ea46ebfea714fde3d7486b6dfa2539c9aceef0b7aed810e2fb00f3ea3771d53b5eb0b272db19b1d7dae5f4b71b4c84f9bd216cefb96091b", "02f87682053907843b9aca0084b2d05e0082c350945aaeb6053f3e94c9b9a09f33669435e7ef1beaed87038d7ea4c6800083746970c001a0409a5a56330126197cc7f593824f41257dab9265e2008286092d6887bc8e0220a03266f1ec962d0b1ff2f7e2070c19c6f5b2f087e1668bf169593ad7b689c32d06", "0x1903de6f396f8331d2eab80e13ea1853084ec2e60a0e884ace5b6858fe3c591a"},
	{"veil vector 2", "0x147C921a151CC2c817b915D35abd8A624f45b433", "c9b94a86d41e4c4b27ca502b84113f0e58cf7acd6699706ac7db77550ed290eb6fae45552527966568ed2c74e08fbe7c5c1e9a3f850c5c07a45df00f676bb7101b", "02f87682053907843b9aca0084b2d05e0082c350945aaeb6053f3e94c9b9a09f33669435e7ef1beaed87038d7ea4c6800083746970c080a073e2719239c16e416f3686a1c00155a196755c990dd93d6eb8ed0f827826f4c4a019d35ed206f661e9beec39a158f854726852cd4c0da21c56df8727cdfe72fcc2", "0x43ab1e0f7ff564e83caff302244b5c1baab82a1b246d7afcc1e141f09661c29f"},
}

func TestVectors(t *testing.T) {
	const fpr = "0123456789ABCDEF0123456789ABCDEF01234567"
	to, err := eth.ParseAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vectors {
		seed := eth.Keccak256([]byte(v.seed))
		k, err := eth.PrivateKeyFromBytes(seed[:])
		if err != nil {
			t.Fatal(err)
		}
		if k.Address().Hex() != v.address {
			t.Errorf("%s: address %s, want %s", v.seed, k.Address().Hex(), v.address)
		}
		acct, sig := eth.SignBinding(k, 1337, fpr)
		if hex.EncodeToString(sig) != v.bindingSig {
			t.Errorf("%s: binding signature %x, want %s", v.seed, sig, v.bindingSig)
		}
		if _, err := eth.VerifyBinding(acct.String(), fpr, sig); err != nil {
			t.Errorf("%s: VerifyBinding: %v", v.seed, err)
		}
		raw, hash, err := eth.SignDynamicFeeTx(1337, 7, big.NewInt(1e9), big.NewInt(3e9), 50000, to, big.NewInt(1e15), []byte("tip"), k)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(raw) != v.rawTx || hash.Hex() != v.txHash {
			t.Errorf("%s: transaction %x (%s), want %s (%s)", v.seed, raw, hash, v.rawTx, v.txHash)
		}
	}
}
