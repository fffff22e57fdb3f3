package escrow

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestCaptureFees: fees in basis points, truncated, to a pinned fee
// receiver; each fee check in the contract's order.
func TestCaptureFees(t *testing.T) {
	e := newEnv(t)
	pi := e.payment(10 * usdcUnit)
	pi.MinFeeBps, pi.MaxFeeBps, pi.FeeReceiver = 100, 500, e.feeTo.Address
	e.step("authorize", &pi, func() { e.authorize(&pi, 10*usdcUnit) },
		map[common.Address]int64{e.payer.Address: -10 * usdcUnit, e.store: 10 * usdcUnit}, &wantState{true, 10 * usdcUnit, 0})

	// 1.500001 USDC at 1%: the fee 15000.01 truncates to 15000.
	e.step("capture at 100 bps", &pi, func() {
		r := e.mustSend(e.operator, e.captureData(&pi, 1_500_001, 100, e.feeTo.Address), "capture at 100 bps")
		ev, err := escrowBinding.UnpackPaymentCapturedEvent(logsOf(r, e.c.Escrow, eventTopic("PaymentCaptured(bytes32,uint256,uint16,address)"))[0])
		if err != nil || ev.Amount.Int64() != 1_500_001 || ev.FeeBps != 100 || ev.FeeReceiver != e.feeTo.Address {
			t.Fatalf("PaymentCaptured %+v (%v)", ev, err)
		}
	}, map[common.Address]int64{e.store: -1_500_001, e.receiver.Address: 1_485_001, e.feeTo.Address: 15_000},
		&wantState{true, 10*usdcUnit - 1_500_001, 1_500_001})

	e.step("capture at 500 bps", &pi, func() {
		e.mustSend(e.operator, e.captureData(&pi, 2*usdcUnit, 500, e.feeTo.Address), "capture at 500 bps")
	}, map[common.Address]int64{e.store: -2 * usdcUnit, e.receiver.Address: 1_900_000, e.feeTo.Address: 100_000},
		&wantState{true, 10*usdcUnit - 3_500_001, 3_500_001})

	// A fee that truncates to zero sends nothing to the fee receiver.
	e.step("capture of 99 units at 100 bps", &pi, func() {
		e.mustSend(e.operator, e.captureData(&pi, 99, 100, e.feeTo.Address), "tiny capture")
	}, map[common.Address]int64{e.store: -99, e.receiver.Address: 99}, &wantState{true, 10*usdcUnit - 3_500_100, 3_500_100})

	held := &wantState{true, 10*usdcUnit - 3_500_100, 3_500_100}
	e.step("fee refusals", &pi, func() {
		ee := e.mustFail(e.operator, e.captureData(&pi, 1, 99, e.feeTo.Address), ErrFeeBpsOutOfRange, "fee below min")
		if ee.Args[0] != uint16(99) || ee.Args[1] != uint16(100) || ee.Args[2] != uint16(500) {
			t.Fatalf("FeeBpsOutOfRange args %v", ee.Args)
		}
		e.mustFail(e.operator, e.captureData(&pi, 1, 501, e.feeTo.Address), ErrFeeBpsOutOfRange, "fee above max")
		e.mustFail(e.operator, e.captureData(&pi, 1, 0, e.feeTo.Address), ErrFeeBpsOutOfRange, "no fee under a minimum")
		e.mustFail(e.operator, e.captureData(&pi, 1, 100, common.Address{}), ErrZeroFeeReceiver, "fee to nobody")
		ee = e.mustFail(e.operator, e.captureData(&pi, 1, 100, e.other.Address), ErrInvalidFeeReceiver, "fee to another receiver")
		if ee.Args[0] != e.other.Address || ee.Args[1] != e.feeTo.Address {
			t.Fatalf("InvalidFeeReceiver args %v", ee.Args)
		}
		// The fee is checked before the amount held.
		e.mustFail(e.operator, e.captureData(&pi, 100*usdcUnit, 1, e.feeTo.Address), ErrFeeBpsOutOfRange, "bad fee and too much")
		e.mustFail(e.operator, e.captureData(&pi, 100*usdcUnit, 100, e.feeTo.Address), ErrInsufficientAuthorization, "too much")
		e.mustFail(e.other, e.captureData(&pi, 1, 100, e.feeTo.Address), ErrInvalidSender, "capture by a stranger")
	}, nil, held)

	// Without a pinned receiver the operator picks one per capture; a fee
	// of 0 may go to nobody, and a pinned receiver binds even a zero fee.
	free := e.payment(2 * usdcUnit)
	free.MaxFeeBps = 1000
	e.authorize(&free, 2*usdcUnit)
	e.step("operator-chosen fee receiver", &free, func() {
		e.mustSend(e.operator, e.captureData(&free, 1*usdcUnit, 1000, e.other.Address), "fee to other")
		e.mustSend(e.operator, e.captureData(&free, 1000, 0, common.Address{}), "no fee, no receiver")
	}, map[common.Address]int64{e.store: -1*usdcUnit - 1000, e.receiver.Address: 900_000 + 1000, e.other.Address: 100_000},
		&wantState{true, 1*usdcUnit - 1000, 1*usdcUnit + 1000})
	pinned := e.payment(1 * usdcUnit)
	pinned.FeeReceiver = e.feeTo.Address
	e.authorize(&pinned, 1*usdcUnit)
	e.mustFail(e.operator, e.captureData(&pinned, 1, 0, common.Address{}), ErrInvalidFeeReceiver, "zero fee, pinned receiver omitted")
	e.mustSend(e.operator, e.captureData(&pinned, 1, 0, e.feeTo.Address), "zero fee to the pinned receiver")

	// All of it can be captured at 100%.
	all := e.payment(1 * usdcUnit)
	all.MaxFeeBps, all.MinFeeBps = MaxFeeBps, MaxFeeBps
	e.authorize(&all, 1*usdcUnit)
	e.step("capture at 10000 bps", &all, func() {
		e.mustSend(e.operator, e.captureData(&all, 1*usdcUnit, MaxFeeBps, e.feeTo.Address), "all fee")
	}, map[common.Address]int64{e.store: -1 * usdcUnit, e.feeTo.Address: 1 * usdcUnit}, &wantState{true, 0, 1 * usdcUnit})
}

// TestCaptureExpiryAndReclaim: capture works strictly before
// authorizationExpiry, reclaim (payer only) at or after it, pinned to the
// second with eth_call at a head placed on the boundary.
func TestCaptureExpiryAndReclaim(t *testing.T) {
	e := newEnv(t)
	pi := e.payment(5 * usdcUnit)
	e.authorize(&pi, 5*usdcUnit)
	e.mustSend(e.operator, e.captureData(&pi, 2*usdcUnit, 0, common.Address{}), "capture")
	exp := pi.AuthorizationExpiry
	capture := e.captureData(&pi, 1*usdcUnit, 0, common.Address{})
	reclaim := e.must(PackReclaim(&pi))

	// Head one second before expiry: capture passes, reclaim is early.
	e.setHead(exp - 1)
	if err := e.esc.Simulate(e.ctx, e.operator.Address, capture); err != nil {
		t.Fatalf("capture at expiry-1: %v", err)
	}
	ee := e.checkErr(e.esc.Simulate(e.ctx, e.payer.Address, reclaim), ErrBeforeAuthorizationExpiry, "reclaim at expiry-1")
	if ee.Args[0].(*big.Int).Uint64() != exp-1 || ee.Args[1].(*big.Int).Uint64() != exp {
		t.Fatalf("BeforeAuthorizationExpiry args %v", ee.Args)
	}
	// Head at expiry: capture is late, reclaim allowed.
	e.setHead(exp)
	ee = e.checkErr(e.esc.Simulate(e.ctx, e.operator.Address, capture), ErrAfterAuthorizationExpiry, "capture at expiry")
	if ee.Args[0].(*big.Int).Uint64() != exp || ee.Args[1].(*big.Int).Uint64() != exp {
		t.Fatalf("AfterAuthorizationExpiry args %v", ee.Args)
	}
	if err := e.esc.Simulate(e.ctx, e.payer.Address, reclaim); err != nil {
		t.Fatalf("reclaim at expiry: %v", err)
	}

	e.step("after expiry", &pi, func() {
		e.mustFail(e.operator, capture, ErrAfterAuthorizationExpiry, "capture after expiry")
		e.mustFail(e.operator, reclaim, ErrInvalidSender, "reclaim by the operator")
		e.mustFail(e.other, reclaim, ErrInvalidSender, "reclaim by a stranger")
		e.mustFail(e.receiver, reclaim, ErrInvalidSender, "reclaim by the receiver")
	}, nil, &wantState{true, 3 * usdcUnit, 2 * usdcUnit})

	e.step("reclaim", &pi, func() {
		r := e.mustSend(e.payer, reclaim, "reclaim")
		ev, err := escrowBinding.UnpackPaymentReclaimedEvent(logsOf(r, e.c.Escrow, eventTopic("PaymentReclaimed(bytes32,uint256)"))[0])
		if err != nil || ev.Amount.Int64() != 3*usdcUnit || ev.PaymentInfoHash != GetHash(e.c.ChainID.Uint64(), e.c.Escrow, &pi) {
			t.Fatalf("PaymentReclaimed %+v (%v)", ev, err)
		}
	}, map[common.Address]int64{e.store: -3 * usdcUnit, e.payer.Address: 3 * usdcUnit}, &wantState{true, 0, 2 * usdcUnit})

	e.step("after reclaim", &pi, func() {
		e.mustFail(e.payer, reclaim, ErrZeroAuthorization, "reclaim twice")
		e.mustFail(e.operator, e.must(PackVoid(&pi)), ErrZeroAuthorization, "void after reclaim")
	}, nil, &wantState{true, 0, 2 * usdcUnit})

	// void has no deadline: a second payment voided after its expiry.
	late := e.payment(1 * usdcUnit)
	late.RefundExpiry = late.AuthorizationExpiry
	e.authorize(&late, 1*usdcUnit)
	e.setHead(late.AuthorizationExpiry + 10)
	e.step("void after expiry", &late, func() {
		e.mustSend(e.operator, e.must(PackVoid(&late)), "void after expiry")
	}, map[common.Address]int64{e.store: -1 * usdcUnit, e.payer.Address: 1 * usdcUnit}, &wantState{true, 0, 0})
}
