package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/policies"
	"github.com/spf13/cobra"
)

// payOptions are the flags of `caddy x402 pay`.
type payOptions struct {
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
	escrow     escrowFlags
}

func payCommand(exit exitFunc) *cobra.Command {
	o := &payOptions{}
	cmd := &cobra.Command{
		Use:                   "pay [--dev-account N | --key-file F] [--scheme exact|escrow] [--deposit 1.00] [--session-file F] [-X METHOD] [-d BODY] [-H 'K: V']... [--header-only] [--json] [--max-amount 1.00] URL",
		Short:                 "Requests a URL and pays its x402 challenge",
		Args:                  cobra.ArbitraryArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return exit(cmd, runPay(cmd, args, o))
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
	addEscrowFlags(f, &o.escrow)
	return cmd
}

// payFailed reports a failed payment; when the server offers a scheme
// the client implements but --scheme did not choose, it says how to pay it.
func payFailed(cmd *cobra.Command, err error) int {
	var se *client.SchemeError
	if errors.As(err, &se) && (se.Offered == facilitator.SchemeExact || se.Offered == facilitator.SchemeEscrow) {
		return failf(cmd, "%v (pass --scheme %s to pay it)", err, se.Offered)
	}
	return failf(cmd, "%v", err)
}

func runPay(cmd *cobra.Command, args []string, o *payOptions) int {
	if len(args) != 1 {
		return usagef(cmd, "want exactly one URL, got %d arguments", len(args))
	}
	target, err := url.Parse(args[0])
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return usagef(cmd, "%q is not an http:// or https:// URL", args[0])
	}
	if o.headerOnly && o.jsonOut {
		return usagef(cmd, "--header-only and --json exclude each other")
	}
	if o.version != facilitator.V1 && o.version != facilitator.V2 {
		return usagef(cmd, "--x402-version must be 1 or 2")
	}
	maxAmount, err := policies.ParsePrice(o.maxAmount, 6)
	if err != nil {
		return usagef(cmd, "--max-amount: %v", err)
	}
	headers, err := parseHeaders(o.headers)
	if err != nil {
		return usagef(cmd, "%v", err)
	}
	body, err := readData(o.data, cmd.InOrStdin())
	if err != nil {
		return usagef(cmd, "-d: %v", err)
	}
	method := strings.ToUpper(o.method)
	if method == "" {
		method = http.MethodGet
		if o.data != "" {
			method = http.MethodPost
		}
	}
	key, err := loadKey(o.devAccount, o.keyFile, cmd.ErrOrStderr())
	if err != nil {
		return usagef(cmd, "%v", err)
	}
	c := &client.Client{HTTP: &http.Client{Timeout: o.timeout}, Key: key, Scheme: o.scheme, PreferVersion: o.version, MaxAmount: maxAmount}
	if o.scheme == facilitator.SchemeEscrow {
		if c.Escrow, err = escrowOptions(&o.escrow); err != nil {
			return usagef(cmd, "%v", err)
		}
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), strings.NewReader(body))
	if err != nil {
		return usagef(cmd, "%v", err)
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
		return printPaymentHeader(cmd, c, req)
	}
	return printPaid(cmd, c, req, o.jsonOut)
}

// printPaymentHeader sends the unpaid request and prints the header line a
// curl user adds to pay: `PAYMENT-SIGNATURE: …` (v2) or `X-PAYMENT: …` (v1).
func printPaymentHeader(cmd *cobra.Command, c *client.Client, req *http.Request) int {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return failf(cmd, "%v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPaymentRequired {
		return failf(cmd, "%s answered HTTP %d, not 402: nothing to pay", req.URL.Redacted(), resp.StatusCode)
	}
	pr, version, err := c.Challenge(resp)
	if err != nil {
		return failf(cmd, "%v", err)
	}
	r, err := c.Choose(pr)
	if err != nil {
		return payFailed(cmd, err)
	}
	name, value, err := c.Sign(r, pr.Resource, version)
	if err != nil {
		return failf(cmd, "%v", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", name, value)
	return 0
}

// payJSON is the --json output of `caddy x402 pay`.
type payJSON struct {
	Status          int                              `json:"status"`
	Paid            bool                             `json:"paid"`
	X402Version     int                              `json:"x402Version,omitempty"`
	Requirement     *facilitator.PaymentRequirements `json:"requirement,omitempty"`
	PaymentResponse *facilitator.SettleResponse      `json:"paymentResponse"`
	Error           *payErrorJSON                    `json:"error,omitempty"`
	Body            string                           `json:"body"`
}

// payErrorJSON is a refused payment or failed request in --json output.
type payErrorJSON struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// maxJSONBody bounds the body embedded in --json output (64 MiB).
const maxJSONBody = 64 << 20

// printPaid pays and prints the final response body (or the JSON
// summary); a final answer that is not 2xx, or a refused or declined
// payment, is status 1 with the reason on stderr.
func printPaid(cmd *cobra.Command, c *client.Client, req *http.Request, jsonOut bool) int {
	res, err := c.Do(req)
	if res == nil {
		return failf(cmd, "%v", err)
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
		werr = writeJSON(cmd.OutOrStdout(), res, pe, err)
	case !errors.As(err, &declined):
		_, werr = io.Copy(cmd.OutOrStdout(), resp.Body)
	}
	switch {
	case werr != nil:
		return failf(cmd, "writing the response: %v", werr)
	case pe != nil && err != nil:
		return failf(cmd, "%v", pe)
	case err != nil:
		return payFailed(cmd, err)
	case pe != nil:
		return failf(cmd, "HTTP %d %s", pe.Status, strings.TrimSpace(http.StatusText(pe.Status)+" "+pe.Code))
	}
	return 0
}

// writeJSON writes the --json summary of a paid request.
func writeJSON(w io.Writer, res *client.Result, pe *client.PaymentError, err error) error {
	b, rerr := io.ReadAll(io.LimitReader(res.Response.Body, maxJSONBody))
	if rerr != nil {
		return fmt.Errorf("reading the response: %w", rerr)
	}
	out := payJSON{Status: res.Response.StatusCode, Paid: res.Paid, X402Version: res.Version,
		Requirement: res.Requirement, PaymentResponse: res.PaymentResponse, Body: string(b)}
	switch {
	case pe != nil:
		out.Error = &payErrorJSON{Code: pe.Code, Message: pe.Message}
	case err != nil:
		out.Error = &payErrorJSON{Message: err.Error()}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// parseHeaders splits "Name: value" flags.
func parseHeaders(hs []string) ([][2]string, error) {
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

// readData resolves -d: literal text, @FILE or @- (stdin), at most 64 MiB.
func readData(d string, stdin io.Reader) (string, error) {
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
	b, err := io.ReadAll(io.LimitReader(r, maxJSONBody+1))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", name, err)
	}
	if len(b) > maxJSONBody {
		return "", fmt.Errorf("%s is larger than %d bytes", name, maxJSONBody)
	}
	return string(b), nil
}
