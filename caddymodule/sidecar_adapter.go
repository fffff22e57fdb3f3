package caddymodule

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/caddy-x402/x402/sidecar"
	"github.com/caddyserver/caddy/v2/caddyconfig"
)

func init() {
	caddyconfig.RegisterAdapter("x402env", envAdapter{})
}

// envAdapter is the `x402env` config adapter, the sidecar's entry point:
// `caddy run --adapter x402env --config /etc/caddy/Caddyfile`. When the
// config file is blank (only comments: the image ships it so), the X402_*
// environment is translated into a Caddyfile (package sidecar) and adapted
// by the Caddyfile adapter, the same path as a hand-written Caddyfile. A
// Caddyfile mounted over it replaces the environment (each X402_* variable
// then set is reported as ignored).
type envAdapter struct{}

// envSource names the generated Caddyfile in adapter errors.
const envSource = "X402 environment"

// Adapt implements caddyconfig.Adapter.
func (envAdapter) Adapt(body []byte, options map[string]any) ([]byte, []caddyconfig.Warning, error) {
	cf := caddyconfig.GetAdapter("caddyfile")
	if cf == nil {
		return nil, nil, fmt.Errorf("x402env: the caddyfile adapter is not compiled in")
	}
	env := environ()
	if !blankConfig(body) {
		out, warnings, err := cf.Adapt(body, options)
		file, _ := options["filename"].(string)
		for _, name := range setVars(env) {
			warnings = append(warnings, caddyconfig.Warning{File: file,
				Message: name + " is ignored: " + file + " is a Caddyfile, which replaces the X402_* environment"})
		}
		return out, warnings, err
	}
	text, err := sidecar.Caddyfile(env)
	if err != nil {
		return nil, nil, fmt.Errorf("sidecar environment: %w", err)
	}
	return cf.Adapt([]byte(text), map[string]any{"filename": envSource})
}

// blankConfig: nothing but white space and # comments.
func blankConfig(body []byte) bool {
	for _, line := range strings.Split(string(body), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// environ is the process environment as a map.
func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// setVars lists the sidecar variables set in env that a mounted Caddyfile
// makes irrelevant (X402_HEALTH_PORT still tells `caddy x402 health` where
// to probe).
func setVars(env map[string]string) []string {
	var names []string
	for _, v := range sidecar.Vars {
		if _, ok := env[v.Name]; ok && v.Name != "X402_HEALTH_PORT" {
			names = append(names, v.Name)
		}
	}
	sort.Strings(names)
	return names
}

var _ caddyconfig.Adapter = envAdapter{}
