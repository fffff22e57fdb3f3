package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/caddy-x402/x402/facilitator/server/servertest"
)

func TestAuth(t *testing.T) {
	bearer := []Option{WithAuth("Authorization", "Bearer s3cret")}
	good := http.Header{"Authorization": {"Bearer s3cret"}}
	bad := http.Header{"Authorization": {"Bearer s3cre"}}
	big := strings.Repeat("x", 2*DefaultMaxBodyBytes)
	runCases(t, []httpCase{
		{name: "none configured", method: "POST", path: "/verify", body: v2Body(), wantStatus: 200, wantCalls: []string{"Verify"}},
		{name: "missing", opts: bearer, method: "POST", path: "/verify", body: v2Body(), wantStatus: 401,
			want: map[string]any{"error": "unauthorized"}, wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="x402-facilitator"`}},
		{name: "wrong", opts: bearer, method: "POST", path: "/settle", body: v2Body(), header: bad, wantStatus: 401},
		{name: "longer", opts: bearer, method: "POST", path: "/settle", body: v2Body(),
			header: http.Header{"Authorization": {"Bearer s3cret "}}, wantStatus: 401},
		{name: "right", opts: bearer, method: "POST", path: "/settle", body: v2Body(), header: good, wantStatus: 200, wantCalls: []string{"Settle"}},
		{name: "supported needs it", opts: bearer, method: "GET", path: "/supported", wantStatus: 401},
		{name: "supported with it", opts: bearer, method: "GET", path: "/supported", header: good, wantStatus: 200, wantCalls: []string{"Supported"}},
		{name: "health stays open", opts: bearer, method: "GET", path: "/health", wantStatus: 200},
		{name: "checked before the body", opts: bearer, method: "POST", path: "/verify", body: big, wantStatus: 401},
		{name: "checked before the method", opts: bearer, method: "GET", path: "/verify", wantStatus: 401},
		{name: "rotation old", opts: append(bearer, WithAuth("Authorization", "Bearer n3w")), method: "POST", path: "/verify",
			body: v2Body(), header: good, wantStatus: 200, wantCalls: []string{"Verify"}},
		{name: "rotation new", opts: append(bearer, WithAuth("Authorization", "Bearer n3w")), method: "POST", path: "/verify",
			body: v2Body(), header: http.Header{"Authorization": {"Bearer n3w"}}, wantStatus: 200, wantCalls: []string{"Verify"}},
		{name: "custom header", opts: []Option{WithAuth("x-api-key", "k")}, method: "POST", path: "/verify", body: v2Body(),
			header: http.Header{"X-Api-Key": {"k"}}, wantStatus: 200, wantCalls: []string{"Verify"}},
		{name: "custom header, no challenge", opts: []Option{WithAuth("X-Api-Key", "k")}, method: "POST", path: "/verify", body: v2Body(),
			wantStatus: 401, wantHeader: map[string]string{"WWW-Authenticate": ""}},
		{name: "empty value ignored", opts: []Option{WithAuth("Authorization", "")}, method: "POST", path: "/verify", body: v2Body(),
			wantStatus: 200, wantCalls: []string{"Verify"}},
	})
}

func TestAuthKeepsNoCleartext(t *testing.T) {
	s := New(&servertest.Recorder{}, WithAuth("Authorization", "Bearer s3cret"))
	for _, c := range s.auth {
		if strings.Contains(string(c.sum[:]), "s3cret") || strings.Contains(c.scheme+c.header, "s3cret") {
			t.Fatal("credential stored in clear text")
		}
	}
}
