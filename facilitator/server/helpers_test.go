package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

const (
	testPayTo = "0x3333333333333333333333333333333333333333"
	testAsset = "0x036CbD53842c5426634e7929541eC2318f3dCF7e"
	// testScheme payload: strings and numbers mixed, odd spacing, an unknown
	// field; the server must hand it over byte for byte.
	testPayload = `{"signature": "0xabcdef", "authorization": {"from": "0x1111111111111111111111111111111111111111", "validAfter": 1700000000, "validBefore": "1700003600"}, "future": [1, 2]}`
)

// v2Body is a v2 /verify or /settle body with testPayload.
func v2Body() string {
	return `{"x402Version":2,"paymentPayload":{"x402Version":2,"resource":{"url":"https://api.example/paid"},` +
		`"accepted":{"scheme":"exact","network":"eip155:84532","amount":"10000","asset":"` + testAsset + `","payTo":"` + testPayTo + `","maxTimeoutSeconds":60,"extra":{"name":"USDC","version":"2"}},` +
		`"payload":` + testPayload + `},` +
		`"paymentRequirements":{"scheme":"exact","network":"eip155:84532","amount":"10000","asset":"` + testAsset + `","payTo":"` + testPayTo + `","maxTimeoutSeconds":60,"extra":{"name":"USDC","version":"2"}}}`
}

// v1Body is a v1 /verify or /settle body with testPayload.
func v1Body() string {
	return `{"x402Version":1,"paymentPayload":{"x402Version":1,"scheme":"exact","network":"base-sepolia","payload":` + testPayload + `},` +
		`"paymentRequirements":{"scheme":"exact","network":"base-sepolia","maxAmountRequired":"10000","resource":"https://api.example/paid",` +
		`"description":"d","mimeType":"application/json","payTo":"` + testPayTo + `","maxTimeoutSeconds":60,"asset":"` + testAsset + `","extra":{"name":"USDC","version":"2"}}}`
}

func readFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// serve sends one request through h and returns the response and its body
// decoded as a JSON object.
func serve(t testing.TB, h http.Handler, method, path, body string, header http.Header) (*http.Response, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if method != http.MethodHead {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, raw, err)
		}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	return resp, m
}
