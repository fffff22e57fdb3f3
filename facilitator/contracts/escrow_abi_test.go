package contracts

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/crypto"
)

// paymentInfoTuple is the ABI type of AuthCaptureEscrow.PaymentInfo.
const paymentInfoTuple = "(address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256)"

func parseABI(t *testing.T, m *bind.MetaData) *abi.ABI {
	t.Helper()
	a, err := m.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// hexOf returns the hex of the first n bytes of keccak256(sig).
func hexOf(sig string, n int) string { return hex.EncodeToString(crypto.Keccak256([]byte(sig))[:n]) }

// TestEscrowSelectors pins every function selector of AuthCaptureEscrow v1.0
// (reference escrow.md §3.4) to our compiled ABI: the signature must hash to
// the published selector, and our ABI must have that method with that
// signature and ID.
func TestEscrowSelectors(t *testing.T) {
	escrow := parseABI(t, &AuthCaptureEscrowMetaData)
	cases := []struct{ name, sig, selector string }{
		{"authorize", "authorize(" + paymentInfoTuple + ",uint256,address,bytes)", "41d66202"},
		{"charge", "charge(" + paymentInfoTuple + ",uint256,address,bytes,uint16,address)", "9e65819f"},
		{"capture", "capture(" + paymentInfoTuple + ",uint256,uint16,address)", "644cd79a"},
		{"void", "void(" + paymentInfoTuple + ")", "fa1cad17"},
		{"reclaim", "reclaim(" + paymentInfoTuple + ")", "e1a2a66d"},
		{"refund", "refund(" + paymentInfoTuple + ",uint256,address,bytes)", "d458db5a"},
		{"getHash", "getHash(" + paymentInfoTuple + ")", "063a70ff"},
		{"paymentState", "paymentState(bytes32)", "34b778ed"},
		{"getTokenStore", "getTokenStore(address)", "9d3facde"},
		{"PAYMENT_INFO_TYPEHASH", "PAYMENT_INFO_TYPEHASH()", "e15d987a"},
		{"tokenStoreImplementation", "tokenStoreImplementation()", "a834c89b"},
	}
	for _, tc := range cases {
		if got := hexOf(tc.sig, 4); got != tc.selector {
			t.Fatalf("%s: keccak(%s) = %s, reference says %s", tc.name, tc.sig, got, tc.selector)
		}
		m, ok := escrow.Methods[tc.name]
		if !ok {
			t.Errorf("AuthCaptureEscrow has no method %s", tc.name)
			continue
		}
		if m.Sig != tc.sig || hex.EncodeToString(m.ID) != tc.selector {
			t.Errorf("%s: ABI has %s (0x%x), want %s (0x%s)", tc.name, m.Sig, m.ID, tc.sig, tc.selector)
		}
	}
	// Exactly these functions: nothing to call that v1.0 lacks.
	if len(escrow.Methods) != len(cases) {
		var names []string
		for n := range escrow.Methods {
			names = append(names, n)
		}
		t.Errorf("AuthCaptureEscrow has %d methods (%v), want %d", len(escrow.Methods), names, len(cases))
	}
	// The v1.1 capture (absolute feeAmount) must not be there.
	if m, err := escrow.MethodById([]byte{0x3e, 0xfa, 0x46, 0xe1}); err == nil {
		t.Errorf("ABI has the v1.1 capture %s", m.Sig)
	}

	// paymentState is the public mapping getter (bool, uint120, uint120).
	ps := escrow.Methods["paymentState"]
	var outs []string
	for _, o := range ps.Outputs {
		outs = append(outs, o.Type.String()+" "+o.Name)
	}
	if got := strings.Join(outs, ", "); got != "bool hasCollectedPayment, uint120 capturableAmount, uint120 refundableAmount" {
		t.Errorf("paymentState returns (%s)", got)
	}

	// The PaymentInfo tuple's field names and order (the Go binding maps by name).
	gh := escrow.Methods["getHash"].Inputs[0].Type
	var fields []string
	for i, el := range gh.TupleElems {
		fields = append(fields, gh.TupleRawNames[i]+":"+el.String())
	}
	want := "operator:address payer:address receiver:address token:address maxAmount:uint120 preApprovalExpiry:uint48 " +
		"authorizationExpiry:uint48 refundExpiry:uint48 minFeeBps:uint16 maxFeeBps:uint16 feeReceiver:address salt:uint256"
	if got := strings.Join(fields, " "); got != want {
		t.Errorf("PaymentInfo is\n%s\nwant\n%s", got, want)
	}
}

// TestCollectorSelectors pins the collector interface (escrow.md §3.9) and
// TokenStore.sendTokens.
func TestCollectorSelectors(t *testing.T) {
	for _, c := range []struct {
		name string
		meta *bind.MetaData
	}{
		{"ERC3009PaymentCollector", &ERC3009PaymentCollectorMetaData},
		{"OperatorRefundCollector", &OperatorRefundCollectorMetaData},
		{"TestHostileCollector", &TestHostileCollectorMetaData},
	} {
		a := parseABI(t, c.meta)
		for _, tc := range []struct{ name, sig, selector string }{
			{"collectTokens", "collectTokens(" + paymentInfoTuple + ",address,uint256,bytes)", "49884788"},
			{"collectorType", "collectorType()", "ccdafa11"},
			{"authCaptureEscrow", "authCaptureEscrow()", "40865734"},
		} {
			if got := hexOf(tc.sig, 4); got != tc.selector {
				t.Fatalf("keccak(%s) = %s, reference says %s", tc.sig, got, tc.selector)
			}
			m, ok := a.Methods[tc.name]
			if !ok || m.Sig != tc.sig || hex.EncodeToString(m.ID) != tc.selector {
				t.Errorf("%s.%s: got %q (%x), want %s", c.name, tc.name, m.Sig, m.ID, tc.selector)
			}
		}
		if e, ok := a.Errors["OnlyAuthCaptureEscrow"]; !ok || e.Sig != "OnlyAuthCaptureEscrow()" {
			t.Errorf("%s lacks OnlyAuthCaptureEscrow()", c.name)
		}
	}
	col := parseABI(t, &ERC3009PaymentCollectorMetaData)
	if m, ok := col.Methods["multicall3"]; !ok || m.Sig != "multicall3()" {
		t.Errorf("ERC3009PaymentCollector lacks multicall3()")
	}
	store := parseABI(t, &TokenStoreMetaData)
	if m := store.Methods["sendTokens"]; m.Sig != "sendTokens(address,address,uint256)" || len(m.Outputs) != 1 || m.Outputs[0].Type.String() != "bool" {
		t.Errorf("TokenStore.sendTokens is %s -> %v", m.Sig, m.Outputs)
	}
	if m := store.Methods["authCaptureEscrow"]; m.Sig != "authCaptureEscrow()" {
		t.Errorf("TokenStore lacks authCaptureEscrow()")
	}
	mc := parseABI(t, &Multicall3LiteMetaData)
	if m := mc.Methods["tryAggregate"]; hex.EncodeToString(m.ID) != "bce38bd7" || m.Sig != "tryAggregate(bool,(address,bytes)[])" {
		t.Errorf("Multicall3Lite.tryAggregate is %s (%x), want Multicall3's 0xbce38bd7", m.Sig, m.ID)
	}
}

// TestEscrowEventTopics pins every event topic of v1.0 (escrow.md §3.5).
func TestEscrowEventTopics(t *testing.T) {
	escrow := parseABI(t, &AuthCaptureEscrowMetaData)
	cases := []struct{ name, sig, topic string }{
		{"PaymentAuthorized", "PaymentAuthorized(bytes32," + paymentInfoTuple + ",uint256,address)", "1c81fb2e3bab27f6bb09bee9a0dddf61600b7cbaf2c12683e4864e0cbdb9d284"},
		{"PaymentCaptured", "PaymentCaptured(bytes32,uint256,uint16,address)", "e749f7bbd01b49bb05abf26ca492cb4dfdea6bedeada8a40fdccd478c73a74e2"},
		{"PaymentCharged", "PaymentCharged(bytes32," + paymentInfoTuple + ",uint256,address,uint16,address)", "943ae4341dd799d7aeedc501f616cd26b134639e0bc2ec059581ba3ebbf1e7d0"},
		{"PaymentVoided", "PaymentVoided(bytes32,uint256)", "cadce8c3acb008e3e1c64ca7f60d22a3c87069183182b7dbb9e4d8cfb3a15842"},
		{"PaymentReclaimed", "PaymentReclaimed(bytes32,uint256)", "78e1d723d17e13b7f40eeab9bf6dd9148a630bafde4203ab7bb5fca983516d17"},
		{"PaymentRefunded", "PaymentRefunded(bytes32,uint256,address)", "1bf415371b303ca6b8bbb4ce479b177cba5ad15dbe0c9a7750a588aa6bcd25b2"},
		{"TokenStoreCreated", "TokenStoreCreated(address,address)", "d8699a107a4fe8ea740423e52159bafb235249dce5c2df55fa265db06964d136"},
	}
	for _, tc := range cases {
		if got := hexOf(tc.sig, 32); got != tc.topic {
			t.Fatalf("%s: keccak(%s) = %s, reference says %s", tc.name, tc.sig, got, tc.topic)
		}
		e, ok := escrow.Events[tc.name]
		if !ok || e.Sig != tc.sig || hex.EncodeToString(e.ID[:]) != tc.topic {
			t.Errorf("%s: ABI has %q (%x), want %s", tc.name, e.Sig, e.ID, tc.topic)
		}
		// The payment hash (or the operator) is the only indexed argument.
		if len(e.Inputs) == 0 || !e.Inputs[0].Indexed {
			t.Errorf("%s: first argument not indexed", tc.name)
		}
		for _, in := range e.Inputs[1:] {
			if in.Indexed {
				t.Errorf("%s: %s is indexed", tc.name, in.Name)
			}
		}
	}
	if len(escrow.Events) != len(cases) {
		t.Errorf("AuthCaptureEscrow has %d events, want %d", len(escrow.Events), len(cases))
	}
}

// TestEscrowErrorSelectors pins every custom error of v1.0 (escrow.md §3.5),
// Solady's Reentrancy() included.
func TestEscrowErrorSelectors(t *testing.T) {
	escrow := parseABI(t, &AuthCaptureEscrowMetaData)
	cases := []struct{ name, sig, selector string }{
		{"InvalidSender", "InvalidSender(address,address)", "e1130dba"},
		{"ZeroAmount", "ZeroAmount()", "1f2a2005"},
		{"AmountOverflow", "AmountOverflow(uint256,uint256)", "6c0442a2"},
		{"ExceedsMaxAmount", "ExceedsMaxAmount(uint256,uint256)", "092af19e"},
		{"AfterPreApprovalExpiry", "AfterPreApprovalExpiry(uint48,uint48)", "c46cf60f"},
		{"InvalidExpiries", "InvalidExpiries(uint48,uint48,uint48)", "88ef0760"},
		{"FeeBpsOverflow", "FeeBpsOverflow(uint16)", "bf47e3f7"},
		{"InvalidFeeBpsRange", "InvalidFeeBpsRange(uint16,uint16)", "0950d5d0"},
		{"FeeBpsOutOfRange", "FeeBpsOutOfRange(uint16,uint16,uint16)", "0b345f0c"},
		{"ZeroFeeReceiver", "ZeroFeeReceiver()", "b6802b7f"},
		{"InvalidFeeReceiver", "InvalidFeeReceiver(address,address)", "4caf6a34"},
		{"InvalidCollectorForOperation", "InvalidCollectorForOperation()", "5313287d"},
		{"TokenCollectionFailed", "TokenCollectionFailed()", "3c73c4a0"},
		{"PaymentAlreadyCollected", "PaymentAlreadyCollected(bytes32)", "ad7c145a"},
		{"AfterAuthorizationExpiry", "AfterAuthorizationExpiry(uint48,uint48)", "36f2d211"},
		{"InsufficientAuthorization", "InsufficientAuthorization(bytes32,uint256,uint256)", "604b0947"},
		{"ZeroAuthorization", "ZeroAuthorization(bytes32)", "93bb7a12"},
		{"BeforeAuthorizationExpiry", "BeforeAuthorizationExpiry(uint48,uint48)", "aa5674ad"},
		{"AfterRefundExpiry", "AfterRefundExpiry(uint48,uint48)", "94271bde"},
		{"RefundExceedsCapture", "RefundExceedsCapture(uint256,uint256)", "6295d604"},
		{"Reentrancy", "Reentrancy()", "ab143c06"},
	}
	for _, tc := range cases {
		if got := hexOf(tc.sig, 4); got != tc.selector {
			t.Fatalf("%s: keccak(%s) = %s, reference says %s", tc.name, tc.sig, got, tc.selector)
		}
		e, ok := escrow.Errors[tc.name]
		if !ok || e.Sig != tc.sig || hex.EncodeToString(e.ID[:4]) != tc.selector {
			t.Errorf("%s: ABI has %q (%x), want %s", tc.name, e.Sig, e.ID[:4], tc.selector)
		}
	}
}

func stripSpace(b []byte) []byte {
	return bytes.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, b)
}

// TestEscrowBindingsMatchBuild is TestBindingsMatchBuild for the escrow
// contracts: build/ and escrow.gen.go / testwalletfactory.gen.go agree.
func TestEscrowBindingsMatchBuild(t *testing.T) {
	for _, m := range []struct {
		name string
		meta *bind.MetaData
	}{
		{"AuthCaptureEscrow", &AuthCaptureEscrowMetaData},
		{"TokenStore", &TokenStoreMetaData},
		{"ERC3009PaymentCollector", &ERC3009PaymentCollectorMetaData},
		{"OperatorRefundCollector", &OperatorRefundCollectorMetaData},
		{"Multicall3Lite", &Multicall3LiteMetaData},
		{"TestHostileCollector", &TestHostileCollectorMetaData},
		{"TestWalletFactory", &TestWalletFactoryMetaData},
	} {
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
		// abigen strips every whitespace character from the ABI it embeds,
		// including the space in internalType "struct X.Y": compare the same way.
		a, _ := json.Marshal(fromFile)
		b, _ := json.Marshal(fromBinding)
		if !bytes.Equal(stripSpace(a), stripSpace(b)) {
			t.Errorf("%s: binding ABI differs from build/%s.abi: run go generate ./facilitator/contracts", m.name, m.name)
		}
	}
}
