// Package cli holds the `caddy x402 …` commands (pay, sessions, accounts,
// devchain). The root package x402 imports it, which registers the commands
// with Caddy's command line; Run executes them in-process.
package cli

import (
	"errors"
	"fmt"
	"io"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "x402",
		Usage: "<pay|sessions|accounts|devchain|health|sidecar> [flags]",
		Short: "Pays for x402-protected URLs and lists the dev chain's accounts",
		Long: `
caddy x402 pay [--dev-account N | --key-file F] [flags] URL
  Requests URL; on 402 Payment Required signs a payment (never above
  --max-amount, default 1.00) and sends the request again with it, then
  prints the body. --header-only prints the payment header for curl instead
  (valid for the route's maxTimeoutSeconds). Exit status 1 when the final
  answer is not 2xx (the x402 error code and message go to stderr), 2 on
  usage errors.
  --scheme escrow opens a session on the first paid request (one deposit
  signature, --deposit 1.00 by default, --session-length 1h) and spends it
  on the next ones without signing; sessions are kept in --session-file
  (default $XDG_CONFIG_HOME/caddy-x402/sessions.json, mode 0600).

caddy x402 sessions [--session-file F] [--json]
caddy x402 sessions close [--session-file F] ID
  Lists the escrow sessions (id, origin, receiver, balance, expiry; never
  the tokens), or closes one: the operator captures what was used and
  returns the rest of the deposit to the payer.

caddy x402 accounts [--rpc URL] [--count N]
  Lists the dev chain's accounts (public test mnemonic), with ETH and test
  USDC balances when the demo's chain answers at --rpc. Never prints keys.

caddy x402 devchain deploy --rpc URL [--dev-account N | --key-file F] [--mint-to ADDR,...] [--amount 1000000]
  Deploys the test USDC (and the other test contracts) on an external dev
  node such as anvil, mints it to the dev accounts and prints the
  addresses as JSON.

caddy x402 health [--url URL] [--timeout 3s]
  Probes a health endpoint (default: the sidecar's readiness,
  http://127.0.0.1:$X402_HEALTH_PORT/ready, port 9402) and prints its
  answer; exit status 0 when it answers 200. The image's HEALTHCHECK.

caddy x402 sidecar
  Prints the Caddyfile that the sidecar's X402_* environment configures
  (caddy run --adapter x402env runs it); a wrong variable is named.
`,
		CobraFunc: func(cmd *cobra.Command) { setupX402Command(cmd, caddyExit) },
	})
}

// Exit statuses of the x402 commands.
const (
	exitFailure = 1 // the request failed or the payment was refused
	exitUsage   = 2 // bad flags or arguments
)

// exitFunc turns an exit status into the error a cobra RunE returns.
type exitFunc func(cmd *cobra.Command, code int) error

// errExit makes cobra's caller exit with status 1; the message was printed.
var errExit = errors.New("x402 command failed")

// caddyExit maps statuses onto Caddy's Main: 1 is any error, higher
// statuses need caddycmd's exit error. Messages are printed by the
// commands themselves, so cobra and Caddy's logger stay silent.
func caddyExit(cmd *cobra.Command, code int) error {
	switch {
	case code == 0:
		return nil
	case code == exitFailure:
		cmd.SilenceErrors = true
		return errExit
	default:
		cmd.SilenceErrors = true
		return caddycmd.WrapCommandFuncForCobra(func(caddycmd.Flags) (int, error) { return code, nil })(cmd, nil)
	}
}

// setupX402Command fills in the x402 command: its subcommands, and flag
// errors reported as usage errors (status 2).
func setupX402Command(cmd *cobra.Command, exit exitFunc) {
	cmd.Args = cobra.ArbitraryArgs
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		fmt.Fprintf(c.ErrOrStderr(), "caddy x402 %s: %v (see --help)\n", c.Name(), err)
		return exit(c, exitUsage)
	})
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			fmt.Fprintf(c.ErrOrStderr(), "caddy x402: unknown subcommand %q (want pay, sessions, accounts, devchain, health or sidecar)\n", args[0])
			return exit(c, exitUsage)
		}
		return c.Help()
	}
	cmd.AddCommand(payCommand(exit), sessionsCommand(exit), accountsCommand(exit), devchainCommand(exit), healthCommand(exit), sidecarCommand(exit))
}

// usagef prints a usage error and returns status 2.
func usagef(cmd *cobra.Command, format string, args ...any) int {
	return report(cmd, exitUsage, format, args...)
}

// failf prints a failure and returns status 1.
func failf(cmd *cobra.Command, format string, args ...any) int {
	return report(cmd, exitFailure, format, args...)
}

func report(cmd *cobra.Command, code int, format string, args ...any) int {
	fmt.Fprintf(cmd.ErrOrStderr(), "caddy x402 %s: %s\n", cmd.Name(), fmt.Sprintf(format, args...))
	return code
}

// Run executes `caddy x402 args...` in-process with the given standard
// streams and returns its exit status: 0, 1 (the request or command failed)
// or 2 (usage error). It is what the registered command runs, without
// Caddy's process exit.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := &cobra.Command{Use: "x402", SilenceUsage: true}
	status := 0
	setupX402Command(cmd, func(c *cobra.Command, code int) error {
		if code == 0 {
			return nil
		}
		c.SilenceErrors = true
		status = code
		return errExit
	})
	cmd.SetIn(stdin)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil && status == 0 {
		status = exitFailure
	}
	return status
}
