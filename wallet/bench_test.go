package wallet_test

import (
	"context"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/veilsocial/veil/internal/chaintest"
	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wallet/devchain"
)

func benchChain(b *testing.B) (*devchain.Chain, *wallet.Client) {
	b.Helper()
	ctx := context.Background()
	ch := chaintest.Start(b, devchain.Config{})
	c, err := wallet.Dial(ctx, wallet.Config{RPC: ch.URL(), Contracts: ch.Contracts(), ReceiptTimeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return ch, c
}

// BenchmarkTip: one tip as a client of the dev chain over HTTP sends it:
// fees, gas estimate, nonce, signature, send, mined, receipt. Native coin,
// and VEIL within an allowance given beforehand (one transaction each).
func BenchmarkTip(b *testing.B) {
	ch, c := benchChain(b)
	ctx := context.Background()
	alice := ch.Signer("alice")
	bob := ch.Signer("bob").Address()
	b.Run("native", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, err := c.Tip(ctx, alice, bob, fmt.Sprintf("bafkreibench%d", i), big.NewInt(1e15)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("veil", func(b *testing.B) {
		carol := ch.Signer("carol")
		// One large approval up front, so each tip is one transaction.
		tx, err := c.Send(ctx, carol, ch.Contracts().Token, nil, mustPack(b, tokenABI(), "approve", ch.Contracts().Tips, wallet.Units(40_000)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Wait(ctx, tx); err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			i++
			if _, err := c.TipToken(ctx, carol, common.Address{}, bob, fmt.Sprintf("bafkreibench%d", i), big.NewInt(1e15)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
