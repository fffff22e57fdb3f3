package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/server/servertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestLogging(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	rec := &servertest.Recorder{}
	h := New(rec, WithLogger(zap.New(core)), WithAuth("Authorization", "Bearer s3cret"))
	good := http.Header{"Authorization": {"Bearer s3cret"}}

	serve(t, h, "POST", "/verify", v1Body(), good)
	entries := logs.TakeAll()
	if len(entries) != 1 {
		t.Fatalf("%d log lines, want 1: %v", len(entries), entries)
	}
	e := entries[0]
	if e.Level != zapcore.DebugLevel {
		t.Errorf("level %v", e.Level)
	}
	f := e.ContextMap()
	want := map[string]any{"route": "/verify", "version": int64(1), "scheme": "exact", "network": "base-sepolia", "status": int64(200), "code": ""}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("field %s = %#v, want %#v", k, f[k], v)
		}
	}

	rec.VerifyFunc = func(context.Context, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error) {
		return facilitator.VerifyResponse{InvalidReason: facilitator.CodeExactSignature, InvalidMessage: "sig 0xabcdef"}, nil
	}
	serve(t, h, "POST", "/verify", v2Body(), good)
	if f := logs.TakeAll()[0].ContextMap(); f["code"] != facilitator.CodeExactSignature || f["status"] != int64(400) {
		t.Errorf("fields %v", f)
	}

	// Everything that could leak: tokens (right and wrong), payloads,
	// signatures, RPC URLs from errors.
	rec.SettleFunc = func(context.Context, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
		return facilitator.SettleResponse{}, errSecret
	}
	serve(t, h, "POST", "/settle", v2Body(), good)
	serve(t, h, "POST", "/settle", v2Body(), http.Header{"Authorization": {"Bearer wrongtoken"}})
	serve(t, h, "POST", "/verify", "{garbage 0xabcdef", good)
	all := fmt.Sprint(logs.All())
	for _, secret := range []string{"s3cret", "wrongtoken", "0xabcdef", "SECRETKEY", "1700003600", testPayTo} {
		if strings.Contains(all, secret) {
			t.Errorf("logs contain %q: %s", secret, all)
		}
	}
	if !strings.Contains(all, "https://rpc.example/…") {
		t.Errorf("redacted error missing from logs: %s", all)
	}
}

func TestPanicIsLogged(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	rec := &servertest.Recorder{SupportedFunc: func(context.Context) (facilitator.SupportedResponse, error) { panic("boom") }}
	resp, _ := serve(t, New(rec, WithLogger(zap.New(core))), "GET", "/supported", "", nil)
	if resp.StatusCode != 500 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if n := logs.FilterMessage("facilitator handler panicked").Len(); n != 1 {
		t.Errorf("%d panic lines", n)
	}
}

func TestRedactError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fmt.Errorf("plain"), "plain"},
		{errSecret, `eth_call: Post "https://rpc.example/…": dial tcp: connection refused`},
		{&url.Error{Op: "Get", URL: "::bad", Err: errors.New("x")}, `Get "<url>": x`},
	} {
		if got := redactError(tc.err); got != tc.want {
			t.Errorf("redactError(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
