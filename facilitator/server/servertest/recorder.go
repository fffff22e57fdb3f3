// Package servertest provides Recorder, a recording test double of
// facilitator.Facilitator for tests of the facilitator HTTP API, its remote
// client and their users. It verifies nothing: it records what it was given
// and answers what it is told to.
package servertest

import (
	"bytes"
	"context"
	"sync"

	"github.com/caddy-x402/x402/facilitator"
)

// Defaults answered by a zero Recorder.
const (
	DefaultPayer       = "0x1111111111111111111111111111111111111111"
	DefaultTransaction = "0x2222222222222222222222222222222222222222222222222222222222222222"
)

// Call is one recorded call. Payload and Requirements are deep copies of
// what the Facilitator received (nil for Supported).
type Call struct {
	Method       string // "Supported", "Verify" or "Settle"
	Payload      *facilitator.PaymentPayload
	Requirements *facilitator.PaymentRequirements
}

// Recorder is a facilitator.Facilitator that records its calls. Each Func
// field, when set, computes the answer; otherwise Verify answers valid for
// DefaultPayer, Settle answers success with DefaultTransaction on the
// requirements' network, and Supported lists exact on base-sepolia (v1)
// and eip155:84532 (v2). Set the Func fields before use; Recorder is safe
// for concurrent calls.
type Recorder struct {
	SupportedFunc func(ctx context.Context) (facilitator.SupportedResponse, error)
	VerifyFunc    func(ctx context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error)
	SettleFunc    func(ctx context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.SettleResponse, error)

	mu    sync.Mutex
	calls []Call
}

var _ facilitator.Facilitator = (*Recorder)(nil)

// Supported records the call and answers SupportedFunc or the default kinds.
func (rc *Recorder) Supported(ctx context.Context) (facilitator.SupportedResponse, error) {
	rc.record(Call{Method: "Supported"})
	if rc.SupportedFunc != nil {
		return rc.SupportedFunc(ctx)
	}
	return facilitator.SupportedResponse{Kinds: []facilitator.SupportedKind{
		{X402Version: facilitator.V1, Scheme: facilitator.SchemeExact, Network: "base-sepolia"},
		{X402Version: facilitator.V2, Scheme: facilitator.SchemeExact, Network: "eip155:84532"},
	}}, nil
}

// Verify records the call and answers VerifyFunc or valid.
func (rc *Recorder) Verify(ctx context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error) {
	rc.record(Call{Method: "Verify", Payload: copyPayload(p), Requirements: copyRequirements(r)})
	if rc.VerifyFunc != nil {
		return rc.VerifyFunc(ctx, p, r)
	}
	return facilitator.VerifyResponse{IsValid: true, Payer: DefaultPayer}, nil
}

// Settle records the call and answers SettleFunc or success.
func (rc *Recorder) Settle(ctx context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
	rc.record(Call{Method: "Settle", Payload: copyPayload(p), Requirements: copyRequirements(r)})
	if rc.SettleFunc != nil {
		return rc.SettleFunc(ctx, p, r)
	}
	return facilitator.SettleResponse{Success: true, Payer: DefaultPayer, Transaction: DefaultTransaction, Network: r.Network}, nil
}

// Calls returns a copy of the recorded calls, oldest first.
func (rc *Recorder) Calls() []Call {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Call(nil), rc.calls...)
}

// Last returns the most recent call; ok is false when there was none.
func (rc *Recorder) Last() (c Call, ok bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.calls) == 0 {
		return Call{}, false
	}
	return rc.calls[len(rc.calls)-1], true
}

// Reset forgets the recorded calls.
func (rc *Recorder) Reset() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls = nil
}

func (rc *Recorder) record(c Call) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls = append(rc.calls, c)
}

func copyPayload(p *facilitator.PaymentPayload) *facilitator.PaymentPayload {
	if p == nil {
		return nil
	}
	c := *p
	c.Payload = bytes.Clone(p.Payload)
	c.Extensions = bytes.Clone(p.Extensions)
	if p.Resource != nil {
		res := *p.Resource
		c.Resource = &res
	}
	c.Accepted = copyRequirements(p.Accepted)
	return &c
}

func copyRequirements(r *facilitator.PaymentRequirements) *facilitator.PaymentRequirements {
	if r == nil {
		return nil
	}
	c := *r
	c.Extra = bytes.Clone(r.Extra)
	return &c
}
