package escrow

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestRefund: refunds through OperatorRefundCollector come out of the
// operator's own balance (by allowance), up to what was captured, before
// refundExpiry.
func TestRefund(t *testing.T) {
	e := newEnv(t)
	pi := e.payment(5 * usdcUnit)
	e.authorize(&pi, 5*usdcUnit)
	e.mustSend(e.operator, e.captureData(&pi, 3*usdcUnit, 0, common.Address{}), "capture")
	refund := func(amount int64, collector common.Address) []byte {
		return e.must(PackRefund(&pi, big.NewInt(amount), collector, nil))
	}

	e.step("refund without allowance", &pi, func() {
		e.mustFail(e.operator, refund(1*usdcUnit, e.c.RefundCollector), ErrInsufficientAllowance, "no allowance")
	}, nil, &wantState{true, 2 * usdcUnit, 3 * usdcUnit})

	e.approve(e.operator, e.c.RefundCollector, 2*usdcUnit)
	e.step("refund 1", &pi, func() {
		r := e.mustSend(e.operator, refund(1*usdcUnit, e.c.RefundCollector), "refund 1")
		ev, err := escrowBinding.UnpackPaymentRefundedEvent(logsOf(r, e.c.Escrow, eventTopic("PaymentRefunded(bytes32,uint256,address)"))[0])
		if err != nil || ev.Amount.Int64() != 1*usdcUnit || ev.TokenCollector != e.c.RefundCollector {
			t.Fatalf("PaymentRefunded %+v (%v)", ev, err)
		}
	}, map[common.Address]int64{e.operator.Address: -1 * usdcUnit, e.payer.Address: 1 * usdcUnit}, &wantState{true, 2 * usdcUnit, 2 * usdcUnit})

	e.step("refund refusals", &pi, func() {
		e.mustFail(e.operator, refund(2*usdcUnit, e.c.RefundCollector), ErrInsufficientAllowance, "allowance 1 left")
		ee := e.mustFail(e.operator, refund(3*usdcUnit, e.c.RefundCollector), ErrRefundExceedsCapture, "refund beyond captured")
		if ee.Args[0].(*big.Int).Int64() != 3*usdcUnit || ee.Args[1].(*big.Int).Int64() != 2*usdcUnit {
			t.Fatalf("RefundExceedsCapture args %v", ee.Args)
		}
		e.mustFail(e.operator, refund(1, e.c.ERC3009Collector), ErrInvalidCollector, "refund through the payment collector")
		e.mustFail(e.other, refund(1, e.c.RefundCollector), ErrInvalidSender, "refund by a stranger")
		e.mustFail(e.payer, refund(1, e.c.RefundCollector), ErrInvalidSender, "refund by the payer")
		e.mustFail(e.operator, refund(0, e.c.RefundCollector), ErrZeroAmount, "refund of zero")
	}, nil, &wantState{true, 2 * usdcUnit, 2 * usdcUnit})

	// void keeps the captured part refundable.
	e.step("void", &pi, func() { e.mustSend(e.operator, e.must(PackVoid(&pi)), "void") },
		map[common.Address]int64{e.store: -2 * usdcUnit, e.payer.Address: 2 * usdcUnit}, &wantState{true, 0, 2 * usdcUnit})
	e.approve(e.operator, e.c.RefundCollector, 10*usdcUnit)
	e.step("refund after void", &pi, func() {
		e.mustSend(e.operator, refund(1*usdcUnit, e.c.RefundCollector), "refund after void")
	}, map[common.Address]int64{e.operator.Address: -1 * usdcUnit, e.payer.Address: 1 * usdcUnit}, &wantState{true, 0, 1 * usdcUnit})

	// Boundary: refund strictly before refundExpiry.
	data := refund(1*usdcUnit, e.c.RefundCollector)
	e.setHead(pi.RefundExpiry - 1)
	if err := e.esc.Simulate(e.ctx, e.operator.Address, data); err != nil {
		t.Fatalf("refund at refundExpiry-1: %v", err)
	}
	e.setHead(pi.RefundExpiry)
	e.step("refund at refundExpiry", &pi, func() {
		ee := e.mustFail(e.operator, data, ErrAfterRefundExpiry, "refund at refundExpiry")
		if ee.Args[1].(*big.Int).Uint64() != pi.RefundExpiry {
			t.Fatalf("AfterRefundExpiry args %v", ee.Args)
		}
	}, nil, &wantState{true, 0, 1 * usdcUnit})
}

// TestCharge: authorize and capture in one call, with a fee.
func TestCharge(t *testing.T) {
	e := newEnv(t)
	pi := e.payment(5 * usdcUnit)
	pi.MaxFeeBps, pi.FeeReceiver = 100, e.feeTo.Address
	sig := e.sign(&pi)
	charge := func(amount int64, collector common.Address, feeBps uint16, feeTo common.Address) []byte {
		return e.must(PackCharge(&pi, big.NewInt(amount), collector, sig, feeBps, feeTo))
	}

	e.step("charge refusals", &pi, func() {
		e.mustFail(e.operator, charge(3*usdcUnit, e.c.ERC3009Collector, 101, e.feeTo.Address), ErrFeeBpsOutOfRange, "fee above max")
		e.mustFail(e.operator, charge(3*usdcUnit, e.c.ERC3009Collector, 100, e.other.Address), ErrInvalidFeeReceiver, "fee elsewhere")
		e.mustFail(e.operator, charge(6*usdcUnit, e.c.ERC3009Collector, 101, e.feeTo.Address), ErrExceedsMaxAmount, "terms before fee")
		e.mustFail(e.other, charge(3*usdcUnit, e.c.ERC3009Collector, 100, e.feeTo.Address), ErrInvalidSender, "charge by a stranger")
		e.mustFail(e.operator, charge(3*usdcUnit, e.c.RefundCollector, 100, e.feeTo.Address), ErrInvalidCollector, "charge through the refund collector")
	}, nil, &wantState{})

	// 3 of a 5 maximum at 1%: the payer pays 3, the receiver gets 2.97.
	e.step("charge", &pi, func() {
		r := e.mustSend(e.operator, charge(3*usdcUnit, e.c.ERC3009Collector, 100, e.feeTo.Address), "charge")
		ev, err := escrowBinding.UnpackPaymentChargedEvent(logsOf(r, e.c.Escrow, eventTopic("PaymentCharged(bytes32,"+paymentInfoTupleSig+",uint256,address,uint16,address)"))[0])
		if err != nil || ev.Amount.Int64() != 3*usdcUnit || ev.FeeBps != 100 || ev.FeeReceiver != e.feeTo.Address || ev.TokenCollector != e.c.ERC3009Collector {
			t.Fatalf("PaymentCharged %+v (%v)", ev, err)
		}
	}, map[common.Address]int64{e.payer.Address: -3 * usdcUnit, e.receiver.Address: 2_970_000, e.feeTo.Address: 30_000},
		&wantState{true, 0, 3 * usdcUnit})

	e.step("after charge", &pi, func() {
		e.mustFail(e.operator, charge(1*usdcUnit, e.c.ERC3009Collector, 100, e.feeTo.Address), ErrPaymentAlreadyCollected, "charge twice")
		e.mustFail(e.operator, e.authorizeData(&pi, 1*usdcUnit, e.c.ERC3009Collector, sig), ErrPaymentAlreadyCollected, "authorize after charge")
		e.mustFail(e.operator, e.captureData(&pi, 1, 100, e.feeTo.Address), ErrInsufficientAuthorization, "capture after charge")
		e.mustFail(e.operator, e.must(PackVoid(&pi)), ErrZeroAuthorization, "void after charge")
	}, nil, &wantState{true, 0, 3 * usdcUnit})

	// A charged payment can be refunded.
	e.approve(e.operator, e.c.RefundCollector, 3*usdcUnit)
	e.step("refund a charge", &pi, func() {
		e.mustSend(e.operator, e.must(PackRefund(&pi, big.NewInt(3*usdcUnit), e.c.RefundCollector, nil)), "refund")
	}, map[common.Address]int64{e.operator.Address: -3 * usdcUnit, e.payer.Address: 3 * usdcUnit}, &wantState{true, 0, 0})

	// A payment authorized first cannot be charged.
	auth := e.payment(1 * usdcUnit)
	e.authorize(&auth, 1*usdcUnit)
	e.mustFail(e.operator, e.must(PackCharge(&auth, big.NewInt(1), e.c.ERC3009Collector, e.sign(&auth), 0, common.Address{})), ErrPaymentAlreadyCollected, "charge after authorize")
}
