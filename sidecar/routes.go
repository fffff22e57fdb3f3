package sidecar

import (
	"fmt"
	"strings"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/policies"
)

// maxRoutes bounds X402_ROUTES.
const maxRoutes = 100

// routes parses X402_ROUTES: entries separated by ";" (or new lines), each
// "<path> <price> [exact] [escrow] [settle=after|header|before]", where the
// price is a token amount (0.01) or "<n> units" (also "<n>units").
func (p *parser) routes(decimals int, settle string) []Route {
	const name = "X402_ROUTES"
	v := p.get(name)
	if v == "" {
		p.fail(name, `required: priced routes such as "/v1/premium/* 0.01; /v1/bulk/* 0.10 escrow"`)
		return nil
	}
	var out []Route
	seen := map[string]bool{}
	entries := strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '\n' })
	for i, entry := range entries {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if len(out) == maxRoutes {
			p.fail(name, "more than %d routes", maxRoutes)
			break
		}
		fail := func(format string, args ...any) {
			p.fail(name, "entry %d (%q): %s", i+1, entry, fmt.Sprintf(format, args...))
		}
		words := strings.Fields(entry)
		r := Route{Path: words[0], Settle: settle}
		if !validPath(r.Path) {
			fail("path %q: want a path starting with / (letters, digits, / - _ . ~ %% and * as a wildcard)", r.Path)
			continue
		}
		if seen[r.Path] {
			fail("path %s is priced twice", r.Path)
			continue
		}
		seen[r.Path] = true
		if len(words) < 2 {
			fail(`no price: want "<path> <price>", e.g. "%s 0.01"`, r.Path)
			continue
		}
		r.Price, words = words[1], words[2:]
		if len(words) > 0 && words[0] == "units" {
			r.Price, words = r.Price+" units", words[1:]
		} else if n, ok := strings.CutSuffix(r.Price, "units"); ok {
			r.Price = n + " units"
		}
		units, err := policies.ParsePrice(r.Price, decimals)
		if err != nil {
			fail("%v", err)
			continue
		}
		if units.Sign() <= 0 {
			fail("price %s is not positive", r.Price)
			continue
		}
		ok := true
		for _, w := range words {
			switch {
			case w == facilitator.SchemeExact || w == facilitator.SchemeEscrow:
				if contains(r.Schemes, w) {
					fail("%s is given twice", w)
					ok = false
				}
				r.Schemes = append(r.Schemes, w)
			case strings.HasPrefix(w, "settle="):
				r.Settle = strings.TrimPrefix(w, "settle=")
				if r.Settle != "after" && r.Settle != "header" && r.Settle != "before" {
					fail("%s: want settle=after, settle=header or settle=before", w)
					ok = false
				}
			default:
				fail("unknown word %q (want exact, escrow or settle=after|header|before)", w)
				ok = false
			}
		}
		if !ok {
			continue
		}
		if len(r.Schemes) == 0 {
			r.Schemes = []string{facilitator.SchemeExact}
		}
		out = append(out, r)
	}
	if len(out) == 0 && len(p.problems) == 0 {
		p.fail(name, "no route given")
	}
	return out
}

// validPath accepts Caddy path-matcher patterns made of safe characters.
func validPath(s string) bool {
	if !strings.HasPrefix(s, "/") || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/-_.~%*", r)) {
			return false
		}
	}
	return true
}
