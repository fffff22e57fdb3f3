package devchain

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

func TestDevAccountsKnownAddresses(t *testing.T) {
	accts, err := DevAccounts(3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
		"0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
		"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
	}
	for i, w := range want {
		if got := accts[i].Address.Hex(); got != w {
			t.Errorf("account %d = %s, want %s", i, got, w)
		}
		if accts[i].Index != i {
			t.Errorf("account %d has Index %d", i, accts[i].Index)
		}
		if crypto.PubkeyToAddress(accts[i].Key.PublicKey) != accts[i].Address {
			t.Errorf("account %d: key does not match address", i)
		}
	}
}

// TestBIP39Seed checks the seed derivation against the first English vector
// of the BIP-39 test suite (passphrase "TREZOR").
func TestBIP39Seed(t *testing.T) {
	m := "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	want := "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
	if got := hex.EncodeToString(bip39Seed(m, "TREZOR")); got != want {
		t.Fatalf("seed = %s, want %s", got, want)
	}
}

// TestBIP32Vector1 checks master and hardened/normal child derivation with
// BIP-32 test vector 1 (seed 000102…0f), chain m/0'/1.
func TestBIP32Vector1(t *testing.T) {
	seed, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f")
	m, err := masterKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(m.key); got != "e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35" {
		t.Fatalf("master key %s", got)
	}
	c, err := m.child(0 + hardened)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(c.key); got != "edb2e14f9ee77d26dd93b4ecede8d16ed408ce149b6cd80b0715a2d911a0afea" {
		t.Fatalf("m/0' key %s", got)
	}
	c, err = c.child(1)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(c.key); got != "3c6cb8d0f6a264c91ea8b5030fadaa8e538b020f0a387421a12de9319dc93368" {
		t.Fatalf("m/0'/1 key %s", got)
	}
}

func TestAccountPrintingHidesKey(t *testing.T) {
	accts, err := DevAccounts(1)
	if err != nil {
		t.Fatal(err)
	}
	keyHex := hex.EncodeToString(crypto.FromECDSA(accts[0].Key))
	keyDec := new(big.Int).SetBytes(crypto.FromECDSA(accts[0].Key)).String()
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, accts[0])
		if strings.Contains(out, keyHex) || strings.Contains(out, keyDec) {
			t.Errorf("%s prints the key: %s", format, out)
		}
	}
	out := fmt.Sprintf("%v", accts)
	if strings.Contains(out, keyDec) {
		t.Errorf("slice printing shows the key: %s", out)
	}
}
