package caddymodule

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// Argument readers shared by the Caddyfile parsers.

func oneArg(d *caddyfile.Dispenser, dst *string) error {
	if !d.AllArgs(dst) {
		return d.ArgErr()
	}
	return nil
}

func someArgs(d *caddyfile.Dispenser) ([]string, error) {
	args := d.RemainingArgs()
	if len(args) == 0 {
		return nil, d.ArgErr()
	}
	return args, nil
}

func intArg(d *caddyfile.Dispenser, dst *int) error {
	var s string
	if !d.AllArgs(&s) {
		return d.ArgErr()
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return d.Errf("%q is not a non-negative integer", s)
	}
	*dst = n
	return nil
}

func durationArg(d *caddyfile.Dispenser, dst *caddy.Duration) error {
	var s string
	if !d.AllArgs(&s) {
		return d.ArgErr()
	}
	v, err := caddy.ParseDuration(s)
	if err != nil || v < 0 {
		return d.Errf("%q is not a duration", s)
	}
	*dst = caddy.Duration(v)
	return nil
}

// priceArg reads an amount in the price syntax: "0.10" or "<n> units".
func priceArg(d *caddyfile.Dispenser, dst *string) error {
	args := d.RemainingArgs()
	switch {
	case len(args) == 1:
		*dst = args[0]
	case len(args) == 2 && args[1] == "units":
		*dst = args[0] + " units"
	default:
		return d.Errf("x402: %q is not an amount (0.10 or <n> units)", strings.Join(args, " "))
	}
	return nil
}

// optionLines records the line of each option of a block, so that a
// mistake found after parsing (by the offline checks) points at the line of
// the option it names.
type optionLines map[string]int

// errAt reports err at the line of the option that msg starts with ("price
// …", "network base …"), else at line.
func (l optionLines) errAt(d *caddyfile.Dispenser, msg string, line int, err error) error {
	words := strings.Fields(msg)
	for n := min(2, len(words)); n > 0; n-- {
		key := strings.TrimRight(strings.Join(words[:n], " "), ":")
		key = strings.ReplaceAll(key, `"`, "")
		if l2, ok := l[key]; ok {
			line = l2
			break
		}
	}
	return fmt.Errorf("%w, at %s:%d", err, d.File(), line)
}
