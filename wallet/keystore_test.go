package wallet_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/veilsocial/veil/wallet"
	"github.com/veilsocial/veil/wallet/devchain"
)

func TestKeystore(t *testing.T) {
	home := t.TempDir()
	ks, err := wallet.OpenKeystore(wallet.KeystoreDir(home), wallet.LightKDF)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Account(""); !errors.Is(err, wallet.ErrNoAccount) {
		t.Errorf("empty keystore: %v", err)
	}
	if _, err := ks.New(""); !errors.Is(err, wallet.ErrNeedPassphrase) {
		t.Errorf("no passphrase: %v", err)
	}
	made, err := ks.New("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	only, err := ks.Account("")
	if err != nil || only != made {
		t.Errorf("the only account: %s, %v", only.Hex(), err)
	}
	// Import a known key, in any spelling.
	aliceKey := devchain.AccountKey("alice")
	alice := crypto.PubkeyToAddress(aliceKey.PublicKey)
	hexKey := hexutil.Encode(crypto.FromECDSA(aliceKey))
	got, err := ks.Import(hexKey, "alice pass")
	if err != nil || got != alice {
		t.Fatalf("import: %s, %v", got.Hex(), err)
	}
	if _, err := ks.Import(hexKey[2:], "again"); !errors.Is(err, wallet.ErrAccountExists) {
		t.Errorf("second import: %v", err)
	}
	for _, bad := range []string{"", "0x1234", "0xzz" + hexKey[4:], hexKey + "00"} {
		if _, err := ks.Import(bad, "p"); !errors.Is(err, wallet.ErrBadKey) {
			t.Errorf("import %q: %v", bad, err)
		}
	}
	if n := len(ks.Accounts()); n != 2 {
		t.Errorf("%d accounts", n)
	}
	if _, err := ks.Account(""); !errors.Is(err, wallet.ErrNoAccount) {
		t.Errorf("two accounts and no choice: %v", err)
	}
	if a, err := ks.Account(alice.Hex()); err != nil || a != alice {
		t.Errorf("by address: %v", err)
	}
	if _, err := ks.Unlock(alice, "wrong"); !errors.Is(err, wallet.ErrBadPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
	s, err := ks.Unlock(alice, "alice pass")
	if err != nil {
		t.Fatal(err)
	}
	// The keystore signs what the key itself signs.
	msg := []byte("openpgp4fpr:0123")
	sig, err := wallet.SignText(s, msg)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := wallet.SignText(wallet.NewKeySigner(aliceKey), msg)
	if string(sig) != string(want) {
		t.Error("keystore signature differs from the key's")
	}
	if who, err := wallet.RecoverText(msg, sig); err != nil || who != alice {
		t.Errorf("recovered %s, %v", who.Hex(), err)
	}
	// A new Keystore on the same directory sees both; the files are private.
	ks2, err := wallet.OpenKeystore(wallet.KeystoreDir(home), wallet.StandardKDF)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ks2.Accounts()); n != 2 {
		t.Errorf("reopened: %d accounts", n)
	}
	files, _ := filepath.Glob(filepath.Join(wallet.KeystoreDir(home), "UTC--*"))
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s mode %v", f, fi.Mode().Perm())
		}
	}
	if len(files) != 2 {
		t.Errorf("%d key files", len(files))
	}
}
