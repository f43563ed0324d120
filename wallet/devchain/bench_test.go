package devchain_test

import (
	"context"
	"testing"

	"github.com/veilsocial/veil/wallet/devchain"
)

// BenchmarkStart: a dev chain from nothing to serving, contracts deployed
// and accounts funded, and stopped again.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		c, err := devchain.Start(context.Background(), devchain.Config{HTTP: "127.0.0.1:0"})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
