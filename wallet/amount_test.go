package wallet

import (
	"errors"
	"math/big"
	"testing"
)

func TestAmounts(t *testing.T) {
	good := []struct {
		in   string
		want string // in 10^-18 units
		out  string // FormatAmount
	}{
		{"1.5", "1500000000000000000", "1.5"},
		{"20", "20000000000000000000", "20"},
		{"0.000000000000000001", "1", "0.000000000000000001"},
		{".25", "250000000000000000", "0.25"},
		{"3.", "3000000000000000000", "3"},
		{" 7.10 ", "7100000000000000000", "7.1"},
		{"0", "0", "0"},
	}
	for _, c := range good {
		n, err := ParseAmount(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if n.String() != c.want {
			t.Errorf("%q = %s, want %s", c.in, n, c.want)
		}
		if got := FormatAmount(n); got != c.out {
			t.Errorf("FormatAmount(%s) = %q, want %q", n, got, c.out)
		}
	}
	for _, in := range []string{"", ".", "-1", "1e18", "1,5", "0x10", "1.0000000000000000001", "abc", "1..2", "+1"} {
		if _, err := ParseAmount(in); !errors.Is(err, ErrBadAmount) {
			t.Errorf("%q: err %v, want ErrBadAmount", in, err)
		}
	}
	if got := FormatAmount(big.NewInt(-1500)); got != "-0.0000000000000015" {
		t.Errorf("negative: %q", got)
	}
}
