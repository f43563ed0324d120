//go:build !js

package eth_test

import (
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/veilsocial/veil/wallet/contracts"
	"github.com/veilsocial/veil/wasmclient/eth"
)

// TestRevertReason packs every custom error of the Tips and VeilToken
// contracts with go-ethereum, from the contracts' own ABIs, and reads it
// back: a new error in a contract that the browser cannot name fails here.
func TestRevertReason(t *testing.T) {
	who := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	for _, meta := range []*struct {
		name string
		abi  string
	}{{"Tips", contracts.TipsMetaData.ABI}, {"VeilToken", contracts.VeilTokenMetaData.ABI}} {
		parsed, err := abi.JSON(strings.NewReader(meta.abi))
		if err != nil {
			t.Fatal(err)
		}
		if len(parsed.Errors) == 0 {
			t.Fatalf("%s has no errors in its ABI", meta.name)
		}
		for name, e := range parsed.Errors {
			var args []any
			var want []string
			for i, in := range e.Inputs {
				switch in.Type.T {
				case abi.AddressTy:
					args = append(args, who)
					want = append(want, in.Name+"="+who.Hex())
				case abi.UintTy:
					n := big.NewInt(int64(1000 + i))
					args = append(args, n)
					want = append(want, in.Name+"="+n.String())
				default:
					t.Fatalf("%s.%s has a %s argument, which RevertReason does not read", meta.name, name, in.Type)
				}
			}
			packed, err := e.Inputs.Pack(args...)
			if err != nil {
				t.Fatal(err)
			}
			data := append(append([]byte{}, e.ID[:4]...), packed...)
			if got, want := eth.RevertReason(data), name+"("+strings.Join(want, ", ")+")"; got != want {
				t.Errorf("%s.%s: RevertReason = %q, want %q", meta.name, name, got, want)
			}
		}
	}

	// Error(string) and Panic(uint256) as go-ethereum packs them.
	str, _ := abi.NewType("string", "", nil)
	u256, _ := abi.NewType("uint256", "", nil)
	msg, err := abi.Arguments{{Type: str}}.Pack("no tips today\x07")
	if err != nil {
		t.Fatal(err)
	}
	if got := eth.RevertReason(append(selector("Error(string)"), msg...)); got != "no tips today" {
		t.Errorf("Error(string): %q", got)
	}
	if got, _ := abi.UnpackRevert(append(selector("Error(string)"), msg...)); got != "no tips today\x07" {
		t.Errorf("go-ethereum reads %q", got)
	}
	code, err := abi.Arguments{{Type: u256}}.Pack(big.NewInt(0x11))
	if err != nil {
		t.Fatal(err)
	}
	if got := eth.RevertReason(append(selector("Panic(uint256)"), code...)); got != "panic 0x11" {
		t.Errorf("Panic(uint256): %q", got)
	}
	for _, bad := range [][]byte{nil, {1, 2, 3}, selector("Error(string)"), append(selector("NotOwner(address)"), make([]byte, 31)...)} {
		if got := eth.RevertReason(bad); got != "" {
			t.Errorf("RevertReason(%x) = %q", bad, got)
		}
	}
}

// FuzzRevertReason reads arbitrary revert data: never a panic, and what it
// names is printable.
func FuzzRevertReason(f *testing.F) {
	f.Add([]byte{})
	f.Add(append(selector("Error(string)"), make([]byte, 64)...))
	f.Add(append(selector("InsufficientBalance(address,uint256,uint256)"), make([]byte, 96)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := eth.RevertReason(data)
		for _, c := range r {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("RevertReason(%x) = %q holds a control character", data, r)
			}
		}
	})
}

func selector(signature string) []byte {
	s := eth.Selector(signature)
	return s[:]
}
