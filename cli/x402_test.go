package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/paywall"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/cobra"
)

// Dev account 0 of the public test mnemonic; its key must never be printed.
const (
	devAccount0    = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
	devAccount0Key = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
)

// exitCodeError carries a command's exit status in tests.
type exitCodeError struct{ code int }

func (e *exitCodeError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func testExit(cmd *cobra.Command, code int) error {
	if code == 0 {
		return nil
	}
	cmd.SilenceErrors = true
	return &exitCodeError{code}
}

// runX402 runs `caddy x402 args...` and returns stdout, stderr and the exit
// status.
func runX402(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := &cobra.Command{Use: "x402", SilenceUsage: true}
	setupX402Command(cmd, testExit)
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.Execute()
	var ec *exitCodeError
	switch {
	case err == nil:
	case errors.As(err, &ec):
		code = ec.code
	default:
		t.Fatalf("x402 %v: unexpected error %v", args, err)
	}
	if strings.Contains(out.String()+errOut.String(), devAccount0Key) {
		t.Fatalf("x402 %v printed a private key", args)
	}
	return out.String(), errOut.String(), code
}

// fakeFacilitator settles every payment the paywall verified, or refuses
// with failWith.
type fakeFacilitator struct{ failWith string }

func (fakeFacilitator) Supported(context.Context) (facilitator.SupportedResponse, error) {
	return facilitator.SupportedResponse{}, nil
}

func (fakeFacilitator) Verify(context.Context, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error) {
	return facilitator.VerifyResponse{IsValid: true}, nil
}

func (f fakeFacilitator) Settle(_ context.Context, _ *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
	if f.failWith != "" {
		return facilitator.SettleResponse{ErrorReason: f.failWith, ErrorMessage: "not enough test USDC", Network: r.Network}, nil
	}
	return facilitator.SettleResponse{Success: true, Transaction: "0x" + strings.Repeat("cd", 32), Network: r.Network}, nil
}

// paidServer is our real paywall engine (settle mode "before") charging
// 0.01 USDC in front of a handler that echoes the request.
func paidServer(t *testing.T, f facilitator.Facilitator) *httptest.Server {
	t.Helper()
	req := facilitator.PaymentRequirements{
		Scheme: facilitator.SchemeExact, Network: "eip155:84532", Amount: "10000",
		Asset: "0x036CbD53842c5426634e7929541eC2318f3dCF7e", PayTo: "0x209693Bc6afc0C5328bA36FaF03C514EF312287C",
		MaxTimeoutSeconds: 60, Extra: json.RawMessage(`{"name":"USDC","version":"2"}`),
	}
	offer, err := paywall.NewExactOffer(req, "USDC", 6)
	if err != nil {
		t.Fatal(err)
	}
	guard := paywall.NewMemoryGuard(1024, time.Minute)
	t.Cleanup(func() { _ = guard.Close() })
	rt := &paywall.Route{Offers: []*paywall.Offer{offer}, Mode: paywall.SettleBefore}
	if err := rt.Init(&paywall.Engine{Facilitator: f, Guard: guard}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(rt.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s payer=%s x-test=%s body=%s", r.Method, r.URL.Path, r.Header.Get(paywall.DefaultPayerHeader), r.Header.Get("X-Test"), body)
	})))
	t.Cleanup(ts.Close)
	return ts
}

func writeFile(t *testing.T, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPayUsageErrors(t *testing.T) {
	key := writeFile(t, "key", devAccount0Key, 0o600)
	badKey := writeFile(t, "bad", "0xnothex", 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no URL", []string{"pay", "--dev-account", "0"}, "exactly one URL"},
		{"two URLs", []string{"pay", "--dev-account", "0", "http://a/", "http://b/"}, "exactly one URL"},
		{"not http", []string{"pay", "--dev-account", "0", "ftp://a/"}, "not an http"},
		{"no payer", []string{"pay", "http://a/"}, "payer is required"},
		{"two payers", []string{"pay", "--dev-account", "0", "--key-file", key, "http://a/"}, "exclude each other"},
		{"dev account too high", []string{"pay", "--dev-account", "5000", "http://a/"}, "at most"},
		{"missing key file", []string{"pay", "--key-file", "/nonexistent/key", "http://a/"}, "--key-file"},
		{"bad key file", []string{"pay", "--key-file", badKey, "http://a/"}, "not a 32-byte hex private key"},
		{"bad max amount", []string{"pay", "--dev-account", "0", "--max-amount", "abc", "http://a/"}, "--max-amount"},
		{"zero max amount", []string{"pay", "--dev-account", "0", "--max-amount", "0", "http://a/"}, "--max-amount"},
		{"bad header", []string{"pay", "--dev-account", "0", "-H", "NoColon", "http://a/"}, "want 'Name: value'"},
		{"bad version", []string{"pay", "--dev-account", "0", "--x402-version", "3", "http://a/"}, "1 or 2"},
		{"header-only with json", []string{"pay", "--dev-account", "0", "--header-only", "--json", "http://a/"}, "exclude each other"},
		{"missing data file", []string{"pay", "--dev-account", "0", "-d", "@/nonexistent/body", "http://a/"}, "-d"},
		{"unknown flag", []string{"pay", "--bogus", "http://a/"}, "unknown flag"},
		{"flag without value", []string{"pay", "http://a/", "--dev-account"}, "flag needs an argument"},
		{"non-integer dev account", []string{"pay", "--dev-account", "x", "http://a/"}, "invalid argument"},
		{"unknown subcommand", []string{"refund"}, "unknown subcommand"},
		{"accounts with args", []string{"accounts", "extra"}, "no arguments"},
		{"accounts count", []string{"accounts", "--count", "0"}, "--count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runX402(t, "", tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, tt.want)
			}
		})
	}
}

func TestLoadKeyFile(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		mode     os.FileMode
		wantErr  bool
		wantWarn bool
	}{
		{"plain hex", devAccount0Key, 0o600, false, false},
		{"0x prefix and newline", "0x" + devAccount0Key + "\n", 0o600, false, false},
		{"0X prefix and spaces", "  0X" + strings.ToUpper(devAccount0Key) + " \r\n", 0o400, false, false},
		{"readable by others", devAccount0Key, 0o644, false, true},
		{"readable by group", devAccount0Key, 0o640, false, true},
		{"short", devAccount0Key[:62], 0o600, true, false},
		{"not hex", strings.Repeat("zz", 32), 0o600, true, false},
		{"empty", "", 0o600, true, false},
		{"zero key", strings.Repeat("00", 32), 0o600, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "key", tt.content, tt.mode)
			var warn bytes.Buffer
			key, err := loadKey(-1, p, &warn)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				if strings.Contains(err.Error(), strings.TrimSpace(tt.content)) && tt.content != "" {
					t.Errorf("error %q repeats the file content", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%x", crypto.FromECDSA(key)); got != devAccount0Key {
				t.Errorf("wrong key loaded")
			}
			if gotWarn := strings.Contains(warn.String(), "readable by group or others"); gotWarn != tt.wantWarn {
				t.Errorf("warning %q, want warning %v", warn.String(), tt.wantWarn)
			}
		})
	}
}

func TestLoadDevAccount(t *testing.T) {
	key, err := loadKey(0, "", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x", crypto.FromECDSA(key)); got != devAccount0Key {
		t.Errorf("dev account 0 has the wrong key")
	}
}

func TestParseHeaders(t *testing.T) {
	got, err := parseHeaders([]string{"X-Test: a: b", "Accept:application/json", "Empty:"})
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"X-Test", "a: b"}, {"Accept", "application/json"}, {"Empty", ""}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"NoColon", ": value", "Two Words: v"} {
		if _, err := parseHeaders([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPay(t *testing.T) {
	ts := paidServer(t, fakeFacilitator{})
	bodyFile := writeFile(t, "body.json", `{"from":"file"}`, 0o600)
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"GET", "", []string{"--dev-account", "1", ts.URL + "/paid/a"}, "GET /paid/a payer=0x70997970C51812dc3A010C7d01b50e0d17dc79C8 x-test= body="},
		{"POST with -d and -H", "", []string{"--dev-account", "0", "-d", `{"q":1}`, "-H", "X-Test: yes", ts.URL + "/paid/b"}, `POST /paid/b payer=` + devAccount0 + ` x-test=yes body={"q":1}`},
		{"PUT from a file", "", []string{"--dev-account", "0", "-X", "put", "-d", "@" + bodyFile, ts.URL + "/c"}, `PUT /c payer=` + devAccount0 + ` x-test= body={"from":"file"}`},
		{"body from stdin, v1", "piped", []string{"--dev-account", "0", "--x402-version", "1", "-d", "@-", ts.URL + "/d"}, "POST /d payer=" + devAccount0 + " x-test= body=piped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runX402(t, tt.stdin, append([]string{"pay"}, tt.args...)...)
			if code != 0 || stdout != tt.want {
				t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, tt.want)
			}
		})
	}
}

func TestPayJSON(t *testing.T) {
	ts := paidServer(t, fakeFacilitator{})
	for _, version := range []string{"2", "1"} {
		stdout, stderr, code := runX402(t, "", "pay", "--dev-account", "0", "--json", "--x402-version", version, ts.URL+"/paid")
		if code != 0 {
			t.Fatalf("v%s: exit %d, stderr %q", version, code, stderr)
		}
		var out struct {
			Status          int                         `json:"status"`
			Paid            bool                        `json:"paid"`
			X402Version     int                         `json:"x402Version"`
			PaymentResponse *facilitator.SettleResponse `json:"paymentResponse"`
			Body            string                      `json:"body"`
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("v%s: output %q is not JSON: %v", version, stdout, err)
		}
		if out.Status != 200 || !out.Paid || fmt.Sprint(out.X402Version) != version || !strings.HasPrefix(out.Body, "GET /paid payer="+devAccount0) {
			t.Errorf("v%s: %+v", version, out)
		}
		if out.PaymentResponse == nil || !out.PaymentResponse.Success || out.PaymentResponse.Transaction != "0x"+strings.Repeat("cd", 32) {
			t.Errorf("v%s: paymentResponse %+v", version, out.PaymentResponse)
		}
	}
}

func TestPayHeaderOnly(t *testing.T) {
	ts := paidServer(t, fakeFacilitator{})
	for _, tt := range []struct{ version, header string }{{"2", "PAYMENT-SIGNATURE"}, {"1", "X-PAYMENT"}} {
		stdout, stderr, code := runX402(t, "", "pay", "--key-file", writeFile(t, "k", "0x"+devAccount0Key, 0o600), "--header-only", "--x402-version", tt.version, ts.URL+"/paid")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		name, value, ok := strings.Cut(strings.TrimSuffix(stdout, "\n"), ": ")
		if !ok || name != tt.header || strings.Count(stdout, "\n") != 1 {
			t.Fatalf("output %q, want one line %q: …", stdout, tt.header)
		}
		// The line works as is with another HTTP client (curl -H).
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/paid", nil)
		req.Header.Set(name, value)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("v%s: paying with the printed header gave %d", tt.version, resp.StatusCode)
		}
	}

	free := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer free.Close()
	_, stderr, code := runX402(t, "", "pay", "--dev-account", "0", "--header-only", free.URL)
	if code != exitFailure || !strings.Contains(stderr, "not 402") {
		t.Errorf("free URL: exit %d, stderr %q", code, stderr)
	}
}

func TestPayFailures(t *testing.T) {
	refused := paidServer(t, fakeFacilitator{failWith: facilitator.CodeExactInsufficientBalance})
	ok := paidServer(t, fakeFacilitator{})
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	tests := []struct {
		name       string
		args       []string
		wantStderr []string
		wantStdout string
	}{
		{"refused payment", []string{refused.URL}, []string{facilitator.CodeExactInsufficientBalance, "not enough test USDC", "402"}, `"error":"` + facilitator.CodeExactInsufficientBalance},
		{"refused payment, json", []string{"--json", refused.URL}, []string{facilitator.CodeExactInsufficientBalance}, `"status":402,"paid":false`},
		{"price above --max-amount", []string{"--max-amount", "0.001", ok.URL}, []string{"exceeds the cap of 1000 units"}, ""},
		{"scheme not chosen", []string{"--scheme", "escrow", ok.URL}, []string{"no payable requirement", `scheme "exact" is not the configured "escrow"`, "pass --scheme exact to pay it"}, ""},
		{"scheme not chosen, header only", []string{"--scheme", "escrow", "--header-only", ok.URL}, []string{"pass --scheme exact to pay it"}, ""},
		{"not found", []string{missing.URL}, []string{"HTTP 404"}, "404 page not found"},
		{"nothing listening", []string{dead.URL}, []string{"connect"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"pay", "--dev-account", "0"}, tt.args...)
			stdout, stderr, code := runX402(t, "", args...)
			if code != exitFailure {
				t.Errorf("exit %d, want 1 (stdout %q, stderr %q)", code, stdout, stderr)
			}
			if (tt.wantStdout != "" && !strings.Contains(stdout, tt.wantStdout)) || (tt.wantStdout == "" && stdout != "") {
				t.Errorf("stdout %q, want %q", stdout, tt.wantStdout)
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
		})
	}
}

func TestAccounts(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	stdout, stderr, code := runX402(t, "", "accounts", "--rpc", dead.URL, "--count", "3")
	if code != 0 || !strings.Contains(stdout, devAccount0) || strings.Count(stdout, "\n") != 4 || strings.Contains(stdout, "ETH") {
		t.Errorf("offline: exit %d, stdout %q", code, stdout)
	}
	if !strings.Contains(stderr, "demo running") {
		t.Errorf("offline: no hint in stderr %q", stderr)
	}

	rpc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		result := map[string]string{
			"eth_chainId":    "0x7a69",
			"eth_getBalance": "0x21e19e0c9bab2400000",                     // 10000 ETH
			"eth_call":       "0x" + strings.Repeat("0", 56) + "3b9aca00", // 1000 USDC
		}[req.Method]
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%q}`, req.ID, result)
	}))
	defer rpc.Close()
	stdout, stderr, code = runX402(t, "", "accounts", "--rpc", rpc.URL, "--count", "2")
	if code != 0 || !strings.Contains(stdout, "USDC") || strings.Count(stdout, "10000") != 2 || strings.Count(stdout, "1000\n") != 2 {
		t.Errorf("online: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// Run reports the exit statuses of the registered command.
func TestRunExitStatus(t *testing.T) {
	tests := []struct {
		args []string
		want int
		msg  string
	}{
		{[]string{"nope"}, exitUsage, `unknown subcommand "nope"`},
		{[]string{"pay"}, exitUsage, "want exactly one URL"},
		{[]string{"pay", "--bogus", "http://x"}, exitUsage, "unknown flag: --bogus"},
		{[]string{"accounts", "--count", "3", "--rpc", "http://127.0.0.1:1"}, 0, "no dev chain answers"},
		{[]string{"pay", "--dev-account", "1", "http://127.0.0.1:1/"}, exitFailure, "caddy x402 pay:"},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		if got := Run(tc.args, strings.NewReader(""), &out, &errOut); got != tc.want || !strings.Contains(errOut.String(), tc.msg) {
			t.Errorf("Run(%q) = %d, stderr %q; want %d and %q", tc.args, got, errOut.String(), tc.want, tc.msg)
		}
	}
}
