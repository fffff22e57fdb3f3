package client

import (
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/exact"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestSignVerifies checks that what Sign produces is what our server accepts:
// it decodes with the paywall's strict header decoder and passes the
// offline exact verifier, in both protocol versions.
func TestSignVerifies(t *testing.T) {
	key := testKey(t)
	fixed := time.Now().Add(-10 * time.Second)
	c := &Client{Key: key, Now: func() time.Time { return fixed }}
	res := &facilitator.ResourceInfo{URL: "https://api.example/paid"}
	for _, tt := range []struct {
		version    int
		wantHeader string
	}{{2, facilitator.HeaderPaymentSignature}, {1, facilitator.HeaderXPayment}, {0, facilitator.HeaderPaymentSignature}} {
		req := testRequirements("10000")
		if tt.version == 1 {
			req.Network = "base-sepolia"
		}
		name, value, err := c.Sign(&req, res, tt.version)
		if err != nil {
			t.Fatalf("v%d: %v", tt.version, err)
		}
		if name != tt.wantHeader {
			t.Errorf("v%d: header %s, want %s", tt.version, name, tt.wantHeader)
		}
		var p facilitator.PaymentPayload
		if err := facilitator.DecodeHeader(value, 0, &p); err != nil {
			t.Fatalf("v%d: DecodeHeader: %v", tt.version, err)
		}
		prep, err := exact.Prepare(&req)
		if err != nil {
			t.Fatal(err)
		}
		checked, xerr := exact.Check(&p, prep, time.Now(), 0)
		if xerr != nil {
			t.Fatalf("v%d: exact.Check: %v", tt.version, xerr)
		}
		if checked.NeedsChain || checked.Payer() != crypto.PubkeyToAddress(key.PublicKey).Hex() {
			t.Errorf("v%d: payer %s, needs chain %v", tt.version, checked.Payer(), checked.NeedsChain)
		}
		if got := checked.Auth.ValidAfter.Uint64(); got > uint64(fixed.Unix()) {
			t.Errorf("v%d: validAfter %d is after the client's clock %d", tt.version, got, fixed.Unix())
		}
	}
}

func TestSignErrors(t *testing.T) {
	req := testRequirements("10000")
	tests := []struct {
		name    string
		c       *Client
		version int
		want    error
	}{
		{"no key", &Client{}, 2, ErrNoKey},
		{"bad version", &Client{Key: testKey(t)}, 3, nil},
		{"above cap", &Client{Key: testKey(t), MaxAmount: big.NewInt(9999)}, 2, &AmountError{}},
		{"other scheme configured", &Client{Key: testKey(t), Scheme: "escrow"}, 2, nil},
		{"network not allowed", &Client{Key: testKey(t), Networks: []string{"eip155:8453"}}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.c.Sign(&req, nil, tt.version)
			if err == nil {
				t.Fatal("no error")
			}
			switch want := tt.want.(type) {
			case *AmountError:
				var ae *AmountError
				if !errors.As(err, &ae) || ae.Amount.Int64() != 10000 || ae.Max.Int64() != 9999 {
					t.Errorf("err = %v, want *AmountError 10000 > 9999", err)
				}
			case error:
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want %v", err, want)
				}
			}
		})
	}
}

func TestSchemes(t *testing.T) {
	if got := Schemes(); len(got) != 2 || got[0] != facilitator.SchemeEscrow || got[1] != facilitator.SchemeExact {
		t.Errorf("Schemes() = %v", got)
	}
}

// TestErrorsNeverLeakKey makes sure no error text carries key material.
func TestErrorsNeverLeakKey(t *testing.T) {
	key := testKey(t)
	secret := strings.TrimLeft(hex.EncodeToString(crypto.FromECDSA(key)), "0")
	req := testRequirements("bad")
	_, _, err := (&Client{Key: key}).Sign(&req, nil, 2)
	if err == nil || strings.Contains(strings.ToLower(err.Error()), secret) {
		t.Fatalf("err = %v", err)
	}
}
