package exact_test

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/facilitator/exact"
)

// TestContractWalletPayer pays from a deployed ERC-1271 wallet (devchain's
// TestWallet1271, which accepts its owner's ECDSA signature of the digest),
// with and without simulation, and with the owner's signature wrapped in
// ERC-6492 although the wallet is deployed (clients that always wrap). Each
// payment must verify and settle through the token's `bytes` overload,
// which hands the wallet the very signature Verify checked.
func TestContractWalletPayer(t *testing.T) {
	e := newEnv(t, 5)
	ctx := testCtx(t)
	owner, stranger := e.payer(0), e.payer(1)
	wallet, err := devchain.DeployWallet1271(ctx, e.chain.Client, e.chain.Deployer.Key, e.chain.ChainID, owner.Address)
	if err != nil {
		t.Fatal(err)
	}
	if err := devchain.Mint(ctx, e.chain.Client, e.chain.Deployer.Key, e.chain.ChainID, e.chain.Token, big.NewInt(1_000_000), wallet); err != nil {
		t.Fatal(err)
	}
	const amount = 4_200
	r := e.req(itoa(amount))
	someFactory := common.HexToAddress("0x00000000000000000000000000000000000fac70")

	for _, tc := range []struct {
		name     string
		simulate bool
		wrap     func([]byte) []byte
	}{
		{"owner signature", false, nil},
		{"owner signature, simulated", true, nil},
		{"owner signature in an ERC-6492 wrapper", false, wrap6492(someFactory, []byte{0xde, 0xad, 0xbe, 0xef})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := e.newFacilitator(func(c *exact.Config) { c.Simulate = tc.simulate })
			bal := e.snapshot(wallet, e.payTo.Address, owner.Address)
			p := payAs(t, owner.Key, wallet, r, tc.wrap)
			v, err := f.Verify(ctx, p, r)
			if err != nil || !v.IsValid || v.Payer != wallet.Hex() {
				t.Fatalf("verify: %+v, %v", v, err)
			}
			s, err := f.Settle(ctx, p, r)
			if err != nil || !s.Success {
				t.Fatalf("settle: %+v, %v", s, err)
			}
			if rc := e.receipt(s.Transaction); rc.Status != types.ReceiptStatusSuccessful {
				t.Fatalf("receipt status %d", rc.Status)
			}
			if sel := e.selector(s.Transaction); sel != selBytes {
				t.Errorf("settled with selector %s, want the bytes overload %s", sel, selBytes)
			}
			bal.expect(deltas{wallet: -amount, e.payTo.Address: amount})
		})
	}

	// Rejections: verify (plain and simulated) and settle give the code and
	// broadcast nothing.
	undeployed := common.HexToAddress("0x000000000000000000000000000000000badc0de")
	for _, tc := range []struct {
		name string
		p    *facilitator.PaymentPayload
		code string
	}{
		{"wallet, signed by a stranger", payAs(t, stranger.Key, wallet, r, nil), facilitator.CodeExactSignature},
		{"wallet, stranger in an ERC-6492 wrapper", payAs(t, stranger.Key, wallet, r, wrap6492(someFactory, []byte{1})), facilitator.CodeExactSignature},
		{"undeployed wallet with ERC-6492 deployment data", payAs(t, owner.Key, undeployed, r, wrap6492(someFactory, []byte{1, 2, 3})), facilitator.CodeExactUndeployedWallet},
		{"undeployed address, plain foreign signature", payAs(t, owner.Key, undeployed, r, nil), facilitator.CodeExactSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			facNonce := e.nonce(e.fac.Address)
			for _, simulate := range []bool{false, true} {
				f := e.newFacilitator(func(c *exact.Config) { c.Simulate = simulate })
				v, err := f.Verify(ctx, tc.p, r)
				if err != nil || v.IsValid || v.InvalidReason != tc.code {
					t.Errorf("verify (simulate %v): %+v, %v; want %s", simulate, v, err, tc.code)
				}
				s, err := f.Settle(ctx, tc.p, r)
				if err != nil || s.Success || s.ErrorReason != tc.code || s.Transaction != "" {
					t.Errorf("settle: %+v, %v; want failure %s without a transaction", s, err, tc.code)
				}
			}
			if n := e.nonce(e.fac.Address); n != facNonce {
				t.Fatalf("facilitator sent %d transactions", n-facNonce)
			}
		})
	}

	// The wallet's owner paying as itself is an ordinary EOA payment.
	p := pay(t, owner.Key, r, evm.ExactOptions{})
	if s, err := e.newFacilitator(nil).Settle(ctx, p, r); err != nil || !s.Success || e.selector(s.Transaction) != selVRS {
		t.Fatalf("owner as EOA: %+v, %v", s, err)
	}
}
