package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/caddy-x402/x402/facilitator"
)

// errorBody is the answer of routing, auth and infrastructure failures.
type errorBody struct {
	Error string `json:"error"`
}

// verifyBody is a VerifyResponse with an optional human "error" field, used
// for 413 and 503 answers of /verify.
type verifyBody struct {
	facilitator.VerifyResponse
	Error string `json:"error,omitempty"`
}

// settleBody is a SettleResponse with an optional human "error" field, used
// for 413 and 503 answers of /settle.
type settleBody struct {
	facilitator.SettleResponse
	Error string `json:"error,omitempty"`
}

// writeJSON sends v as JSON with status. A value that does not encode (a
// Facilitator returned invalid raw JSON in Extra or Extensions) is a bug and
// gets 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal error: response does not encode as JSON"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// verifyStatus maps a verification answer to its HTTP status.
func verifyStatus(v *facilitator.VerifyResponse) int {
	if v.IsValid {
		return http.StatusOK
	}
	return http.StatusBadRequest
}

// settleStatus maps a settlement answer to its HTTP status: 200 settled,
// 202 broadcast but not confirmed yet, 400 failed.
func settleStatus(s *facilitator.SettleResponse) int {
	switch {
	case s.Success:
		return http.StatusOK
	case s.ErrorReason == facilitator.CodeSettlementPending:
		return http.StatusAccepted
	default:
		return http.StatusBadRequest
	}
}

// unavailableMessage is what a client learns about a Facilitator error: its
// class, never its text (which may name RPC endpoints).
func unavailableMessage(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "facilitator unavailable: timed out"
	case errors.Is(err, context.Canceled):
		return "facilitator unavailable: request cancelled"
	default:
		return "facilitator unavailable: upstream error, retry later"
	}
}

// setRetryAfter sets Retry-After to d in whole seconds, at least 1.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	secs := int64((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
}
