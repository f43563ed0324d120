package wallet

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Decimals is how many decimal places an amount has: the chain's native coin
// (wei) and the VEIL token both count in 10^-18 units.
const Decimals = 18

var unit = new(big.Int).Exp(big.NewInt(10), big.NewInt(Decimals), nil)

// ErrBadAmount is returned for an amount that is not a decimal number of
// whole units with at most 18 decimal places.
var ErrBadAmount = errors.New("bad amount")

// ParseAmount reads a decimal amount of whole units, such as "1.5" or "20",
// into 10^-18 units. Negative numbers, exponents and more than 18 decimal
// places are refused.
func ParseAmount(s string) (*big.Int, error) {
	s = strings.TrimSpace(s)
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" && (!dot || frac == "") {
		return nil, fmt.Errorf("%w %q: want a decimal number such as 1.5", ErrBadAmount, s)
	}
	if !digits(whole) || !digits(frac) {
		return nil, fmt.Errorf("%w %q: want a decimal number such as 1.5", ErrBadAmount, s)
	}
	if len(frac) > Decimals {
		return nil, fmt.Errorf("%w %q: more than %d decimal places", ErrBadAmount, s, Decimals)
	}
	if len(whole) > 60 {
		return nil, fmt.Errorf("%w %q: too large", ErrBadAmount, s)
	}
	n, _ := new(big.Int).SetString(whole+frac+strings.Repeat("0", Decimals-len(frac)), 10)
	return n, nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// FormatAmount writes an amount in 10^-18 units as a decimal number of whole
// units with no trailing zeros ("1.5", "20"): the inverse of ParseAmount.
func FormatAmount(n *big.Int) string {
	if n == nil {
		return "0"
	}
	sign := ""
	a := new(big.Int).Set(n)
	if a.Sign() < 0 {
		sign = "-"
		a.Neg(a)
	}
	q, r := new(big.Int).QuoRem(a, unit, new(big.Int))
	if r.Sign() == 0 {
		return sign + q.String()
	}
	frac := fmt.Sprintf("%0*s", Decimals, r.String())
	return sign + q.String() + "." + strings.TrimRight(frac, "0")
}

// Units returns n whole units (n × 10^18).
func Units(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), unit) }
