package contracts

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

func selector(sig string) []byte { return crypto.Keccak256([]byte(sig))[:4] }

// TestOverloadSelectors pins every abigen overload name (and our wrappers) to
// the Solidity signature it packs, so that a regeneration that reorders the
// ABI cannot silently swap them.
func TestOverloadSelectors(t *testing.T) {
	c := NewTestUSDC()
	a, b := common.Address{1}, common.Address{2}
	one := big.NewInt(1)
	var n, r, s [32]byte
	sig := make([]byte, 65)
	const twa = "(address,address,uint256,uint256,uint256,bytes32,"
	cases := []struct {
		name string
		data []byte
		sig  string
		hex  string
	}{
		{"PackTransferWithAuthorization", c.PackTransferWithAuthorization(a, b, one, one, one, n, sig), "transferWithAuthorization" + twa + "bytes)", "cf092995"},
		{"PackTransferWithAuthorization0", c.PackTransferWithAuthorization0(a, b, one, one, one, n, 27, r, s), "transferWithAuthorization" + twa + "uint8,bytes32,bytes32)", "e3ee160e"},
		{"PackTransferWithAuthorizationBytes", c.PackTransferWithAuthorizationBytes(a, b, one, one, one, n, sig), "transferWithAuthorization" + twa + "bytes)", "cf092995"},
		{"PackTransferWithAuthorizationVRS", c.PackTransferWithAuthorizationVRS(a, b, one, one, one, n, 27, r, s), "transferWithAuthorization" + twa + "uint8,bytes32,bytes32)", "e3ee160e"},
		{"PackReceiveWithAuthorization", c.PackReceiveWithAuthorization(a, b, one, one, one, n, sig), "receiveWithAuthorization" + twa + "bytes)", "88b7ab63"},
		{"PackReceiveWithAuthorization0", c.PackReceiveWithAuthorization0(a, b, one, one, one, n, 27, r, s), "receiveWithAuthorization" + twa + "uint8,bytes32,bytes32)", "ef55bec6"},
		{"PackReceiveWithAuthorizationBytes", c.PackReceiveWithAuthorizationBytes(a, b, one, one, one, n, sig), "receiveWithAuthorization" + twa + "bytes)", "88b7ab63"},
		{"PackReceiveWithAuthorizationVRS", c.PackReceiveWithAuthorizationVRS(a, b, one, one, one, n, 27, r, s), "receiveWithAuthorization" + twa + "uint8,bytes32,bytes32)", "ef55bec6"},
		{"PackCancelAuthorization", c.PackCancelAuthorization(a, n, 27, r, s), "cancelAuthorization(address,bytes32,uint8,bytes32,bytes32)", "5a049a70"},
		{"PackCancelAuthorization0", c.PackCancelAuthorization0(a, n, sig), "cancelAuthorization(address,bytes32,bytes)", "b7b72899"},
		{"PackCancelAuthorizationVRS", c.PackCancelAuthorizationVRS(a, n, 27, r, s), "cancelAuthorization(address,bytes32,uint8,bytes32,bytes32)", "5a049a70"},
		{"PackCancelAuthorizationBytes", c.PackCancelAuthorizationBytes(a, n, sig), "cancelAuthorization(address,bytes32,bytes)", "b7b72899"},
	}
	for _, tc := range cases {
		want := selector(tc.sig)
		if hex.EncodeToString(want) != tc.hex {
			t.Fatalf("%s: selector of %s is %x, table says %s", tc.name, tc.sig, want, tc.hex)
		}
		if !bytes.Equal(tc.data[:4], want) {
			t.Errorf("%s packs selector %x, want %x (%s)", tc.name, tc.data[:4], want, tc.sig)
		}
	}
}

// TestBindingsMatchBuild fails when build/ and the generated bindings drift
// apart (someone recompiled without regenerating, or edited one by hand).
func TestBindingsMatchBuild(t *testing.T) {
	for _, m := range []struct {
		name string
		meta *bind.MetaData
	}{{"TestUSDC", &TestUSDCMetaData}, {"TestWallet1271", &TestWallet1271MetaData}} {
		bin, err := os.ReadFile(filepath.Join("build", m.name+".bin"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.meta.Bin, "0x"+strings.TrimSpace(string(bin)); got != want {
			t.Errorf("%s: binding bytecode differs from build/%s.bin: run go generate ./facilitator/contracts", m.name, m.name)
		}
		abiJSON, err := os.ReadFile(filepath.Join("build", m.name+".abi"))
		if err != nil {
			t.Fatal(err)
		}
		var fromFile, fromBinding any
		if err := json.Unmarshal(abiJSON, &fromFile); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(m.meta.ABI), &fromBinding); err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(fromFile)
		b, _ := json.Marshal(fromBinding)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: binding ABI differs from build/%s.abi: run go generate ./facilitator/contracts", m.name, m.name)
		}
		if _, err := m.meta.ParseABI(); err != nil {
			t.Errorf("%s: %v", m.name, err)
		}
	}
}
