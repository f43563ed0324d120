//go:build !js

package eth_test

import (
	"bytes"
	"crypto/rand"
	"math/big"
	mrand "math/rand/v2"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/veilsocial/veil/wasmclient/eth"
)

// curveOrder is secp256k1's n.
var curveOrder, _ = new(big.Int).SetString("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16)

// testKeys returns keys at the edges of the range and random ones, as
// wasmclient/eth and go-ethereum read them.
func testKeys(t *testing.T, n int) ([]*eth.PrivateKey, [][]byte) {
	t.Helper()
	raws := [][]byte{
		common.LeftPadBytes([]byte{1}, 32),
		common.LeftPadBytes([]byte{2}, 32),
		new(big.Int).Sub(curveOrder, big.NewInt(1)).FillBytes(make([]byte, 32)),
		new(big.Int).Rsh(curveOrder, 1).FillBytes(make([]byte, 32)),
	}
	for range n {
		b := make([]byte, 32)
		rand.Read(b)
		raws = append(raws, b)
	}
	var keys []*eth.PrivateKey
	var kept [][]byte
	for _, raw := range raws {
		k, err := eth.PrivateKeyFromBytes(raw)
		if new(big.Int).SetBytes(raw).Cmp(curveOrder) >= 0 {
			if err == nil {
				t.Errorf("key %x at or above the order was taken", raw)
			}
			continue
		}
		if err != nil {
			t.Fatalf("key %x: %v", raw, err)
		}
		keys = append(keys, k)
		kept = append(kept, raw)
	}
	return keys, kept
}

func TestKeysMatchGoEthereum(t *testing.T) {
	keys, raws := testKeys(t, 40)
	for i, k := range keys {
		gk, err := crypto.ToECDSA(raws[i])
		if err != nil {
			t.Fatal(err)
		}
		want := crypto.PubkeyToAddress(gk.PublicKey)
		if k.Address() != eth.Address(want) {
			t.Errorf("key %x: address %s, go-ethereum %s", raws[i], k.Address(), want)
		}
		if k.Address().Hex() != want.Hex() {
			t.Errorf("checksum %s, go-ethereum %s", k.Address().Hex(), want.Hex())
		}
		if !bytes.Equal(k.Bytes(), raws[i]) || k.Hex() != "0x"+common.Bytes2Hex(raws[i]) {
			t.Errorf("key %x reads back as %s", raws[i], k.Hex())
		}
		back, err := eth.ParsePrivateKey(k.Hex())
		if err != nil || back.Address() != k.Address() {
			t.Errorf("ParsePrivateKey(%s) = %v, %v", k.Hex(), back, err)
		}
	}
	for _, bad := range []string{"", "0x", "0x00", strings.Repeat("0", 64), "0x" + strings.Repeat("f", 64), strings.Repeat("g", 64), strings.Repeat("1", 66)} {
		if _, err := eth.ParsePrivateKey(bad); err == nil {
			t.Errorf("ParsePrivateKey(%q) took it", bad)
		}
	}
}

func TestSignaturesMatchGoEthereum(t *testing.T) {
	keys, raws := testKeys(t, 20)
	for i, k := range keys {
		gk, _ := crypto.ToECDSA(raws[i])
		for j := range 5 {
			var hash eth.Hash
			rand.Read(hash[:])
			if j == 0 {
				// A hash above the order: e is reduced.
				for b := range hash {
					hash[b] = 0xff
				}
			}
			sig := k.Sign(hash)
			want, err := crypto.Sign(hash[:], gk)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sig, want) {
				t.Errorf("key %x, hash %x:\nsignature %x\ngo-ethereum %x", raws[i], hash, sig, want)
			}
			got, err := eth.Recover(hash, sig)
			if err != nil || got != k.Address() {
				t.Errorf("Recover = %s, %v; want %s", got, err, k.Address())
			}
			pub, err := crypto.SigToPub(hash[:], sig)
			if err != nil || crypto.PubkeyToAddress(*pub) != common.Address(k.Address()) {
				t.Errorf("go-ethereum recovers %v, %v from our signature", pub, err)
			}
		}
	}
}

func TestRecoverTakesHighS(t *testing.T) {
	k, _ := eth.GenerateKey()
	var hash eth.Hash
	rand.Read(hash[:])
	sig := k.Sign(hash)
	s := new(big.Int).SetBytes(sig[32:64])
	high := bytes.Clone(sig)
	new(big.Int).Sub(curveOrder, s).FillBytes(high[32:64])
	high[64] ^= 1
	got, err := eth.Recover(hash, high)
	if err != nil || got != k.Address() {
		t.Errorf("Recover of the high-S twin = %s, %v; want %s", got, err, k.Address())
	}
	geth, err := crypto.Ecrecover(hash[:], high)
	if err != nil || common.BytesToAddress(crypto.Keccak256(geth[1:])[12:]) != common.Address(k.Address()) {
		t.Errorf("go-ethereum: %x, %v", geth, err)
	}
	for name, bad := range map[string][]byte{
		"short":   sig[:64],
		"v=2":     append(bytes.Clone(sig[:64]), 2),
		"v=29":    append(bytes.Clone(sig[:64]), 29),
		"r=0":     append(make([]byte, 32), sig[32:]...),
		"s=0":     append(append(bytes.Clone(sig[:32]), make([]byte, 32)...), sig[64]),
		"r=order": append(curveOrder.FillBytes(make([]byte, 32)), sig[32:]...),
	} {
		if a, err := eth.Recover(hash, bad); err == nil {
			t.Errorf("%s: Recover = %s, want an error", name, a)
		}
	}
}

func TestPersonalSignMatchesGoEthereum(t *testing.T) {
	keys, raws := testKeys(t, 5)
	for i, k := range keys {
		gk, _ := crypto.ToECDSA(raws[i])
		for _, msg := range []string{"", "hello", eth.BindingMessage("0123456789ABCDEF0123456789ABCDEF01234567"), strings.Repeat("long ", 100)} {
			if h := eth.PersonalHash([]byte(msg)); !bytes.Equal(h[:], accounts.TextHash([]byte(msg))) {
				t.Errorf("PersonalHash(%q) = %x, go-ethereum %x", msg, h, accounts.TextHash([]byte(msg)))
			}
			sig := eth.SignPersonal(k, []byte(msg))
			want, _ := crypto.Sign(accounts.TextHash([]byte(msg)), gk)
			want[64] += 27
			if !bytes.Equal(sig, want) {
				t.Errorf("SignPersonal(%q) = %x, want %x", msg, sig, want)
			}
			if a, err := eth.RecoverPersonal([]byte(msg), sig); err != nil || a != k.Address() {
				t.Errorf("RecoverPersonal = %s, %v", a, err)
			}
		}
	}
}

func TestBinding(t *testing.T) {
	k, _ := eth.GenerateKey()
	other, _ := eth.GenerateKey()
	const fpr = "0123456789ABCDEF0123456789ABCDEF01234567"
	if got := eth.BindingMessage(fpr); got != "openpgp4fpr:0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("BindingMessage = %q", got)
	}
	acct, sig := eth.SignBinding(k, 1337, fpr)
	if acct.ChainID != 1337 || acct.Address != k.Address() || sig[64] != 27 && sig[64] != 28 {
		t.Fatalf("SignBinding = %v, %x", acct, sig)
	}
	got, err := eth.VerifyBinding(acct.String(), strings.ToLower(fpr), sig)
	if err != nil || got != acct {
		t.Errorf("VerifyBinding = %v, %v", got, err)
	}
	if _, err := eth.VerifyBinding(eth.Account{ChainID: 1337, Address: other.Address()}.String(), fpr, sig); !isNotBound(err) {
		t.Errorf("a binding naming another account: %v", err)
	}
	if _, err := eth.VerifyBinding(acct.String(), "1123456789ABCDEF0123456789ABCDEF01234567", sig); !isNotBound(err) {
		t.Errorf("a binding of another fingerprint: %v", err)
	}
	if _, err := eth.VerifyBinding(acct.String(), fpr, sig[:10]); !isNotBound(err) {
		t.Errorf("a cut signature: %v", err)
	}
	if _, err := eth.VerifyBinding("eip155:1337", fpr, sig); !isInvalid(err) {
		t.Errorf("a malformed account: %v", err)
	}
}

func TestAddressChecksums(t *testing.T) {
	for range 50 {
		var a common.Address
		rand.Read(a[:])
		ours := eth.Address(a)
		if ours.Hex() != a.Hex() {
			t.Fatalf("Hex = %s, go-ethereum %s", ours.Hex(), a.Hex())
		}
		for _, s := range []string{a.Hex(), strings.ToLower(a.Hex()), "0x" + strings.ToUpper(a.Hex()[2:])} {
			if got, err := eth.ParseAddress(s); err != nil || got != ours {
				t.Errorf("ParseAddress(%s) = %s, %v", s, got, err)
			}
		}
		// Change the case of one letter: the checksum no longer holds
		// (unless that makes the address all one case).
		s := []byte(a.Hex())
		for i := 2; i < len(s); i++ {
			if s[i] >= 'a' && s[i] <= 'f' || s[i] >= 'A' && s[i] <= 'F' {
				s[i] ^= 0x20
				break
			}
		}
		bad := string(s)
		mixed := bad[2:] != strings.ToLower(bad[2:]) && bad[2:] != strings.ToUpper(bad[2:])
		if _, err := eth.ParseAddress(bad); mixed && !isInvalid(err) {
			t.Errorf("ParseAddress(%s) with a broken checksum: %v", bad, err)
		}
	}
	// EIP-55's own examples.
	for _, s := range []string{
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	} {
		a, err := eth.ParseAddress(s)
		if err != nil || a.Hex() != s {
			t.Errorf("ParseAddress(%s) = %s, %v", s, a.Hex(), err)
		}
	}
	for _, bad := range []string{"", "0x", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd", "0xzaAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"} {
		if _, err := eth.ParseAddress(bad); !isInvalid(err) {
			t.Errorf("ParseAddress(%q): %v", bad, err)
		}
	}
}

func TestAccounts(t *testing.T) {
	const addr = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
	a, err := eth.ParseAccount("eip155:1337:" + strings.ToLower(addr))
	if err != nil || a.ChainID != 1337 || a.Address.Hex() != addr {
		t.Fatalf("ParseAccount = %v, %v", a, err)
	}
	if a.String() != "eip155:1337:"+addr {
		t.Errorf("String = %s", a)
	}
	if a, err := eth.ParseAccount("eip155:18446744073709551615:" + addr); err != nil || a.ChainID != 1<<64-1 {
		t.Errorf("largest chain ID: %v, %v", a, err)
	}
	for _, bad := range []string{
		"", "eip155", "eip155:1", "eip155:1:", "eip155::" + addr, "eip155:0:" + addr, "eip155:01:" + addr,
		"eip155:-1:" + addr, "eip155:+1:" + addr, "eip155:1_0:" + addr, "eip155:18446744073709551616:" + addr,
		"cosmos:1:" + addr, "EIP155:1:" + addr, "eip155:1:" + addr + ":x", "eip155:1:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
	} {
		if a, err := eth.ParseAccount(bad); !isInvalid(err) {
			t.Errorf("ParseAccount(%q) = %v, %v", bad, a, err)
		}
	}
}

func TestDynamicFeeTxMatchesGoEthereum(t *testing.T) {
	keys, raws := testKeys(t, 3)
	r := mrand.New(mrand.NewPCG(1, 2))
	huge := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	amounts := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(127), big.NewInt(128), big.NewInt(256), big.NewInt(1e18), huge}
	for i, k := range keys {
		gk, _ := crypto.ToECDSA(raws[i])
		for _, n := range []int{0, 1, 55, 56, 300, 70000} {
			data := make([]byte, n)
			rand.Read(data)
			if n == 1 {
				data[0] = 0x7f // a single byte under 0x80 is its own encoding
			}
			chainID := []uint64{1, 1337, 1 << 40}[r.IntN(3)]
			nonce := []uint64{0, 1, 127, 128, 1 << 33}[r.IntN(5)]
			tip := amounts[r.IntN(len(amounts)-1)]
			feeCap := new(big.Int).Add(tip, amounts[r.IntN(len(amounts)-1)])
			value := amounts[r.IntN(len(amounts))]
			gas := uint64(21000 + r.IntN(1<<20))
			var to eth.Address
			rand.Read(to[:])
			raw, hash, err := eth.SignDynamicFeeTx(chainID, nonce, tip, feeCap, gas, to, value, data, k)
			if err != nil {
				t.Fatal(err)
			}
			gto := common.Address(to)
			tx, err := types.SignTx(types.NewTx(&types.DynamicFeeTx{
				ChainID: new(big.Int).SetUint64(chainID), Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: gas,
				To: &gto, Value: value, Data: data,
			}), types.LatestSignerForChainID(new(big.Int).SetUint64(chainID)), gk)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := tx.MarshalBinary()
			if !bytes.Equal(raw, want) {
				t.Errorf("data %d bytes, chain %d: raw transaction differs from go-ethereum's\n%x\n%x", n, chainID, raw, want)
			}
			if hash != eth.Hash(tx.Hash()) {
				t.Errorf("hash %s, go-ethereum %s", hash, tx.Hash())
			}
			var back types.Transaction
			if err := back.UnmarshalBinary(raw); err != nil {
				t.Fatalf("go-ethereum cannot read the transaction: %v", err)
			}
			from, err := types.Sender(types.LatestSignerForChainID(new(big.Int).SetUint64(chainID)), &back)
			if err != nil || from != common.Address(k.Address()) {
				t.Errorf("sender %s, %v; want %s", from, err, k.Address())
			}
		}
	}
	k := keys[0]
	for name, args := range map[string][3]*big.Int{
		"negative value":   {big.NewInt(1), big.NewInt(2), big.NewInt(-1)},
		"value too large":  {big.NewInt(1), big.NewInt(2), new(big.Int).Add(huge, big.NewInt(1))},
		"tip above cap":    {big.NewInt(3), big.NewInt(2), big.NewInt(0)},
		"tip with no cap":  {big.NewInt(3), nil, big.NewInt(0)},
		"negative fee cap": {big.NewInt(0), big.NewInt(-2), big.NewInt(0)},
	} {
		if _, _, err := eth.SignDynamicFeeTx(1, 0, args[0], args[1], 21000, eth.Address{}, args[2], nil, k); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
}

// TestRLPMatchesGoEthereum checks the lengths where RLP's headers change
// form, through transactions' data and through go-ethereum's encoder.
func TestRLPMatchesGoEthereum(t *testing.T) {
	k, _ := eth.GenerateKey()
	for _, n := range []int{0, 1, 2, 54, 55, 56, 57, 255, 256, 65535, 65536} {
		data := bytes.Repeat([]byte{0x80}, n)
		raw, _, err := eth.SignDynamicFeeTx(1, 0, nil, nil, 21000, eth.Address{}, nil, data, k)
		if err != nil {
			t.Fatal(err)
		}
		var tx types.Transaction
		if err := tx.UnmarshalBinary(raw); err != nil {
			t.Fatalf("data of %d bytes: %v", n, err)
		}
		if !bytes.Equal(tx.Data(), data) {
			t.Errorf("data of %d bytes came back as %d bytes", n, len(tx.Data()))
		}
		enc, _ := rlp.EncodeToBytes(data)
		if !bytes.Contains(raw, enc) {
			t.Errorf("data of %d bytes: go-ethereum's encoding %x… is not in the transaction", n, enc[:min(len(enc), 8)])
		}
	}
}

const abiJSON = `[
{"type":"function","name":"tip","stateMutability":"payable","inputs":[{"name":"author","type":"address"},{"name":"cid","type":"string"}],"outputs":[]},
{"type":"function","name":"tipToken","stateMutability":"nonpayable","inputs":[{"name":"token","type":"address"},{"name":"author","type":"address"},{"name":"amount","type":"uint256"},{"name":"cid","type":"string"}],"outputs":[]},
{"type":"function","name":"totalTipped","stateMutability":"view","inputs":[{"name":"cid","type":"string"},{"name":"token","type":"address"}],"outputs":[{"name":"","type":"uint256"}]},
{"type":"function","name":"tipCount","stateMutability":"view","inputs":[{"name":"cid","type":"string"}],"outputs":[{"name":"","type":"uint256"}]},
{"type":"function","name":"approve","stateMutability":"nonpayable","inputs":[{"name":"spender","type":"address"},{"name":"amount","type":"uint256"}],"outputs":[{"name":"","type":"bool"}]},
{"type":"function","name":"allowance","stateMutability":"view","inputs":[{"name":"owner","type":"address"},{"name":"spender","type":"address"}],"outputs":[{"name":"","type":"uint256"}]},
{"type":"function","name":"balanceOf","stateMutability":"view","inputs":[{"name":"owner","type":"address"}],"outputs":[{"name":"","type":"uint256"}]}
]`

func TestABIMatchesGoEthereum(t *testing.T) {
	parsed, err := abi.JSON(strings.NewReader(abiJSON))
	if err != nil {
		t.Fatal(err)
	}
	pack := func(name string, args ...any) []byte {
		t.Helper()
		b, err := parsed.Pack(name, args...)
		if err != nil {
			t.Fatalf("abi.Pack(%s): %v", name, err)
		}
		return b
	}
	var a, b common.Address
	rand.Read(a[:])
	rand.Read(b[:])
	huge := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	for _, cid := range []string{"", "x", strings.Repeat("c", 31), strings.Repeat("c", 32), strings.Repeat("c", 33), "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "ünïcødé ✓"} {
		for _, amount := range []*big.Int{big.NewInt(0), big.NewInt(1e18), huge} {
			check := func(name string, got []byte, err error, want []byte) {
				t.Helper()
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s(cid %q, amount %s): %v\n%x\nwant %x", name, cid, amount, err, got, want)
				}
			}
			check("tip", eth.TipCall(eth.Address(a), cid), nil, pack("tip", a, cid))
			got, err := eth.TipTokenCall(eth.Address(a), eth.Address(b), amount, cid)
			check("tipToken", got, err, pack("tipToken", a, b, amount, cid))
			check("totalTipped", eth.TotalTippedCall(cid, eth.Address(b)), nil, pack("totalTipped", cid, b))
			check("tipCount", eth.TipCountCall(cid), nil, pack("tipCount", cid))
			got, err = eth.ApproveCall(eth.Address(a), amount)
			check("approve", got, err, pack("approve", a, amount))
			check("allowance", eth.AllowanceCall(eth.Address(a), eth.Address(b)), nil, pack("allowance", a, b))
			check("balanceOf", eth.BalanceOfCall(eth.Address(a)), nil, pack("balanceOf", a))
		}
	}
	for name, m := range parsed.Methods {
		if sel := eth.Selector(m.Sig); !bytes.Equal(sel[:], m.ID) {
			t.Errorf("Selector(%s) = %x, go-ethereum %x", m.Sig, sel, m.ID)
		}
		_ = name
	}
	if _, err := eth.TipTokenCall(eth.Address{}, eth.Address{}, big.NewInt(-1), "x"); err == nil {
		t.Error("a negative amount was encoded")
	}
	if _, err := eth.ApproveCall(eth.Address{}, new(big.Int).Add(huge, big.NewInt(1))); err == nil {
		t.Error("an amount over 256 bits was encoded")
	}
	for _, n := range []*big.Int{big.NewInt(0), big.NewInt(42), huge} {
		ret, _ := parsed.Methods["totalTipped"].Outputs.Pack(n)
		got, err := eth.DecodeUint256(ret)
		if err != nil || got.Cmp(n) != 0 {
			t.Errorf("DecodeUint256(%x) = %v, %v", ret, got, err)
		}
	}
	for _, bad := range [][]byte{nil, make([]byte, 31), make([]byte, 64)} {
		if _, err := eth.DecodeUint256(bad); err == nil {
			t.Errorf("DecodeUint256 took %d bytes", len(bad))
		}
	}
}
