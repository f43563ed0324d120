package wallet_test

import (
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"

	"github.com/veilsocial/veil/wallet/contracts"
)

func tokenABI() *abi.ABI {
	a := contracts.NewVeilToken().GetABI()
	return &a
}

func tipsABI() *abi.ABI {
	a := contracts.NewTips().GetABI()
	return &a
}

func mustPack(t testing.TB, a *abi.ABI, method string, args ...any) []byte {
	t.Helper()
	data, err := a.Pack(method, args...)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
