package server

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/server/servertest"
)

// TestSettleOutlivesClient: a settlement is not cancelled with the request,
// but it is bounded by the settle timeout.
func TestSettleOutlivesClient(t *testing.T) {
	got := make(chan error, 1)
	rec := &servertest.Recorder{SettleFunc: func(ctx context.Context, _ *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
		got <- ctx.Err()
		return facilitator.SettleResponse{Success: true, Transaction: "0x1", Network: r.Network}, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("POST", "/settle", strings.NewReader(v2Body())).WithContext(ctx)
	w := httptest.NewRecorder()
	New(rec).ServeHTTP(w, req)
	if err := <-got; err != nil {
		t.Errorf("settle saw a cancelled context: %v", err)
	}
	if w.Code != 200 {
		t.Errorf("status %d", w.Code)
	}
}

func TestSettleTimeout(t *testing.T) {
	rec := &servertest.Recorder{SettleFunc: func(ctx context.Context, _ *facilitator.PaymentPayload, _ *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
		select {
		case <-ctx.Done():
			return facilitator.SettleResponse{}, ctx.Err()
		case <-time.After(5 * time.Second):
			return facilitator.SettleResponse{}, nil
		}
	}}
	start := time.Now()
	resp, body := serve(t, New(rec, WithSettleTimeout(50*time.Millisecond)), "POST", "/settle", v2Body(), nil)
	if resp.StatusCode != 503 || body["error"] != "facilitator unavailable: timed out" || body["errorReason"] != facilitator.CodeUnexpectedSettleError {
		t.Errorf("status %d body %v", resp.StatusCode, body)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestVerifyFollowsClient: verification is cheap and stops with the request.
func TestVerifyFollowsClient(t *testing.T) {
	got := make(chan error, 1)
	rec := &servertest.Recorder{VerifyFunc: func(ctx context.Context, _ *facilitator.PaymentPayload, _ *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error) {
		got <- ctx.Err()
		return facilitator.VerifyResponse{}, ctx.Err()
	}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("POST", "/verify", strings.NewReader(v2Body())).WithContext(ctx)
	w := httptest.NewRecorder()
	New(rec).ServeHTTP(w, req)
	if err := <-got; err != context.Canceled {
		t.Errorf("verify context error %v", err)
	}
	if w.Code != 503 || !strings.Contains(w.Body.String(), "request cancelled") {
		t.Errorf("status %d body %s", w.Code, w.Body)
	}
}
