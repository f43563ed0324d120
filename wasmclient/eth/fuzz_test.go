//go:build !js

package eth_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/veilsocial/veil/wasmclient/eth"
)

// FuzzParseAccount reads CAIP-10 accounts and addresses: what is taken must
// write back to a string that reads the same, and be an address go-ethereum
// takes too.
func FuzzParseAccount(f *testing.F) {
	for _, s := range []string{
		"eip155:1:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "eip155:1337:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
		"eip155:01:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "eip155:1:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
		"eip155:18446744073709551616:0x0000000000000000000000000000000000000000", "eip155::", "bip122:1:x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, err := eth.ParseAccount(s); err == nil {
			back, err := eth.ParseAccount(a.String())
			if err != nil || back != a {
				t.Fatalf("ParseAccount(%q) = %v, which reads back as %v, %v", s, a, back, err)
			}
			if !strings.EqualFold(a.String(), s) {
				t.Fatalf("ParseAccount(%q) writes back as %s", s, a)
			}
		}
		if a, err := eth.ParseAddress(s); err == nil {
			if !common.IsHexAddress(s) || common.HexToAddress(s) != common.Address(a) {
				t.Fatalf("ParseAddress(%q) = %s; go-ethereum disagrees", s, a)
			}
		} else if digits, ok := strings.CutPrefix(s, "0x"); ok && common.IsHexAddress(s) && (digits == strings.ToLower(digits) || digits == strings.ToUpper(digits) || common.HexToAddress(s).Hex() == s) {
			t.Fatalf("ParseAddress(%q): %v; go-ethereum takes it", s, err)
		}
	})
}

// FuzzRecover recovers signers from arbitrary signatures, beside
// go-ethereum's ecrecover: both refuse the same ones and agree on the rest.
func FuzzRecover(f *testing.F) {
	k, _ := eth.GenerateKey()
	h := eth.Keccak256([]byte("seed"))
	f.Add(h[:], k.Sign(h))
	f.Add(h[:], make([]byte, 65))
	f.Add(h[:], bytes.Repeat([]byte{0xff}, 65))
	f.Fuzz(func(t *testing.T, hash, sig []byte) {
		if len(hash) != 32 {
			return
		}
		got, err := eth.Recover(eth.Hash(hash), sig)
		if len(sig) != 65 || sig[64] > 1 {
			if len(sig) == 65 && (sig[64] == 27 || sig[64] == 28) {
				fixed := append(bytes.Clone(sig[:64]), sig[64]-27)
				again, err2 := eth.Recover(eth.Hash(hash), fixed)
				if again != got || (err == nil) != (err2 == nil) {
					t.Fatalf("v=%d recovers %s, %v; v=%d %s, %v", sig[64], got, err, fixed[64], again, err2)
				}
			} else if err == nil {
				t.Fatalf("Recover took a %d-byte signature with v=%d", len(sig), sig[len(sig)-1])
			}
			return
		}
		pub, gerr := crypto.Ecrecover(hash, sig)
		if (err == nil) != (gerr == nil) {
			t.Fatalf("Recover: %v; go-ethereum: %v", err, gerr)
		}
		if err == nil {
			if want := common.BytesToAddress(crypto.Keccak256(pub[1:])[12:]); want != common.Address(got) {
				t.Fatalf("Recover = %s; go-ethereum %s", got, want)
			}
		}
	})
}
