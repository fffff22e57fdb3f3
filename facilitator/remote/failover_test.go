package remote

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/server/servertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestFailover puts a failing facilitator first and a working one second.
func TestFailover(t *testing.T) {
	big := `{"isValid":true,"pad":"` + strings.Repeat("a", DefaultMaxResponseBytes) + `"}`
	for _, tc := range []struct {
		name       string
		first      http.Handler // nil: connection refused
		wantSecond bool         // the second URL answers
		wantErr    error        // when the second is not asked
		wantStatus int
	}{
		{name: "500", first: fixed(500, `{"error":"boom"}`), wantSecond: true},
		{name: "502 html", first: fixed(502, `<html>bad gateway</html>`), wantSecond: true},
		{name: "503 shaped", first: fixed(503, `{"isValid":false,"invalidReason":"unexpected_verify_error","error":"x"}`), wantSecond: true},
		{name: "timeout", first: hang(), wantSecond: true},
		{name: "connection refused", first: nil, wantSecond: true},
		{name: "404", first: fixed(404, `{"error":"not found"}`), wantSecond: true},
		{name: "405", first: fixed(405, ``), wantSecond: true},
		{name: "413", first: fixed(413, `{"error":"too big"}`), wantSecond: true},
		{name: "429", first: fixed(429, `{"error":"slow down"}`), wantSecond: true},
		{name: "302", first: http.RedirectHandler("https://elsewhere.example/verify", http.StatusFound), wantSecond: true},
		{name: "200 not JSON", first: fixed(200, `hello`), wantSecond: true},
		{name: "200 without isValid", first: fixed(200, `{"valid":true}`), wantSecond: true},
		{name: "200 invalid without reason", first: fixed(200, `{"isValid":false}`), wantSecond: true},
		{name: "400 not shaped", first: fixed(400, `{"error":"bad request"}`), wantSecond: true},
		{name: "400 claims valid", first: fixed(400, `{"isValid":true}`), wantSecond: true},
		{name: "body too large", first: fixed(200, big), wantSecond: true},
		{name: "401", first: fixed(401, `{"error":"unauthorized"}`), wantErr: ErrUnauthorized, wantStatus: 401},
		{name: "403", first: fixed(403, ``), wantErr: ErrUnauthorized, wantStatus: 403},
		{name: "400 invalid is definitive", first: fixed(400, `{"isValid":false,"invalidReason":"invalid_exact_evm_signature"}`)},
		{name: "200 invalid is definitive", first: fixed(200, `{"isValid":false,"invalidReason":"x","invalidMessage":null}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			firstURL := refusedURL(t)
			if tc.first != nil {
				firstURL = newCounted(t, tc.first).URL
			}
			second := facilitatorServer(t, &servertest.Recorder{})
			c := newClient(t, Config{URLs: []string{firstURL, second.URL}, VerifyTimeout: 100 * time.Millisecond})
			v, err := c.Verify(context.Background(), v2Payload(), testRequirements())
			asked := second.hits.Load() == 1
			switch {
			case tc.wantSecond:
				if err != nil || !asked || !v.IsValid {
					t.Errorf("got %+v, %v, second asked %v; want the second's valid answer", v, err, asked)
				}
			case tc.wantErr != nil:
				var ue *URLError
				if !errors.Is(err, tc.wantErr) || !errors.As(err, &ue) || ue.StatusCode != tc.wantStatus || asked {
					t.Errorf("got %+v, %v, second asked %v; want %v", v, err, asked, tc.wantErr)
				}
			default:
				if err != nil || asked || v.IsValid || v.InvalidReason == "" {
					t.Errorf("got %+v, %v, second asked %v; want the first's invalid answer", v, err, asked)
				}
			}
		})
	}
}

func TestSettleFailover(t *testing.T) {
	for _, tc := range []struct {
		name       string
		first      http.Handler
		wantSecond bool
	}{
		{name: "500", first: fixed(500, `{}`), wantSecond: true},
		{name: "timeout", first: hang(), wantSecond: true},
		{name: "success without transaction", first: fixed(200, `{"success":true,"network":"eip155:84532"}`), wantSecond: true},
		{name: "400 claims success", first: fixed(400, `{"success":true,"transaction":"0x1"}`), wantSecond: true},
		{name: "400 failure without reason", first: fixed(400, `{"success":false}`), wantSecond: true},
		{name: "202 verify-shaped", first: fixed(202, `{"isValid":true}`), wantSecond: true},
		{name: "400 failure is definitive", first: fixed(400, `{"success":false,"errorReason":"invalid_exact_evm_nonce_already_used","transaction":"","network":"eip155:84532"}`)},
		{name: "202 pending is definitive", first: fixed(202, `{"success":false,"errorReason":"settlement_pending","transaction":"0xt","network":"eip155:84532"}`)},
		{name: "200 failure is definitive", first: fixed(200, `{"success":false,"errorReason":"x","transaction":"","network":"n","errorReason2":null}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := newCounted(t, tc.first)
			second := facilitatorServer(t, &servertest.Recorder{})
			c := newClient(t, Config{URLs: []string{first.URL, second.URL}, SettleTimeout: 100 * time.Millisecond})
			s, err := c.Settle(context.Background(), v2Payload(), testRequirements())
			asked := second.hits.Load() == 1
			if tc.wantSecond {
				if err != nil || !asked || s.Transaction != servertest.DefaultTransaction {
					t.Errorf("got %+v, %v, second asked %v", s, err, asked)
				}
				return
			}
			if err != nil || asked || s.Success || s.ErrorReason == "" {
				t.Errorf("got %+v, %v, second asked %v; want the first's answer", s, err, asked)
			}
		})
	}
}

func TestSupportedFailover(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first http.Handler
	}{
		{"500", fixed(500, `{}`)},
		{"kind without network", fixed(200, `{"kinds":[{"x402Version":2,"scheme":"exact"}]}`)},
		{"kind without version", fixed(200, `{"kinds":[{"scheme":"exact","network":"base"}]}`)},
		{"no kinds", fixed(200, `{"extensions":[]}`)},
		{"400", fixed(400, `{"kinds":[]}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := newCounted(t, tc.first)
			second := facilitatorServer(t, &servertest.Recorder{})
			c := newClient(t, Config{URLs: []string{first.URL, second.URL}})
			s, err := c.Supported(context.Background())
			if err != nil || len(s.Kinds) != 2 || second.hits.Load() != 1 {
				t.Errorf("got %+v, %v", s, err)
			}
		})
	}
	empty := newCounted(t, fixed(200, `{"kinds":[]}`))
	s, err := newClient(t, Config{URLs: []string{empty.URL}}).Supported(context.Background())
	if err != nil || len(s.Kinds) != 0 {
		t.Errorf("empty kinds: %+v, %v", s, err)
	}
}

// TestAllDown checks the error when no URL answers: every URL is named, the
// causes are reachable, and no secret appears.
func TestAllDown(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	down := newCounted(t, fixed(503, `{"error":"down"}`))
	refused := refusedURL(t)
	urls := []string{strings.Replace(down.URL, "http://", "http://user:pa55@", 1) + "/?key=k3y", refused}
	c := newClient(t, Config{URLs: urls, Headers: map[string]string{"Authorization": "Bearer s3cret"}, Logger: zap.New(core)})
	_, err := c.Verify(context.Background(), v2Payload(), testRequirements())
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{down.URL + "/verify (HTTP 503)", refused + "/verify", "remote facilitator verify failed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	for _, secret := range []string{"s3cret", "pa55", "k3y", "user"} {
		if strings.Contains(msg, secret) || strings.Contains(fmtIt(logs.All()), secret) {
			t.Errorf("%q leaked: %s / %v", secret, msg, logs.All())
		}
	}
	var ce *CallError
	if !errors.As(err, &ce) || len(ce.Errs) != 2 {
		t.Fatalf("not a CallError of 2: %#v", err)
	}
	if !errors.Is(err, ErrStatus) {
		t.Errorf("errors.Is(ErrStatus) false")
	}
	if logs.FilterMessage("remote facilitator failed, trying the next one").Len() != 1 {
		t.Errorf("logs %v", logs.All())
	}
}

func TestCallerContext(t *testing.T) {
	slow := newCounted(t, hang())
	second := facilitatorServer(t, &servertest.Recorder{})
	c := newClient(t, Config{URLs: []string{slow.URL, second.URL}, SettleTimeout: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Settle(ctx, v2Payload(), testRequirements())
	if !errors.Is(err, context.DeadlineExceeded) || second.hits.Load() != 0 {
		t.Errorf("error %v, second hits %d", err, second.hits.Load())
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestTooLargeResponse(t *testing.T) {
	srv := newCounted(t, fixed(200, `{"isValid":true,"payer":"`+strings.Repeat("a", 2000)+`"}`))
	c := newClient(t, Config{URLs: []string{srv.URL}, MaxResponseBytes: 1000})
	_, err := c.Verify(context.Background(), v2Payload(), testRequirements())
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("error %v", err)
	}
	c = newClient(t, Config{URLs: []string{srv.URL}, MaxResponseBytes: 3000})
	if _, err := c.Verify(context.Background(), v2Payload(), testRequirements()); err != nil {
		t.Errorf("under the cap: %v", err)
	}
}

func TestLocalRejections(t *testing.T) {
	srv := newCounted(t, fixed(500, `{}`))
	c := newClient(t, Config{URLs: []string{srv.URL}})
	p := v2Payload()
	p.X402Version = 3
	v, err := c.Verify(context.Background(), p, testRequirements())
	if err != nil || v.InvalidReason != facilitator.CodeInvalidX402Version {
		t.Errorf("verify v3: %+v, %v", v, err)
	}
	s, err := c.Settle(context.Background(), p, testRequirements())
	if err != nil || s.ErrorReason != facilitator.CodeInvalidX402Version || s.Network != "eip155:84532" {
		t.Errorf("settle v3: %+v, %v", s, err)
	}
	p = v2Payload()
	p.Payload = []byte("{not json")
	if v, err := c.Verify(context.Background(), p, testRequirements()); err != nil || v.InvalidReason != facilitator.CodeInvalidPayload {
		t.Errorf("verify bad raw payload: %+v, %v", v, err)
	}
	if _, err := c.Verify(context.Background(), nil, testRequirements()); err == nil {
		t.Error("nil payload: no error")
	}
	if _, err := c.Settle(context.Background(), v2Payload(), nil); err == nil {
		t.Error("nil requirements: no error")
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
