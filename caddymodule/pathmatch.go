package caddymodule

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/caddy-x402/x402/policies"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(MatchPricedPath{})
}

// MatchPricedPath is the `x402_path` request matcher: Caddy's `path`
// matcher (same patterns, same matches), and also every spelling of a
// matched path that an upstream may read as that path — another layer of
// percent-encoding, letter case, '\' for '/', ";params" in a segment,
// doubled slashes, dot segments, a trailing slash (policies.PricedPaths).
// The `x402` directive puts its path matcher through it, so a priced route
// cannot be reached unpaid by respelling its path. A path that cannot be
// read safely (a control character, an overlong UTF-8 form, four layers of
// percent-encoding) matches too and is refused by the x402 handler with 400
// ambiguous_request_path.
//
// JSON: "match": [{"x402_path": ["/paid/*"]}]; Caddyfile named matcher:
// `@paid x402_path /paid/*`.
type MatchPricedPath struct {
	// Patterns are Caddy path patterns (exact, prefix "/a/*", suffix
	// "*.pdf", substring, glob; placeholders allowed). In JSON the matcher
	// is the list itself.
	Patterns []string

	caddyPath caddyhttp.MatchPath
	priced    *policies.PricedPaths // nil when a pattern has placeholders
}

// ambiguousPathVar is the request variable in which the matcher leaves why
// a path cannot be read safely, for the x402 handler to refuse it.
const ambiguousPathVar = "x402.ambiguous_path"

// CaddyModule returns the Caddy module information.
func (MatchPricedPath) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.matchers.x402_path", New: func() caddy.Module { return new(MatchPricedPath) }}
}

// MarshalJSON writes the patterns as a JSON list, like the path matcher.
func (m MatchPricedPath) MarshalJSON() ([]byte, error) { return json.Marshal(m.Patterns) }

// UnmarshalJSON reads a JSON list of patterns.
func (m *MatchPricedPath) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &m.Patterns) }

// Provision compiles the patterns.
func (m *MatchPricedPath) Provision(ctx caddy.Context) error {
	if len(m.Patterns) == 0 {
		return fmt.Errorf("x402_path: at least one path pattern is required")
	}
	m.caddyPath = append(caddyhttp.MatchPath(nil), m.Patterns...)
	if err := m.caddyPath.Provision(ctx); err != nil {
		return err
	}
	if !strings.Contains(strings.Join(m.Patterns, ""), "{") {
		pp, err := policies.NewPricedPaths(m.Patterns)
		if err != nil {
			return fmt.Errorf("x402_path: %w", err)
		}
		m.priced = pp
	}
	return nil
}

// Match implements caddyhttp.RequestMatcher.
func (m *MatchPricedPath) Match(r *http.Request) bool {
	ok, _ := m.MatchWithError(r)
	return ok
}

// MatchWithError implements caddyhttp.RequestMatcherWithError: Caddy's
// reading first, then the canonical one.
func (m *MatchPricedPath) MatchWithError(r *http.Request) (bool, error) {
	if ok, err := m.caddyPath.MatchWithError(r); ok || err != nil {
		return ok, err
	}
	priced := m.priced
	if priced == nil {
		repl, _ := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
		expanded := make([]string, len(m.Patterns))
		for i, p := range m.Patterns {
			expanded[i] = p
			if repl != nil {
				expanded[i] = repl.ReplaceAll(p, "")
			}
		}
		var err error
		if priced, err = policies.NewPricedPaths(expanded); err != nil {
			return false, nil // an expansion that is no pattern matches nothing
		}
	}
	ok, ambiguous := priced.Match(r.URL.Path)
	if ambiguous != "" {
		caddyhttp.SetVar(r.Context(), ambiguousPathVar, ambiguous)
		return true, nil
	}
	return ok, nil
}

// withPricedPath returns the matcher set of an x402 route with its path
// matcher (from `x402 /paid/*` or a named matcher) turned into x402_path;
// the set itself may be a named matcher that other directives share, so it
// is copied, never changed. Paths inside `not` keep Caddy's reading, which
// excludes fewer spellings from the paywall.
func withPricedPath(set caddy.ModuleMap) caddy.ModuleMap {
	raw, ok := set["path"]
	if !ok {
		return set
	}
	out := make(caddy.ModuleMap, len(set))
	for k, v := range set {
		out[k] = v
	}
	delete(out, "path")
	out["x402_path"] = raw
	return out
}

// UnmarshalCaddyfile reads `x402_path <patterns...>`.
func (m *MatchPricedPath) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	for d.Next() {
		m.Patterns = append(m.Patterns, d.RemainingArgs()...)
		if d.NextBlock(0) {
			return d.Err("malformed x402_path matcher: blocks are not supported")
		}
	}
	return nil
}

var (
	_ caddy.Provisioner                 = (*MatchPricedPath)(nil)
	_ caddyhttp.RequestMatcherWithError = (*MatchPricedPath)(nil)
	_ caddyfile.Unmarshaler             = (*MatchPricedPath)(nil)
)
