package escrow

import (
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/caddy-x402/x402/facilitator/contracts"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// TestErrorTableCoversTheABI: every custom error of the escrow, its
// collectors and token store, and of TestUSDC's transfers, is named.
func TestErrorTableCoversTheABI(t *testing.T) {
	known := map[[4]byte]KnownError{}
	reasons := map[string]bool{}
	for _, k := range KnownErrors() {
		if k.Reason == "" || k.Err == nil || (k.Signature == "") == (k.Text == "") {
			t.Errorf("incomplete entry %+v", k)
		}
		if k.Signature != "" {
			known[k.Selector] = k
		}
		reasons[k.Reason] = true
	}
	for _, m := range []*struct {
		name string
		abi  *abi.ABI
	}{
		{"AuthCaptureEscrow", mustABI(t, contracts.AuthCaptureEscrowMetaData.ParseABI)},
		{"ERC3009PaymentCollector", mustABI(t, contracts.ERC3009PaymentCollectorMetaData.ParseABI)},
		{"OperatorRefundCollector", mustABI(t, contracts.OperatorRefundCollectorMetaData.ParseABI)},
		{"TokenStore", mustABI(t, contracts.TokenStoreMetaData.ParseABI)},
	} {
		for name, e := range m.abi.Errors {
			k, ok := known[[4]byte(e.ID[:4])]
			if name == "InsufficientBalance" { // OpenZeppelin's Clones with value; never used here
				continue
			}
			if !ok || k.Signature != e.Sig {
				t.Errorf("%s.%s (%s) is not in the error table", m.name, name, e.Sig)
			}
		}
	}
	for _, r := range []string{"escrow_insufficient_authorization", "escrow_after_authorization_expiry", "escrow_invalid_signature", "escrow_insufficient_balance"} {
		if !reasons[r] {
			t.Errorf("reason %s missing", r)
		}
	}
}

func mustABI(t *testing.T, parse func() (*abi.ABI, error)) *abi.ABI {
	t.Helper()
	a, err := parse()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestDecodeError(t *testing.T) {
	esc := mustABI(t, contracts.AuthCaptureEscrowMetaData.ParseABI)
	id := [32]byte{1, 2, 3}
	data, err := esc.Errors["InsufficientAuthorization"].Inputs.Pack(id, big.NewInt(5), big.NewInt(7))
	if err != nil {
		t.Fatal(err)
	}
	sel := evm.Selector("InsufficientAuthorization(bytes32,uint256,uint256)")
	re := &evm.RevertError{Data: append(sel[:], data...), Err: errors.New("execution reverted")}
	wrapped := fmt.Errorf("capture: %w", re)

	err = DecodeError(wrapped)
	var ee *Error
	if !errors.As(err, &ee) || !errors.Is(err, ErrInsufficientAuthorization) || errors.Is(err, ErrZeroAuthorization) {
		t.Fatalf("DecodeError = %v", err)
	}
	if ee.Name != "InsufficientAuthorization" || ee.Reason != "escrow_insufficient_authorization" || ee.Selector != sel ||
		len(ee.Args) != 3 || ee.Args[0] != id || ee.Args[1].(*big.Int).Int64() != 5 || ee.Args[2].(*big.Int).Int64() != 7 {
		t.Fatalf("decoded %+v", ee)
	}
	var back *evm.RevertError
	if !errors.As(err, &back) || back != re {
		t.Fatal("the RevertError is not reachable")
	}
	if Reason(wrapped) != "escrow_insufficient_authorization" || Reason(err) != "escrow_insufficient_authorization" {
		t.Fatal("Reason")
	}
	if DecodeError(err) != err {
		t.Fatal("decoding twice wraps twice")
	}

	// Arguments that do not decode still name the error.
	short := &evm.RevertError{Data: sel[:]}
	if err := DecodeError(short); !errors.Is(err, ErrInsufficientAuthorization) || err.(*Error).Args != nil {
		t.Fatalf("short data: %v", err)
	}
	// A revert string, as the node reports it or as Error(string) data.
	if err := DecodeError(&evm.RevertError{Reason: "FiatTokenV2: invalid signature"}); !errors.Is(err, ErrInvalidSignature) || Reason(err) != "escrow_invalid_signature" {
		t.Fatalf("revert string: %v", err)
	}
	strT, _ := abi.NewType("string", "", nil)
	enc, _ := abi.Arguments{{Type: strT}}.Pack("FiatTokenV2: authorization is expired")
	es := evm.Selector("Error(string)")
	if err := DecodeError(&evm.RevertError{Data: append(es[:], enc...)}); !errors.Is(err, ErrAuthorizationExpired) {
		t.Fatalf("Error(string) data: %v", err)
	}
	// OpenZeppelin's ERC20InsufficientBalance from TestUSDC.
	bal := evm.Selector("ERC20InsufficientBalance(address,uint256,uint256)")
	if err := DecodeError(&evm.RevertError{Data: bal[:]}); !errors.Is(err, ErrInsufficientBalance) {
		t.Fatalf("ERC20InsufficientBalance: %v", err)
	}
	// Unknown reverts are still escrow errors, of kind ErrReverted.
	for _, re := range []*evm.RevertError{{}, {Data: []byte{1, 2, 3, 4}}, {Reason: "something else"}, {Data: []byte{9}}} {
		err := DecodeError(re)
		if !errors.Is(err, ErrReverted) || Reason(err) != ReasonReverted || err.Error() == "" {
			t.Fatalf("unknown revert %+v: %v", re, err)
		}
	}
	// Other errors pass through.
	plain := errors.New("connection refused")
	if DecodeError(plain) != plain || DecodeError(nil) != nil || Reason(plain) != "" || Reason(nil) != "" {
		t.Fatal("non-reverts")
	}
	if Reason(&evm.RevertError{Data: sel[:]}) != "escrow_insufficient_authorization" {
		t.Fatal("Reason of a bare RevertError")
	}
}

func TestPackRejectsBadInput(t *testing.T) {
	pi := vectorInfo.Copy()
	if _, err := PackCapture(&pi, big.NewInt(-1), 0, common.Address{}); !errors.Is(err, ErrAmount) {
		t.Fatalf("negative amount: %v", err)
	}
	if _, err := PackAuthorize(&pi, nil, common.Address{}, nil); !errors.Is(err, ErrAmount) {
		t.Fatalf("nil amount: %v", err)
	}
	if _, err := PackRefund(&pi, new(big.Int).Lsh(big.NewInt(1), 256), common.Address{}, nil); !errors.Is(err, ErrAmount) {
		t.Fatalf("2^256: %v", err)
	}
	bad := pi.Copy()
	bad.AuthorizationExpiry = 1 << 48
	for name, f := range map[string]func() ([]byte, error){
		"void":    func() ([]byte, error) { return PackVoid(&bad) },
		"reclaim": func() ([]byte, error) { return PackReclaim(&bad) },
		"charge": func() ([]byte, error) {
			return PackCharge(&bad, big.NewInt(1), common.Address{}, nil, 0, common.Address{})
		},
	} {
		if _, err := f(); !errors.Is(err, ErrPaymentInfo) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Selectors of the packed calls are v1.0's.
	for name, c := range map[string]struct {
		f   func() ([]byte, error)
		sel string
	}{
		"authorize": {func() ([]byte, error) { return PackAuthorize(&pi, big.NewInt(1), common.Address{}, nil) }, "41d66202"},
		"charge": {func() ([]byte, error) {
			return PackCharge(&pi, big.NewInt(1), common.Address{}, nil, 0, common.Address{})
		}, "9e65819f"},
		"capture": {func() ([]byte, error) { return PackCapture(&pi, big.NewInt(1), 0, common.Address{}) }, "644cd79a"},
		"void":    {func() ([]byte, error) { return PackVoid(&pi) }, "fa1cad17"},
		"reclaim": {func() ([]byte, error) { return PackReclaim(&pi) }, "e1a2a66d"},
		"refund":  {func() ([]byte, error) { return PackRefund(&pi, big.NewInt(1), common.Address{}, nil) }, "d458db5a"},
	} {
		data, err := c.f()
		if err != nil || fmt.Sprintf("%x", data[:4]) != c.sel {
			t.Errorf("%s: %x (%v), want %s", name, data[:min(4, len(data))], err, c.sel)
		}
	}
}
