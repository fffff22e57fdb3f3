package paywall

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// gaslessClaim fails like a facilitator key without ETH until the
// authorization expires, then fails for its expiry.
type gaslessClaim struct {
	failingClaim
	attempts atomic.Int32
}

func (c *gaslessClaim) Settle(context.Context) (facilitator.SettleResponse, error) {
	if c.attempts.Add(1) < 4 {
		return facilitator.SettleResponse{}, errors.New("sending transaction: insufficient funds for gas * price + value")
	}
	return facilitator.SettleResponse{ErrorReason: facilitator.CodeExactValidBefore, ErrorMessage: "the authorization expired"}, nil
}
func (*gaslessClaim) AmountText() string { return "0.02 USDC (20000 units)" }

// A settlement that keeps failing for lack of gas and finally for the
// authorization's expiry is reported served unpaid with the gas as its root
// cause, with the amount in token and units; the retries log one warning
// per cause, not one per attempt.
func TestQueueLogsRootCause(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	q := NewSettlementQueue(QueueConfig{Workers: 1, MaxBackoff: 5 * time.Millisecond, Logger: zap.New(core)})
	defer q.Close(context.Background())
	if err := q.Reserve(); err != nil {
		t.Fatal(err)
	}
	q.Enqueue(&gaslessClaim{}, "", "/paid/*", 0)
	q.waitLen(t, 0)
	warns := logs.FilterMessage("x402 settlement failed; retrying").FilterLevelExact(zapcore.WarnLevel).All()
	if len(warns) != 1 || !strings.Contains(warns[0].ContextMap()["cause"].(string), "insufficient funds for gas") {
		t.Fatalf("retry warnings: %+v", warns)
	}
	final := logs.FilterMessage("x402 settlement failed permanently; the response was served unpaid").All()
	if len(final) != 1 {
		t.Fatalf("final lines: %+v", logs.All())
	}
	f := final[0].ContextMap()
	if !strings.Contains(f["root_cause"].(string), "insufficient funds for gas") ||
		!strings.HasPrefix(f["last_error"].(string), facilitator.CodeExactValidBefore) ||
		f["amount"] != "0.02 USDC (20000 units)" || f["route"] != "/paid/*" || f["attempts"] != int64(4) {
		t.Fatalf("final line: %v", f)
	}
}
