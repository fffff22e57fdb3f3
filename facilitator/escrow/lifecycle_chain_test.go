package escrow

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/caddy-x402/x402/facilitator/evm"
)

// TestAuthorizeCaptureVoid walks one deposit through authorize (less than
// the maximum), two partial captures, a capture beyond what is held, void,
// and what is refused afterwards, checking every balance and the payment's
// state at each step.
func TestAuthorizeCaptureVoid(t *testing.T) {
	e := newEnv(t)
	pi := e.payment(5 * usdcUnit)
	id := GetHash(e.c.ChainID.Uint64(), e.c.Escrow, &pi)
	e.expectState("before", &pi, wantState{})

	// authorize 4 of a 5 maximum: the collector pulls 5 and returns 1.
	e.step("authorize", &pi, func() {
		r := e.authorize(&pi, 4*usdcUnit)
		ev := logsOf(r, e.c.Escrow, eventTopic("PaymentAuthorized(bytes32,"+paymentInfoTupleSig+",uint256,address)"))
		if len(ev) != 1 || ev[0].Topics[1] != common.Hash(id) {
			t.Fatalf("PaymentAuthorized logs %v", ev)
		}
		got, err := escrowBinding.UnpackPaymentAuthorizedEvent(ev[0])
		if err != nil || got.Amount.Int64() != 4*usdcUnit || got.TokenCollector != e.c.ERC3009Collector || got.PaymentInfo.Salt.Cmp(pi.Salt) != 0 {
			t.Fatalf("PaymentAuthorized %+v (%v)", got, err)
		}
		// The token store is not created until the first payout.
		if code, _ := e.c.Client.CodeAt(e.ctx, e.store, nil); len(code) != 0 {
			t.Fatal("token store exists after authorize")
		}
	}, map[common.Address]int64{e.payer.Address: -4 * usdcUnit, e.store: 4 * usdcUnit}, &wantState{true, 4 * usdcUnit, 0})

	// The ERC-3009 nonce (the payer-agnostic hash) is spent.
	used, err := evm.AuthorizationState(e.ctx, e.c.Client, e.c.Token, e.payer.Address, PayerAgnosticNonce(e.c.ChainID.Uint64(), e.c.Escrow, &pi))
	if err != nil || !used {
		t.Fatalf("authorizationState %v (%v)", used, err)
	}

	// First capture: creates the operator's token store.
	e.step("capture 1", &pi, func() {
		r := e.mustSend(e.operator, e.captureData(&pi, 1*usdcUnit, 0, common.Address{}), "capture 1")
		created := logsOf(r, e.c.Escrow, eventTopic("TokenStoreCreated(address,address)"))
		if len(created) != 1 || created[0].Topics[1] != common.BytesToHash(e.operator.Address[:]) {
			t.Fatalf("TokenStoreCreated logs %v", created)
		}
		ev, err := escrowBinding.UnpackTokenStoreCreatedEvent(created[0])
		if err != nil || ev.TokenStore != e.store {
			t.Fatalf("TokenStoreCreated %+v (%v), want store %s", ev, err, e.store.Hex())
		}
		capt := logsOf(r, e.c.Escrow, eventTopic("PaymentCaptured(bytes32,uint256,uint16,address)"))
		if len(capt) != 1 || capt[0].Topics[1] != common.Hash(id) {
			t.Fatalf("PaymentCaptured logs %v", capt)
		}
	}, map[common.Address]int64{e.store: -1 * usdcUnit, e.receiver.Address: 1 * usdcUnit}, &wantState{true, 3 * usdcUnit, 1 * usdcUnit})

	// Second capture: same store, no creation.
	e.step("capture 2", &pi, func() {
		r := e.mustSend(e.operator, e.captureData(&pi, 2*usdcUnit, 0, common.Address{}), "capture 2")
		if n := len(logsOf(r, e.c.Escrow, eventTopic("TokenStoreCreated(address,address)"))); n != 0 {
			t.Fatalf("second capture created the store again (%d logs)", n)
		}
	}, map[common.Address]int64{e.store: -2 * usdcUnit, e.receiver.Address: 2 * usdcUnit}, &wantState{true, 1 * usdcUnit, 3 * usdcUnit})

	// Refusals that change nothing.
	e.step("refusals", &pi, func() {
		ee := e.mustFail(e.operator, e.captureData(&pi, 2*usdcUnit, 0, common.Address{}), ErrInsufficientAuthorization, "capture beyond capturable")
		if len(ee.Args) != 3 || ee.Args[0] != [32]byte(id) || ee.Args[1].(*big.Int).Int64() != 1*usdcUnit || ee.Args[2].(*big.Int).Int64() != 2*usdcUnit {
			t.Fatalf("InsufficientAuthorization args %v", ee.Args)
		}
		ee = e.mustFail(e.other, e.captureData(&pi, 1, 0, common.Address{}), ErrInvalidSender, "capture by a stranger")
		if ee.Args[0] != e.other.Address || ee.Args[1] != e.operator.Address {
			t.Fatalf("InvalidSender args %v", ee.Args)
		}
		e.mustFail(e.payer, e.captureData(&pi, 1, 0, common.Address{}), ErrInvalidSender, "capture by the payer")
		e.mustFail(e.operator, e.captureData(&pi, 0, 0, common.Address{}), ErrZeroAmount, "capture of zero")
		big120 := new(big.Int).Lsh(big.NewInt(1), 120)
		e.mustFail(e.operator, e.must(PackCapture(&pi, big120, 0, common.Address{})), ErrAmountOverflow, "capture of 2^120")
		e.mustFail(e.other, e.must(PackVoid(&pi)), ErrInvalidSender, "void by a stranger")
		e.mustFail(e.payer, e.must(PackVoid(&pi)), ErrInvalidSender, "void by the payer")
		e.mustFail(e.operator, e.authorizeData(&pi, 4*usdcUnit, e.c.ERC3009Collector, e.sign(&pi)), ErrPaymentAlreadyCollected, "authorize twice")
		e.mustFail(e.operator, e.must(PackReclaim(&pi)), ErrInvalidSender, "reclaim by the operator")
		e.mustFail(e.payer, e.must(PackReclaim(&pi)), ErrBeforeAuthorizationExpiry, "reclaim before expiry")
	}, nil, &wantState{true, 1 * usdcUnit, 3 * usdcUnit})

	// void returns the remainder.
	e.step("void", &pi, func() {
		r := e.mustSend(e.operator, e.must(PackVoid(&pi)), "void")
		ev := logsOf(r, e.c.Escrow, eventTopic("PaymentVoided(bytes32,uint256)"))
		if len(ev) != 1 || ev[0].Topics[1] != common.Hash(id) {
			t.Fatalf("PaymentVoided logs %v", ev)
		}
		if v, err := escrowBinding.UnpackPaymentVoidedEvent(ev[0]); err != nil || v.Amount.Int64() != 1*usdcUnit {
			t.Fatalf("PaymentVoided %+v (%v)", v, err)
		}
	}, map[common.Address]int64{e.store: -1 * usdcUnit, e.payer.Address: 1 * usdcUnit}, &wantState{true, 0, 3 * usdcUnit})

	// Nothing is held any more.
	e.step("after void", &pi, func() {
		ee := e.mustFail(e.operator, e.must(PackVoid(&pi)), ErrZeroAuthorization, "void twice")
		if ee.Args[0] != [32]byte(id) {
			t.Fatalf("ZeroAuthorization args %v", ee.Args)
		}
		e.mustFail(e.operator, e.captureData(&pi, 1, 0, common.Address{}), ErrInsufficientAuthorization, "capture after void")
	}, nil, &wantState{true, 0, 3 * usdcUnit})

	// After the authorization expires: reclaim finds nothing either.
	e.setHead(pi.AuthorizationExpiry)
	e.step("reclaim after void", &pi, func() {
		e.mustFail(e.payer, e.must(PackReclaim(&pi)), ErrZeroAuthorization, "reclaim after void")
	}, nil, &wantState{true, 0, 3 * usdcUnit})
}

// paymentInfoTupleSig is PaymentInfo's ABI tuple, for event signatures.
const paymentInfoTupleSig = "(address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256)"
