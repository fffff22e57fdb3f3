package caddymodule

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/policies"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/spf13/cobra"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "x402",
		Usage: "<pay|sessions|accounts|devchain> [flags]",
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
`,
		CobraFunc: func(cmd *cobra.Command) { cliSetupX402Command(cmd, cliCaddyExit) },
	})
}

// Exit statuses of the x402 commands.
const (
	cliExitFailure = 1 // the request failed or the payment was refused
	cliExitUsage   = 2 // bad flags or arguments
)

// cliExitFunc turns an exit status into the error a cobra RunE returns.
type cliExitFunc func(cmd *cobra.Command, code int) error

// errCLIExit makes cobra's caller exit with status 1; the message was printed.
var errCLIExit = errors.New("x402 command failed")

// cliCaddyExit maps statuses onto Caddy's Main: 1 is any error, higher
// statuses need caddycmd's exit error. Messages are printed by the
// commands themselves, so cobra and Caddy's logger stay silent.
func cliCaddyExit(cmd *cobra.Command, code int) error {
	switch {
	case code == 0:
		return nil
	case code == cliExitFailure:
		cmd.SilenceErrors = true
		return errCLIExit
	default:
		cmd.SilenceErrors = true
		return caddycmd.WrapCommandFuncForCobra(func(caddycmd.Flags) (int, error) { return code, nil })(cmd, nil)
	}
}

// cliSetupX402Command fills in the x402 command: its subcommands, and flag
// errors reported as usage errors (status 2).
func cliSetupX402Command(cmd *cobra.Command, exit cliExitFunc) {
	cmd.Args = cobra.ArbitraryArgs
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		fmt.Fprintf(c.ErrOrStderr(), "caddy x402 %s: %v (see --help)\n", c.Name(), err)
		return exit(c, cliExitUsage)
	})
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			fmt.Fprintf(c.ErrOrStderr(), "caddy x402: unknown subcommand %q (want pay, sessions, accounts or devchain)\n", args[0])
			return exit(c, cliExitUsage)
		}
		return c.Help()
	}
	cmd.AddCommand(cliPayCommand(exit), cliSessionsCommand(exit), cliAccountsCommand(exit), cliDevchainCommand(exit))
}

// cliPayOptions are the flags of `caddy x402 pay`.
type cliPayOptions struct {
	devAccount int
	keyFile    string
	scheme     string
	method     string
	data       string
	headers    []string
	headerOnly bool
	jsonOut    bool
	maxAmount  string
	version    int
	timeout    time.Duration
	escrow     cliEscrowFlags
}

func cliPayCommand(exit cliExitFunc) *cobra.Command {
	o := &cliPayOptions{}
	cmd := &cobra.Command{
		Use:                   "pay [--dev-account N | --key-file F] [--scheme exact|escrow] [--deposit 1.00] [--session-file F] [-X METHOD] [-d BODY] [-H 'K: V']... [--header-only] [--json] [--max-amount 1.00] URL",
		Short:                 "Requests a URL and pays its x402 challenge",
		Args:                  cobra.ArbitraryArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return exit(cmd, cliRunPay(cmd, args, o))
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.devAccount, "dev-account", -1, "pay from the embedded dev chain's account `N` (public test mnemonic)")
	f.StringVar(&o.keyFile, "key-file", "", "pay with the hex private key in `FILE` (0x optional)")
	f.StringVar(&o.scheme, "scheme", facilitator.SchemeExact, "payment `SCHEME`")
	f.StringVarP(&o.method, "request", "X", "", "HTTP `METHOD` (default GET, or POST with -d)")
	f.StringVarP(&o.data, "data", "d", "", "request `BODY`; @FILE reads a file, @- stdin")
	f.StringArrayVarP(&o.headers, "header", "H", nil, "request header `'Name: value'` (repeatable)")
	f.BoolVar(&o.headerOnly, "header-only", false, "print only the payment header line for curl; do not send the paid request")
	f.BoolVar(&o.jsonOut, "json", false, `print {"status","paid","paymentResponse","body"} as one JSON object`)
	f.StringVar(&o.maxAmount, "max-amount", "1.00", "refuse to pay more than `AMOUNT` per request (of a 6-decimal token, or \"N units\")")
	f.IntVar(&o.version, "x402-version", 2, "preferred x402 protocol `VERSION` (1 or 2; a v1-only server is paid in v1)")
	f.DurationVar(&o.timeout, "timeout", client.DefaultTimeout, "`TIMEOUT` of each HTTP request")
	cliAddEscrowFlags(f, &o.escrow)
	return cmd
}

// cliPayFailed reports a failed payment; when the server offers a scheme
// the client implements but --scheme did not choose, it says how to pay it.
func cliPayFailed(cmd *cobra.Command, err error) int {
	var se *client.SchemeError
	if errors.As(err, &se) && (se.Offered == facilitator.SchemeExact || se.Offered == facilitator.SchemeEscrow) {
		return cliFailf(cmd, "%v (pass --scheme %s to pay it)", err, se.Offered)
	}
	return cliFailf(cmd, "%v", err)
}

// cliUsagef prints a usage error and returns status 2.
func cliUsagef(cmd *cobra.Command, format string, args ...any) int {
	return cliReport(cmd, cliExitUsage, format, args...)
}

// cliFailf prints a failure and returns status 1.
func cliFailf(cmd *cobra.Command, format string, args ...any) int {
	return cliReport(cmd, cliExitFailure, format, args...)
}

func cliReport(cmd *cobra.Command, code int, format string, args ...any) int {
	fmt.Fprintf(cmd.ErrOrStderr(), "caddy x402 %s: %s\n", cmd.Name(), fmt.Sprintf(format, args...))
	return code
}

func cliRunPay(cmd *cobra.Command, args []string, o *cliPayOptions) int {
	if len(args) != 1 {
		return cliUsagef(cmd, "want exactly one URL, got %d arguments", len(args))
	}
	target, err := url.Parse(args[0])
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return cliUsagef(cmd, "%q is not an http:// or https:// URL", args[0])
	}
	if o.headerOnly && o.jsonOut {
		return cliUsagef(cmd, "--header-only and --json exclude each other")
	}
	if o.version != facilitator.V1 && o.version != facilitator.V2 {
		return cliUsagef(cmd, "--x402-version must be 1 or 2")
	}
	maxAmount, err := policies.ParsePrice(o.maxAmount, 6)
	if err != nil {
		return cliUsagef(cmd, "--max-amount: %v", err)
	}
	headers, err := cliParseHeaders(o.headers)
	if err != nil {
		return cliUsagef(cmd, "%v", err)
	}
	body, err := cliReadData(o.data, cmd.InOrStdin())
	if err != nil {
		return cliUsagef(cmd, "-d: %v", err)
	}
	method := strings.ToUpper(o.method)
	if method == "" {
		method = http.MethodGet
		if o.data != "" {
			method = http.MethodPost
		}
	}
	key, err := cliLoadKey(o.devAccount, o.keyFile, cmd.ErrOrStderr())
	if err != nil {
		return cliUsagef(cmd, "%v", err)
	}
	c := &client.Client{HTTP: &http.Client{Timeout: o.timeout}, Key: key, Scheme: o.scheme, PreferVersion: o.version, MaxAmount: maxAmount}
	if o.scheme == facilitator.SchemeEscrow {
		if c.Escrow, err = cliEscrowOptions(&o.escrow); err != nil {
			return cliUsagef(cmd, "%v", err)
		}
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), strings.NewReader(body))
	if err != nil {
		return cliUsagef(cmd, "%v", err)
	}
	if body == "" {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	for _, h := range headers {
		if strings.EqualFold(h[0], "Host") {
			req.Host = h[1]
		} else {
			req.Header.Add(h[0], h[1])
		}
	}
	if o.headerOnly {
		return cliPrintPaymentHeader(cmd, c, req)
	}
	return cliPrintPaid(cmd, c, req, o.jsonOut)
}

// cliPrintPaymentHeader sends the unpaid request and prints the header line a
// curl user adds to pay: `PAYMENT-SIGNATURE: …` (v2) or `X-PAYMENT: …` (v1).
func cliPrintPaymentHeader(cmd *cobra.Command, c *client.Client, req *http.Request) int {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return cliFailf(cmd, "%v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPaymentRequired {
		return cliFailf(cmd, "%s answered HTTP %d, not 402: nothing to pay", req.URL.Redacted(), resp.StatusCode)
	}
	pr, version, err := c.Challenge(resp)
	if err != nil {
		return cliFailf(cmd, "%v", err)
	}
	r, err := c.Choose(pr)
	if err != nil {
		return cliPayFailed(cmd, err)
	}
	name, value, err := c.Sign(r, pr.Resource, version)
	if err != nil {
		return cliFailf(cmd, "%v", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", name, value)
	return 0
}

// cliPayJSON is the --json output of `caddy x402 pay`.
type cliPayJSON struct {
	Status          int                              `json:"status"`
	Paid            bool                             `json:"paid"`
	X402Version     int                              `json:"x402Version,omitempty"`
	Requirement     *facilitator.PaymentRequirements `json:"requirement,omitempty"`
	PaymentResponse *facilitator.SettleResponse      `json:"paymentResponse"`
	Error           *cliPayErrorJSON                 `json:"error,omitempty"`
	Body            string                           `json:"body"`
}

// cliPayErrorJSON is a refused payment or failed request in --json output.
type cliPayErrorJSON struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// cliMaxJSONBody bounds the body embedded in --json output (64 MiB).
const cliMaxJSONBody = 64 << 20

// cliPrintPaid pays and prints the final response body (or the JSON
// summary); a final answer that is not 2xx, or a refused or declined
// payment, is status 1 with the reason on stderr.
func cliPrintPaid(cmd *cobra.Command, c *client.Client, req *http.Request, jsonOut bool) int {
	res, err := c.Do(req)
	if res == nil {
		return cliFailf(cmd, "%v", err)
	}
	defer res.Response.Body.Close()
	resp := res.Response
	var pe *client.PaymentError
	if !errors.As(err, &pe) && err == nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		pe = &client.PaymentError{Status: resp.StatusCode}
		if pr, _, perr := client.ParseChallenge(resp); perr == nil {
			pe.Code = pr.Error
		}
	}
	// Declined (nothing offered may be paid): the 402 challenge body is not
	// what the user asked for; only --json carries it.
	var declined *client.UnpayableError
	var werr error
	switch {
	case jsonOut:
		werr = cliWriteJSON(cmd.OutOrStdout(), res, pe, err)
	case !errors.As(err, &declined):
		_, werr = io.Copy(cmd.OutOrStdout(), resp.Body)
	}
	switch {
	case werr != nil:
		return cliFailf(cmd, "writing the response: %v", werr)
	case pe != nil && err != nil:
		return cliFailf(cmd, "%v", pe)
	case err != nil:
		return cliPayFailed(cmd, err)
	case pe != nil:
		return cliFailf(cmd, "HTTP %d %s", pe.Status, strings.TrimSpace(http.StatusText(pe.Status)+" "+pe.Code))
	}
	return 0
}

// cliWriteJSON writes the --json summary of a paid request.
func cliWriteJSON(w io.Writer, res *client.Result, pe *client.PaymentError, err error) error {
	b, rerr := io.ReadAll(io.LimitReader(res.Response.Body, cliMaxJSONBody))
	if rerr != nil {
		return fmt.Errorf("reading the response: %w", rerr)
	}
	out := cliPayJSON{Status: res.Response.StatusCode, Paid: res.Paid, X402Version: res.Version,
		Requirement: res.Requirement, PaymentResponse: res.PaymentResponse, Body: string(b)}
	switch {
	case pe != nil:
		out.Error = &cliPayErrorJSON{Code: pe.Code, Message: pe.Message}
	case err != nil:
		out.Error = &cliPayErrorJSON{Message: err.Error()}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// cliParseHeaders splits "Name: value" flags.
func cliParseHeaders(hs []string) ([][2]string, error) {
	out := make([][2]string, 0, len(hs))
	for _, h := range hs {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") {
			return nil, fmt.Errorf("-H %q: want 'Name: value'", h)
		}
		out = append(out, [2]string{name, strings.TrimSpace(value)})
	}
	return out, nil
}

// cliReadData resolves -d: literal text, @FILE or @- (stdin), at most 64 MiB.
func cliReadData(d string, stdin io.Reader) (string, error) {
	name, ok := strings.CutPrefix(d, "@")
	if !ok {
		return d, nil
	}
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, cliMaxJSONBody+1))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", name, err)
	}
	if len(b) > cliMaxJSONBody {
		return "", fmt.Errorf("%s is larger than %d bytes", name, cliMaxJSONBody)
	}
	return string(b), nil
}

// cliMaxDevAccount bounds --dev-account and --count.
const cliMaxDevAccount = 1000

// cliLoadKey returns the signing key of --dev-account or --key-file (exactly
// one of them). Errors never contain key material.
func cliLoadKey(devAccount int, keyFile string, warn io.Writer) (*ecdsa.PrivateKey, error) {
	switch {
	case devAccount >= 0 && keyFile != "":
		return nil, errors.New("--dev-account and --key-file exclude each other")
	case keyFile != "":
		return cliLoadKeyFile(keyFile, warn)
	case devAccount >= cliMaxDevAccount:
		return nil, fmt.Errorf("--dev-account %d: at most %d", devAccount, cliMaxDevAccount-1)
	case devAccount >= 0:
		accounts, err := devchain.DevAccounts(devAccount + 1)
		if err != nil {
			return nil, fmt.Errorf("--dev-account %d: %w", devAccount, err)
		}
		return accounts[devAccount].Key, nil
	default:
		return nil, errors.New("a payer is required: --dev-account N (embedded dev chain) or --key-file FILE")
	}
}

// cliLoadKeyFile reads a hex private key (0x optional, surrounding whitespace
// ignored). A file readable by group or others gets a warning.
func cliLoadKeyFile(path string, warn io.Writer) (*ecdsa.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--key-file: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(warn, "warning: key file %s is readable by group or others (mode %#o); chmod 600 it\n", path, st.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return nil, fmt.Errorf("--key-file %s: %w", path, err)
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("--key-file %s: not a 32-byte hex private key", path)
	}
	key, err := crypto.ToECDSA(raw)
	if err != nil {
		return nil, fmt.Errorf("--key-file %s: not a valid secp256k1 private key", path)
	}
	return key, nil
}

func cliAccountsCommand(exit cliExitFunc) *cobra.Command {
	var rpc string
	var count int
	cmd := &cobra.Command{
		Use:                   "accounts [--rpc URL] [--count N]",
		Short:                 "Lists the dev chain's accounts and balances (never keys)",
		Args:                  cobra.ArbitraryArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return exit(cmd, cliUsagef(cmd, "takes no arguments"))
			}
			if count < 1 || count > cliMaxDevAccount {
				return exit(cmd, cliUsagef(cmd, "--count must be between 1 and %d", cliMaxDevAccount))
			}
			return exit(cmd, cliRunAccounts(cmd, rpc, count))
		},
	}
	cmd.Flags().StringVar(&rpc, "rpc", "http://127.0.0.1:8545", "JSON-RPC `URL` of the dev chain (served by the demo)")
	cmd.Flags().IntVar(&count, "count", 10, "number of accounts to list")
	return cmd
}

func cliRunAccounts(cmd *cobra.Command, rpc string, count int) int {
	accounts, err := devchain.DevAccounts(count)
	if err != nil {
		return cliFailf(cmd, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ec, err := ethclient.DialContext(ctx, rpc)
	if err == nil {
		if _, err = ec.ChainID(ctx); err != nil {
			ec.Close()
		}
	}
	out := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	if err != nil {
		fmt.Fprintln(out, "INDEX\tADDRESS")
		for _, a := range accounts {
			fmt.Fprintf(out, "%d\t%s\n", a.Index, a.Address.Hex())
		}
		_ = out.Flush()
		fmt.Fprintf(cmd.ErrOrStderr(), "no dev chain answers at %s; balances need the demo running (go run ./cmd/caddy run)\n", rpc)
		return 0
	}
	defer ec.Close()
	fmt.Fprintln(out, "INDEX\tADDRESS\tETH\tUSDC")
	for _, a := range accounts {
		eth, usdc := "-", "-"
		if wei, err := ec.BalanceAt(ctx, a.Address, nil); err == nil {
			eth = policies.FormatUnits(wei, 18)
		}
		if units, err := devchain.BalanceOf(ctx, ec, devchain.DevTokenAddress, a.Address); err == nil {
			usdc = policies.FormatUnits(units, 6)
		}
		fmt.Fprintf(out, "%d\t%s\t%s\t%s\n", a.Index, a.Address.Hex(), eth, usdc)
	}
	_ = out.Flush()
	return 0
}
