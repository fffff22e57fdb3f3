package caddymodule

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
)

func setSidecarEnv(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{
		"X402_UPSTREAM": "http://127.0.0.1:3000",
		"X402_ROUTES":   "/v1/premium/* 0.01; /v1/bulk/* 0.10 escrow",
		"X402_PAY_TO":   payee,
		"X402_NETWORK":  "dev",
	} {
		t.Setenv(k, v)
	}
}

// A blank config file means: configure from the X402_* environment, through
// the Caddyfile adapter.
func TestEnvAdapterFromEnvironment(t *testing.T) {
	setSidecarEnv(t)
	a := caddyconfig.GetAdapter("x402env")
	out, warnings, err := a.Adapt([]byte("# the sidecar's environment configures it\n\n"), map[string]any{"filename": "/etc/caddy/Caddyfile"})
	if err != nil || len(warnings) != 0 {
		t.Fatalf("err %v warnings %v", err, warnings)
	}
	js := string(out)
	for _, want := range []string{`"x402":{"networks":[{"name":"dev"}]}`, `"x402_path":["/v1/premium/*"]`, `"price":"0.10"`, `"schemes":["escrow"]`,
		`"handler":"reverse_proxy","upstreams":[{"dial":"127.0.0.1:3000"}]`, `{"check":"ready","handler":"x402_health"}`, `"listen":[":9402"]`, `"admin":{"disabled":true`} {
		if !strings.Contains(js, want) {
			t.Errorf("adapted config lacks %s:\n%s", want, js)
		}
	}
	t.Setenv("X402_PAY_TO", "0x0000000000000000000000000000000000000000")
	if _, _, err := a.Adapt(nil, nil); err == nil || err.Error() != "sidecar environment: X402_PAY_TO: 0x0000000000000000000000000000000000000000 is the zero address, which cannot be paid: give your payout address" {
		t.Fatalf("bad environment: %v", err)
	}
}

// A mounted Caddyfile replaces the environment; the variables it makes
// irrelevant are reported.
func TestEnvAdapterMountedCaddyfile(t *testing.T) {
	setSidecarEnv(t)
	t.Setenv("X402_HEALTH_PORT", "9500")
	src := "{\n\tx402 {\n\t\tnetwork dev\n\t}\n}\n:8081 {\n\trespond ok\n}\n"
	out, warnings, err := caddyconfig.GetAdapter("x402env").Adapt([]byte(src), map[string]any{"filename": "/etc/caddy/Caddyfile"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "reverse_proxy") || !strings.Contains(string(out), `":8081"`) {
		t.Fatalf("the environment was used: %s", out)
	}
	var msgs []string
	for _, w := range warnings {
		msgs = append(msgs, w.Message)
	}
	want := []string{
		"X402_NETWORK is ignored: /etc/caddy/Caddyfile is a Caddyfile, which replaces the X402_* environment",
		"X402_PAY_TO is ignored: /etc/caddy/Caddyfile is a Caddyfile, which replaces the X402_* environment",
		"X402_ROUTES is ignored: /etc/caddy/Caddyfile is a Caddyfile, which replaces the X402_* environment",
		"X402_UPSTREAM is ignored: /etc/caddy/Caddyfile is a Caddyfile, which replaces the X402_* environment",
	}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Fatalf("warnings:\n%s", strings.Join(msgs, "\n"))
	}
}
