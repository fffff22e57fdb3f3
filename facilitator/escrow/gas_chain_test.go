package escrow

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/caddy-x402/x402/facilitator/devchain"
)

// TestGas measures the gas of every escrow operation on the dev chain (our
// contracts, TestUSDC, solc 0.8.28, optimizer 200 runs) and bounds it, so a
// change that makes sessions much dearer shows up. Run with -v for the table.
func TestGas(t *testing.T) {
	e := newEnv(t)
	var g gasLog
	op := func(what string, from devchain.Account, data []byte) *types.Receipt {
		t.Helper()
		r := e.mustSend(from, data, what)
		g.add(what, r)
		return r
	}

	pi := e.payment(5 * usdcUnit)
	pi.MaxFeeBps, pi.FeeReceiver = 100, e.feeTo.Address
	op("authorize (4 of 5, excess returned)", e.operator, e.authorizeData(&pi, 4*usdcUnit, e.c.ERC3009Collector, e.sign(&pi)))
	op("capture, first for the operator (creates TokenStore)", e.operator, e.captureData(&pi, 1*usdcUnit, 0, e.feeTo.Address))
	op("capture, no fee", e.operator, e.captureData(&pi, 1*usdcUnit, 0, e.feeTo.Address))
	op("capture, 1% fee", e.operator, e.captureData(&pi, 1*usdcUnit, 100, e.feeTo.Address))
	op("void", e.operator, e.must(PackVoid(&pi)))
	e.approve(e.operator, e.c.RefundCollector, 10*usdcUnit)
	op("refund (OperatorRefundCollector)", e.operator, e.must(PackRefund(&pi, big.NewInt(1*usdcUnit), e.c.RefundCollector, nil)))

	full := e.payment(2 * usdcUnit)
	op("authorize (full maximum)", e.operator, e.authorizeData(&full, 2*usdcUnit, e.c.ERC3009Collector, e.sign(&full)))

	ch := e.payment(3 * usdcUnit)
	ch.MaxFeeBps, ch.FeeReceiver = 100, e.feeTo.Address
	op("charge (3 of 3, 1% fee)", e.operator, e.must(PackCharge(&ch, big.NewInt(3*usdcUnit), e.c.ERC3009Collector, e.sign(&ch), 100, e.feeTo.Address)))

	// A reverted capture, mined: sent with a fixed gas limit, skipping estimation.
	g.add("reverted capture (InsufficientAuthorization)", e.sendReverting(e.operator, e.captureData(&full, 3*usdcUnit, 0, common.Address{})))

	e.setHead(full.AuthorizationExpiry)
	op("reclaim", e.payer, e.must(PackReclaim(&full)))

	limits := map[string]uint64{
		"authorize (4 of 5, excess returned)":                  200_000,
		"authorize (full maximum)":                             180_000,
		"capture, first for the operator (creates TokenStore)": 150_000,
		"capture, no fee":                                      80_000,
		"capture, 1% fee":                                      100_000,
		"void":                                                 70_000,
		"reclaim":                                              70_000,
		"refund (OperatorRefundCollector)":                     100_000,
		"charge (3 of 3, 1% fee)":                              230_000,
		"reverted capture (InsufficientAuthorization)":         50_000,
	}
	var rows []string
	for what, gas := range g.use {
		rows = append(rows, fmt.Sprintf("%-55s %7d", what, gas))
		if lim, ok := limits[what]; !ok || gas > lim {
			t.Errorf("%s: %d gas, limit %d", what, gas, lim)
		}
	}
	sort.Strings(rows)
	t.Logf("gas per operation:\n%s", strings.Join(rows, "\n"))
	if len(g.use) != len(limits) {
		t.Errorf("measured %d operations, limits for %d", len(g.use), len(limits))
	}
}

// sendReverting sends data to the escrow with a fixed gas limit, so that
// it is mined even though it reverts, and returns the failed receipt.
func (e *env) sendReverting(from devchain.Account, data []byte) *types.Receipt {
	e.t.Helper()
	nonce, err := e.c.Client.PendingNonceAt(e.ctx, from.Address)
	if err != nil {
		e.t.Fatal(err)
	}
	head, err := e.c.Client.HeaderByNumber(e.ctx, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	tip, err := e.c.Client.SuggestGasTipCap(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	feeCap := new(big.Int).Mul(head.BaseFee, big.NewInt(2))
	feeCap.Add(feeCap, tip)
	tx, err := types.SignNewTx(from.Key, types.LatestSignerForChainID(e.c.ChainID), &types.DynamicFeeTx{
		ChainID: e.c.ChainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: 300_000, To: &e.c.Escrow, Data: data,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.c.Client.SendTransaction(e.ctx, tx); err != nil {
		e.t.Fatal(err)
	}
	r, err := devchain.WaitReceipt(e.ctx, e.c.Client, tx.Hash(), 0)
	if err != nil {
		e.t.Fatal(err)
	}
	e.waitHead(r)
	if r.Status != types.ReceiptStatusFailed {
		e.t.Fatal("the reverting transaction succeeded")
	}
	// The evm.Sender of this account must re-read its nonce.
	e.mu.Lock()
	delete(e.senders, from.Address)
	e.mu.Unlock()
	return r
}
