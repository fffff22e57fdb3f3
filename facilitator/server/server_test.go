package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/server/servertest"
)

// errSecret looks like an RPC failure whose URL carries an API key.
var errSecret = fmt.Errorf("eth_call: %w", &url.Error{Op: "Post", URL: "https://rpc.example/v2/SECRETKEY?key=SECRETKEY",
	Err: errors.New("dial tcp: connection refused")})

type httpCase struct {
	name       string
	opts       []Option
	setup      func(*servertest.Recorder)
	method     string
	path       string
	body       string
	header     http.Header
	wantStatus int
	want       map[string]any    // subset of the JSON body
	absent     []string          // keys the JSON body must not have
	wantHeader map[string]string // response headers
	wantCalls  []string          // methods the Facilitator saw; nil means none
	check      func(t *testing.T, rec *servertest.Recorder, body map[string]any)
}

func runCases(t *testing.T, cases []httpCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &servertest.Recorder{}
			if tc.setup != nil {
				tc.setup(rec)
			}
			h := New(rec, tc.opts...)
			resp, body := serve(t, h, tc.method, tc.path, tc.body, tc.header)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %v", resp.StatusCode, tc.wantStatus, body)
			}
			for k, v := range tc.want {
				if got, ok := body[k]; !ok || !reflect.DeepEqual(got, v) {
					t.Errorf("body[%q] = %#v (present %v), want %#v; body %v", k, got, ok, v, body)
				}
			}
			for _, k := range tc.absent {
				if _, ok := body[k]; ok {
					t.Errorf("body has %q: %v", k, body)
				}
			}
			for k, v := range tc.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			var methods []string
			for _, c := range rec.Calls() {
				methods = append(methods, c.Method)
			}
			if !reflect.DeepEqual(methods, tc.wantCalls) {
				t.Errorf("facilitator calls %v, want %v", methods, tc.wantCalls)
			}
			if tc.check != nil {
				tc.check(t, rec, body)
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	runCases(t, []httpCase{
		{name: "health", method: "GET", path: "/health", wantStatus: 200, want: map[string]any{"status": "ok"}},
		{name: "health HEAD", method: "HEAD", path: "/health", wantStatus: 200},
		{name: "health POST", method: "POST", path: "/health", body: "{}", wantStatus: 405,
			wantHeader: map[string]string{"Allow": "GET, HEAD"}},
		{name: "supported", method: "GET", path: "/supported", wantStatus: 200, wantCalls: []string{"Supported"},
			check: func(t *testing.T, _ *servertest.Recorder, body map[string]any) {
				kinds, _ := body["kinds"].([]any)
				if len(kinds) != 2 {
					t.Fatalf("kinds %v", body["kinds"])
				}
			}},
		{name: "supported empty kinds", method: "GET", path: "/supported", wantStatus: 200, wantCalls: []string{"Supported"},
			setup: func(r *servertest.Recorder) {
				r.SupportedFunc = func(context.Context) (facilitator.SupportedResponse, error) {
					return facilitator.SupportedResponse{}, nil
				}
			},
			want: map[string]any{"kinds": []any{}}},
		{name: "supported error", method: "GET", path: "/supported", wantStatus: 503, wantCalls: []string{"Supported"},
			setup: func(r *servertest.Recorder) {
				r.SupportedFunc = func(context.Context) (facilitator.SupportedResponse, error) {
					return facilitator.SupportedResponse{}, errSecret
				}
			},
			wantHeader: map[string]string{"Retry-After": "2"},
			check:      noSecret},
		{name: "supported POST", method: "POST", path: "/supported", body: "{}", wantStatus: 405,
			wantHeader: map[string]string{"Allow": "GET, HEAD"}},
		{name: "verify GET", method: "GET", path: "/verify", wantStatus: 405, wantHeader: map[string]string{"Allow": "POST"}},
		{name: "settle PUT", method: "PUT", path: "/settle", body: v2Body(), wantStatus: 405, wantHeader: map[string]string{"Allow": "POST"}},
		{name: "odd method", method: "E", path: "/health", wantStatus: 405},
		{name: "unknown path", method: "GET", path: "/nope", wantStatus: 404, want: map[string]any{"error": "not found"}},
		{name: "root", method: "GET", path: "/", wantStatus: 404},
		{name: "trailing slash", method: "POST", path: "/verify/", body: v2Body(), wantStatus: 404},
		{name: "prefix verify", opts: []Option{WithPrefix("/facilitator/")}, method: "POST", path: "/facilitator/verify",
			body: v2Body(), wantStatus: 200, wantCalls: []string{"Verify"}},
		{name: "prefix health", opts: []Option{WithPrefix("facilitator")}, method: "GET", path: "/facilitator/health", wantStatus: 200},
		{name: "prefix missing", opts: []Option{WithPrefix("/facilitator")}, method: "POST", path: "/verify", body: v2Body(), wantStatus: 404},
		{name: "prefix lookalike", opts: []Option{WithPrefix("/facilitator")}, method: "GET", path: "/facilitatorx/health", wantStatus: 404},
		{name: "slash prefix is none", opts: []Option{WithPrefix("/")}, method: "GET", path: "/health", wantStatus: 200},
	})
}

func TestVerify(t *testing.T) {
	runCases(t, []httpCase{
		{name: "v2 valid", method: "POST", path: "/verify", body: v2Body(), wantStatus: 200, wantCalls: []string{"Verify"},
			want:   map[string]any{"isValid": true, "payer": servertest.DefaultPayer},
			absent: []string{"invalidReason", "invalidMessage", "error"},
			check: func(t *testing.T, rec *servertest.Recorder, _ map[string]any) {
				c, _ := rec.Last()
				if c.Payload.X402Version != 2 || c.Payload.Accepted == nil || c.Payload.Resource == nil {
					t.Errorf("payload %+v", c.Payload)
				}
				want := facilitator.PaymentRequirements{Scheme: "exact", Network: "eip155:84532", Amount: "10000", Asset: testAsset,
					PayTo: testPayTo, MaxTimeoutSeconds: 60, Extra: []byte(`{"name":"USDC","version":"2"}`)}
				if !reflect.DeepEqual(*c.Requirements, want) {
					t.Errorf("requirements %+v, want %+v", *c.Requirements, want)
				}
				if string(c.Payload.Payload) != testPayload {
					t.Errorf("payload changed:\n got %s\nwant %s", c.Payload.Payload, testPayload)
				}
			}},
		{name: "v1 valid, requirements normalised", method: "POST", path: "/verify", body: v1Body(), wantStatus: 200, wantCalls: []string{"Verify"},
			want: map[string]any{"isValid": true},
			check: func(t *testing.T, rec *servertest.Recorder, _ map[string]any) {
				c, _ := rec.Last()
				if c.Payload.X402Version != 1 || c.Payload.Scheme != "exact" || c.Payload.Network != "base-sepolia" {
					t.Errorf("payload %+v", c.Payload)
				}
				want := facilitator.PaymentRequirements{Scheme: "exact", Network: "base-sepolia", Amount: "10000", Asset: testAsset,
					PayTo: testPayTo, MaxTimeoutSeconds: 60, Extra: []byte(`{"name":"USDC","version":"2"}`)}
				if !reflect.DeepEqual(*c.Requirements, want) {
					t.Errorf("requirements %+v, want %+v", *c.Requirements, want)
				}
				if string(c.Payload.Payload) != testPayload {
					t.Errorf("payload changed: %s", c.Payload.Payload)
				}
			}},
		{name: "invalid", method: "POST", path: "/verify", body: v2Body(), wantStatus: 400, wantCalls: []string{"Verify"},
			setup: verifyAnswers(facilitator.VerifyResponse{InvalidReason: facilitator.CodeExactSignature, InvalidMessage: "bad sig", Payer: "0xabc"}, nil),
			want:  map[string]any{"isValid": false, "invalidReason": facilitator.CodeExactSignature, "invalidMessage": "bad sig", "payer": "0xabc"}},
		{name: "invalid without reason", method: "POST", path: "/verify", body: v2Body(), wantStatus: 400, wantCalls: []string{"Verify"},
			setup: verifyAnswers(facilitator.VerifyResponse{}, nil),
			want:  map[string]any{"isValid": false, "invalidReason": facilitator.CodeUnexpectedVerifyError}},
		{name: "infrastructure error", method: "POST", path: "/verify", body: v2Body(), wantStatus: 503, wantCalls: []string{"Verify"},
			setup:      verifyAnswers(facilitator.VerifyResponse{}, errSecret),
			wantHeader: map[string]string{"Retry-After": "2"},
			want:       map[string]any{"isValid": false, "invalidReason": facilitator.CodeUnexpectedVerifyError},
			check:      noSecret},
		{name: "timeout, custom Retry-After", opts: []Option{WithRetryAfter(1500 * 1e6)}, method: "POST", path: "/verify", body: v2Body(),
			wantStatus: 503, wantCalls: []string{"Verify"},
			setup:      verifyAnswers(facilitator.VerifyResponse{}, context.DeadlineExceeded),
			wantHeader: map[string]string{"Retry-After": "2"},
			want:       map[string]any{"error": "facilitator unavailable: timed out"}},
		{name: "panic", method: "POST", path: "/verify", body: v2Body(), wantStatus: 500, wantCalls: []string{"Verify"},
			setup: func(r *servertest.Recorder) {
				r.VerifyFunc = func(context.Context, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error) {
					panic("boom")
				}
			},
			want: map[string]any{"error": "internal error"}},
		{name: "unencodable answer", method: "POST", path: "/verify", body: v2Body(), wantStatus: 500, wantCalls: []string{"Verify"},
			setup: verifyAnswers(facilitator.VerifyResponse{IsValid: true, Extensions: []byte("{not json")}, nil)},
	})
}

func TestSettle(t *testing.T) {
	session := &facilitator.SessionInfo{ID: "sess-1", Token: "tok", Balance: "990000", ExpiresAt: 1700009999}
	runCases(t, []httpCase{
		{name: "v2 success", method: "POST", path: "/settle", body: v2Body(), wantStatus: 200, wantCalls: []string{"Settle"},
			want: map[string]any{"success": true, "transaction": servertest.DefaultTransaction, "network": "eip155:84532",
				"payer": servertest.DefaultPayer},
			absent: []string{"errorReason", "errorMessage", "error"}},
		{name: "v1 success", method: "POST", path: "/settle", body: v1Body(), wantStatus: 200, wantCalls: []string{"Settle"},
			want: map[string]any{"success": true, "network": "base-sepolia"},
			check: func(t *testing.T, rec *servertest.Recorder, _ map[string]any) {
				c, _ := rec.Last()
				if c.Requirements.Amount != "10000" || string(c.Payload.Payload) != testPayload {
					t.Errorf("requirements %+v payload %s", c.Requirements, c.Payload.Payload)
				}
			}},
		{name: "escrow fields pass through", method: "POST", path: "/settle", body: v2Body(), wantStatus: 200, wantCalls: []string{"Settle"},
			setup: settleAnswers(facilitator.SettleResponse{Success: true, Transaction: "0xt", Network: "eip155:84532", Payer: "0xp",
				Amount: "10000", Receiver: "0xr", Session: session, Extensions: []byte(`{"k":{"v":1}}`)}, nil),
			want: map[string]any{"receiver": "0xr", "amount": "10000", "extensions": map[string]any{"k": map[string]any{"v": 1.0}},
				"session": map[string]any{"id": "sess-1", "token": "tok", "balance": "990000", "expiresAt": 1700009999.0}}},
		{name: "pending", method: "POST", path: "/settle", body: v2Body(), wantStatus: 202, wantCalls: []string{"Settle"},
			setup: settleAnswers(facilitator.SettleResponse{ErrorReason: facilitator.CodeSettlementPending, ErrorMessage: "wait",
				Transaction: "0xpending", Network: "eip155:84532", Payer: "0xp"}, nil),
			want: map[string]any{"success": false, "errorReason": facilitator.CodeSettlementPending, "transaction": "0xpending"}},
		{name: "failure", method: "POST", path: "/settle", body: v2Body(), wantStatus: 400, wantCalls: []string{"Settle"},
			setup: settleAnswers(facilitator.SettleResponse{ErrorReason: facilitator.CodeExactNonceUsed, ErrorMessage: "used",
				Network: "eip155:84532", Payer: "0xp"}, nil),
			want: map[string]any{"success": false, "errorReason": facilitator.CodeExactNonceUsed, "errorMessage": "used",
				"transaction": "", "network": "eip155:84532", "payer": "0xp"}},
		{name: "failure with tx", method: "POST", path: "/settle", body: v2Body(), wantStatus: 400, wantCalls: []string{"Settle"},
			setup: settleAnswers(facilitator.SettleResponse{ErrorReason: facilitator.CodeExactTxFailed, Transaction: "0xreverted"}, nil),
			want:  map[string]any{"transaction": "0xreverted", "network": "eip155:84532"}},
		{name: "failure without reason", method: "POST", path: "/settle", body: v2Body(), wantStatus: 400, wantCalls: []string{"Settle"},
			setup: settleAnswers(facilitator.SettleResponse{}, nil),
			want:  map[string]any{"success": false, "errorReason": facilitator.CodeUnexpectedSettleError}},
		{name: "infrastructure error", method: "POST", path: "/settle", body: v2Body(), wantStatus: 503, wantCalls: []string{"Settle"},
			setup:      settleAnswers(facilitator.SettleResponse{Transaction: "0xbroadcast"}, errSecret),
			wantHeader: map[string]string{"Retry-After": "2"},
			want: map[string]any{"success": false, "errorReason": facilitator.CodeUnexpectedSettleError,
				"transaction": "0xbroadcast", "network": "eip155:84532"},
			check: noSecret},
	})
}

func TestMalformedBodies(t *testing.T) {
	const inv, invReq, invVer = facilitator.CodeInvalidPayload, facilitator.CodeInvalidPaymentRequirements, facilitator.CodeInvalidX402Version
	bodies := []struct {
		name, body, code, msg string
	}{
		{"empty", "", inv, "not a JSON object"},
		{"not JSON", "hello", inv, "not a JSON object"},
		{"null", "null", inv, "not a JSON object"},
		{"array", "[1]", inv, "not a JSON object"},
		{"truncated", v2Body()[:100], inv, "not valid JSON"},
		{"trailing garbage", v2Body() + "x", inv, "not valid JSON"},
		{"no payload", `{"x402Version":2,"paymentRequirements":{"scheme":"exact","network":"eip155:1"}}`, inv, "paymentPayload is missing"},
		{"no requirements", `{"x402Version":2,"paymentPayload":{"x402Version":2,"payload":{}}}`, invReq, "paymentRequirements is missing"},
		{"no version", `{"paymentPayload":{"payload":{}},"paymentRequirements":{"scheme":"exact","network":"eip155:1"}}`, invVer, "x402Version 0"},
		{"version 3", strings.ReplaceAll(v2Body(), `"x402Version":2`, `"x402Version":3`), invVer, "x402Version 3"},
		{"version as string", strings.Replace(v2Body(), `"paymentPayload":{"x402Version":2`, `"paymentPayload":{"x402Version":"2"`, 1), inv, "paymentPayload"},
		{"top-level version differs", strings.Replace(v2Body(), `{"x402Version":2,`, `{"x402Version":1,`, 1), invVer, "differs"},
		{"v1 with amount", strings.Replace(v1Body(), `"maxAmountRequired"`, `"amount"`, 1), invReq, "mix-up"},
		{"v2 with maxAmountRequired", strings.Replace(v2Body(), `"amount":"10000","asset":"`+testAsset+`","payTo":"`+testPayTo+`","maxTimeoutSeconds":60,"extra":{"name":"USDC","version":"2"}}}`,
			`"maxAmountRequired":"10000","asset":"`+testAsset+`","payTo":"`+testPayTo+`"}}`, 1), invReq, "mix-up"},
		{"v1 requirements in v2 envelope", `{"x402Version":2,"paymentPayload":{"x402Version":2,"payload":{}},"paymentRequirements":{"scheme":"exact","network":"base","maxAmountRequired":"1"}}`, invReq, "mix-up"},
		{"missing scheme", `{"x402Version":2,"paymentPayload":{"x402Version":2,"payload":{}},"paymentRequirements":{"network":"eip155:1","amount":"1"}}`, invReq, "scheme is missing"},
		{"missing network", `{"x402Version":1,"paymentPayload":{"x402Version":1,"payload":{}},"paymentRequirements":{"scheme":"exact","maxAmountRequired":"1"}}`, invReq, "network is missing"},
		{"missing scheme payload", `{"x402Version":2,"paymentPayload":{"x402Version":2},"paymentRequirements":{"scheme":"exact","network":"eip155:1","amount":"1"}}`, inv, "payload is missing"},
		{"scheme payload is a string", `{"x402Version":2,"paymentPayload":{"x402Version":2,"payload":"0xabc"},"paymentRequirements":{"scheme":"exact","network":"eip155:1","amount":"1"}}`, inv, "payload is missing or not an object"},
		{"amount as number", strings.Replace(v2Body(), `"amount":"10000","asset"`, `"amount":10000,"asset"`, 1), inv, "paymentPayload"},
	}
	var cases []httpCase
	for _, b := range bodies {
		cases = append(cases,
			httpCase{name: "verify " + b.name, method: "POST", path: "/verify", body: b.body, wantStatus: 400,
				want: map[string]any{"isValid": false, "invalidReason": b.code}, absent: []string{"error"},
				check: messageContains("invalidMessage", b.msg)},
			httpCase{name: "settle " + b.name, method: "POST", path: "/settle", body: b.body, wantStatus: 400,
				want: map[string]any{"success": false, "errorReason": b.code, "transaction": ""}, absent: []string{"error"},
				check: messageContains("errorMessage", b.msg)})
	}
	runCases(t, cases)
}

func TestBodyLimit(t *testing.T) {
	big := `{"x402Version":2,"pad":"` + strings.Repeat("a", DefaultMaxBodyBytes) + `"}`
	runCases(t, []httpCase{
		{name: "verify over default", method: "POST", path: "/verify", body: big, wantStatus: 413,
			want: map[string]any{"isValid": false, "invalidReason": facilitator.CodeInvalidPayload, "error": "request body exceeds 65536 bytes"}},
		{name: "settle over default", method: "POST", path: "/settle", body: big, wantStatus: 413,
			want: map[string]any{"success": false, "errorReason": facilitator.CodeInvalidPayload, "error": "request body exceeds 65536 bytes"}},
		{name: "custom limit", opts: []Option{WithMaxBodyBytes(100)}, method: "POST", path: "/verify", body: v2Body(), wantStatus: 413,
			want: map[string]any{"error": "request body exceeds 100 bytes"}},
		{name: "exactly at limit", opts: []Option{WithMaxBodyBytes(int64(len(v2Body())))}, method: "POST", path: "/verify", body: v2Body(),
			wantStatus: 200, wantCalls: []string{"Verify"}},
		{name: "zero keeps default", opts: []Option{WithMaxBodyBytes(0)}, method: "POST", path: "/verify", body: big, wantStatus: 413},
	})
}

func verifyAnswers(v facilitator.VerifyResponse, err error) func(*servertest.Recorder) {
	return func(r *servertest.Recorder) {
		r.VerifyFunc = func(context.Context, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error) {
			return v, err
		}
	}
}

func settleAnswers(s facilitator.SettleResponse, err error) func(*servertest.Recorder) {
	return func(r *servertest.Recorder) {
		r.SettleFunc = func(context.Context, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
			return s, err
		}
	}
}

func noSecret(t *testing.T, _ *servertest.Recorder, body map[string]any) {
	t.Helper()
	if s := fmt.Sprint(body); strings.Contains(s, "SECRETKEY") || strings.Contains(s, "rpc.example") {
		t.Errorf("error text leaked to the client: %s", s)
	}
	if body["error"] == nil {
		t.Errorf("no error field: %v", body)
	}
}

func messageContains(key, want string) func(*testing.T, *servertest.Recorder, map[string]any) {
	return func(t *testing.T, _ *servertest.Recorder, body map[string]any) {
		t.Helper()
		if got, _ := body[key].(string); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", key, got, want)
		}
	}
}
