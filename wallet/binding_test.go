package wallet_test

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wallet/devchain"
	"github.com/veilsocial/veil/wasmclient/eth"
	"github.com/veilsocial/veil/wasmclient/persona"
)

var devChainID = big.NewInt(devchain.ChainID)

// newPersona makes an unprotected persona dated an hour ago, so that the
// self-signatures binding writes are strictly newer without waiting.
func newPersona(t *testing.T, name string) *persona.Persona {
	t.Helper()
	p, err := persona.New(persona.Options{Name: name, Email: strings.ToLower(name) + "@example.org",
		Time: func() time.Time { return time.Now().Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// published is the persona's public key as another person reads it.
func published(t *testing.T, p *persona.Persona) *openpgp.Entity {
	t.Helper()
	pub, err := p.ArmoredPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	el, err := persona.ReadKeys(pub)
	if err != nil {
		t.Fatal(err)
	}
	return el[0]
}

func TestBindingRoundTrip(t *testing.T) {
	p := newPersona(t, "Alice")
	alice := wallet.NewKeySigner(devchain.AccountKey("alice"))
	if _, err := wallet.CheckBinding(p.Entity(), devChainID); !errors.Is(err, wallet.ErrNotBound) {
		t.Errorf("before binding: %v", err)
	}
	if err := wallet.Bind(p, alice, devChainID); err != nil {
		t.Fatal(err)
	}
	b, ok := p.Wallet()
	if !ok || b.Account != "eip155:1337:"+alice.Address().Hex() || len(b.Signature) != 65 || (b.Signature[64] != 27 && b.Signature[64] != 28) {
		t.Fatalf("binding %+v", b)
	}
	// Two-way, on the key as published.
	e := published(t, p)
	got, err := wallet.CheckBinding(e, devChainID)
	if err != nil || got != alice.Address() {
		t.Fatalf("two-way check: %s, %v", got.Hex(), err)
	}
	// On another chain it is refused.
	if _, err := wallet.CheckBinding(e, big.NewInt(1)); !errors.Is(err, wallet.ErrWrongChain) {
		t.Errorf("chain 1: %v", err)
	}
	// Rebinding to bob replaces alice.
	bob := wallet.NewKeySigner(devchain.AccountKey("bob"))
	if err := wallet.Bind(p, bob, devChainID); err != nil {
		t.Fatal(err)
	}
	if got, err := wallet.CheckBinding(published(t, p), devChainID); err != nil || got != bob.Address() {
		t.Errorf("rebound: %s, %v", got.Hex(), err)
	}
}

func TestBindingTampered(t *testing.T) {
	alice := wallet.NewKeySigner(devchain.AccountKey("alice"))
	bob := wallet.NewKeySigner(devchain.AccountKey("bob"))

	// The key names alice but carries bob's signature (the key's owner
	// signed this, so only the account's half is wrong).
	p := newPersona(t, "Mallory")
	b, err := wallet.SignBinding(bob, devChainID, p.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	b.Account = wallet.CAIP10(devChainID, alice.Address())
	if err := p.SetWallet(b); err != nil {
		t.Fatal(err)
	}
	if _, err := wallet.CheckBinding(published(t, p), devChainID); !errors.Is(err, wallet.ErrNotTwoWay) {
		t.Errorf("someone else's signature: %v", err)
	}
	// Alice's signature, but over another key's fingerprint.
	p = newPersona(t, "Mallory")
	other := newPersona(t, "Other")
	b, _ = wallet.SignBinding(alice, devChainID, other.Fingerprint())
	if err := p.SetWallet(b); err != nil {
		t.Fatal(err)
	}
	if _, err := wallet.CheckBinding(published(t, p), devChainID); !errors.Is(err, wallet.ErrNotTwoWay) {
		t.Errorf("signature over another key: %v", err)
	}
	// No signature at all: one-way.
	p = newPersona(t, "Mallory")
	if err := p.SetWallet(persona.WalletBinding{Account: wallet.CAIP10(devChainID, alice.Address())}); err != nil {
		t.Fatal(err)
	}
	if _, err := wallet.CheckBinding(published(t, p), devChainID); !errors.Is(err, wallet.ErrNotTwoWay) {
		t.Errorf("no signature: %v", err)
	}
	// A good binding whose notation is changed after the key signed it (the
	// same bytes with bob's address in place of alice's): the self-signature
	// no longer verifies, so the key binds nothing.
	q := newPersona(t, "Quentin")
	if err := wallet.Bind(q, alice, devChainID); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := q.PublicKey(&buf); err != nil {
		t.Fatal(err)
	}
	from, to := []byte(wallet.CAIP10(devChainID, alice.Address())), []byte(wallet.CAIP10(devChainID, bob.Address()))
	if !bytes.Contains(buf.Bytes(), from) {
		t.Fatal("the key does not hold the account as bytes")
	}
	el, err := openpgp.ReadKeyRing(bytes.NewReader(bytes.ReplaceAll(buf.Bytes(), from, to)))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := wallet.CheckBinding(el[0], devChainID); !errors.Is(err, wallet.ErrNotBound) {
		t.Errorf("a forged notation: %s, %v", got.Hex(), err)
	}
}

func TestBindingWithKeystore(t *testing.T) {
	ks, err := wallet.OpenKeystore(t.TempDir(), wallet.LightKDF)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := ks.New("pass")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ks.Unlock(addr, "pass")
	if err != nil {
		t.Fatal(err)
	}
	p := newPersona(t, "Kim")
	if err := wallet.Bind(p, s, devChainID); err != nil {
		t.Fatal(err)
	}
	if got, err := wallet.CheckBinding(published(t, p), devChainID); err != nil || got != addr {
		t.Errorf("keystore binding: %s, %v", got.Hex(), err)
	}
}

func TestCAIP10(t *testing.T) {
	addr := wallet.NewKeySigner(devchain.AccountKey("alice")).Address()
	s := wallet.CAIP10(big.NewInt(1337), addr)
	id, a, err := wallet.ParseCAIP10(s)
	if err != nil || id.Int64() != 1337 || a != addr {
		t.Errorf("%s: %v %s %v", s, id, a.Hex(), err)
	}
	for _, bad := range []string{"", "eip155:1337", "cosmos:1:" + addr.Hex(), "eip155:0:" + addr.Hex(), "eip155:01:" + addr.Hex(),
		"eip155:x:" + addr.Hex(), "eip155:1:0x1234", "eip155:1:" + addr.Hex() + ":x"} {
		if _, _, err := wallet.ParseCAIP10(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestBindingCrossCheck: go-ethereum's signing and recovery and
// wasmclient/eth's (what the browser runs) agree on the binding, byte for
// byte.
func TestBindingCrossCheck(t *testing.T) {
	p := newPersona(t, "Cross")
	fpr := p.Fingerprint()
	msg := eth.BindingMessage(fpr)
	if msg != "openpgp4fpr:"+strings.ToLower(fpr) {
		t.Fatalf("binding message %q", msg)
	}
	for _, name := range devchain.DefaultAccounts {
		key := devchain.AccountKey(name)
		ek, err := eth.PrivateKeyFromBytes(crypto.FromECDSA(key))
		if err != nil {
			t.Fatal(err)
		}
		acct, esig := eth.SignBinding(ek, devchain.ChainID, fpr)
		b, err := wallet.SignBinding(wallet.NewKeySigner(key), devChainID, fpr)
		if err != nil {
			t.Fatal(err)
		}
		if b.Account != acct.String() || !bytes.Equal(b.Signature, esig) {
			t.Errorf("%s: go-ethereum signed %s %x, wasmclient/eth %s %x", name, b.Account, b.Signature, acct, esig)
		}
		// Each side recovers the other's signature to the same account.
		if who, err := wallet.RecoverText([]byte(msg), esig); err != nil || who != common.Address(ek.Address()) {
			t.Errorf("%s: go-ethereum recovers wasmclient/eth's signature to %s, %v", name, who.Hex(), err)
		}
		if _, err := eth.VerifyBinding(b.Account, fpr, b.Signature); err != nil {
			t.Errorf("%s: wasmclient/eth refuses go-ethereum's signature: %v", name, err)
		}
		// And both refuse it for another key.
		other := newPersona(t, "Other").Fingerprint()
		if _, err := eth.VerifyBinding(b.Account, other, b.Signature); !errors.Is(err, eth.ErrNotBound) {
			t.Errorf("%s: wasmclient/eth accepts the signature for another key: %v", name, err)
		}
		if who, _ := wallet.RecoverText([]byte(eth.BindingMessage(other)), b.Signature); who == crypto.PubkeyToAddress(key.PublicKey) {
			t.Errorf("%s: go-ethereum accepts the signature for another key", name)
		}
	}
}
