package eth

import (
	"errors"
	"math/big"
)

// dynamicFeeTxType is EIP-1559's transaction type.
const dynamicFeeTxType = 0x02

// maxUint256 bounds the amounts a transaction or a call carries.
var maxUint256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// checkUint256 reports an amount that is not a uint256.
func checkUint256(what string, n *big.Int) error {
	if n != nil && (n.Sign() < 0 || n.Cmp(maxUint256) > 0) {
		return errors.New("eth: " + what + " is not a 256-bit unsigned number")
	}
	return nil
}

// SignDynamicFeeTx makes an EIP-1559 (type 2) transaction calling to with
// value wei and data, and signs it for chainID with key. It returns the
// transaction as eth_sendRawTransaction takes it and the transaction's hash.
// tipCap and feeCap are the priority fee and the fee cap per gas, in wei;
// nil amounts are zero. The access list is empty.
func SignDynamicFeeTx(chainID, nonce uint64, tipCap, feeCap *big.Int, gas uint64, to Address, value *big.Int, data []byte, key *PrivateKey) (raw []byte, hash Hash, err error) {
	for _, c := range []struct {
		what string
		n    *big.Int
	}{{"tip cap", tipCap}, {"fee cap", feeCap}, {"value", value}} {
		if err := checkUint256(c.what, c.n); err != nil {
			return nil, Hash{}, err
		}
	}
	if orZero(tipCap).Cmp(orZero(feeCap)) > 0 {
		return nil, Hash{}, errors.New("eth: tip cap above fee cap")
	}
	fields := [][]byte{
		rlpUint(chainID),
		rlpUint(nonce),
		rlpBig(tipCap),
		rlpBig(feeCap),
		rlpUint(gas),
		rlpString(to[:]),
		rlpBig(value),
		rlpString(data),
		rlpList(), // access list
	}
	sighash := Keccak256([]byte{dynamicFeeTxType}, rlpList(fields...))
	sig := key.Sign(sighash)
	fields = append(fields,
		rlpUint(uint64(sig[64])),                  // y parity
		rlpBig(new(big.Int).SetBytes(sig[:32])),   // r
		rlpBig(new(big.Int).SetBytes(sig[32:64])), // s
	)
	raw = append([]byte{dynamicFeeTxType}, rlpList(fields...)...)
	return raw, Keccak256(raw), nil
}

var zero = new(big.Int)

func orZero(n *big.Int) *big.Int {
	if n == nil {
		return zero
	}
	return n
}
