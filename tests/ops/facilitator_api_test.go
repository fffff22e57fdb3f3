package ops

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/internal/testsvc"
)

// The README's facilitator API examples are this test's requests and the
// answers of a real Caddy serving `x402_facilitator` on the dev chain. Each
// example is the fenced block right after a `<!-- facilitator-api: NAME -->`
// marker. Fields that differ on every run (signature, validity times,
// transaction hash) are compared by shape; everything else must match.
// X402_UPDATE_README=1 rewrites the blocks with this run's bodies.
func TestREADMEFacilitatorAPIExamples(t *testing.T) {
	h := newHost(t)
	i := h.newInstance("facilitator", config{siteExtra: "\thandle_path /facilitator/* {\n\t\tx402_facilitator\n\t}\n"})
	i.start()
	base := i.url("/facilitator")

	accts, err := devchain.DevAccounts(3)
	if err != nil {
		t.Fatal(err)
	}
	req := facilitator.PaymentRequirements{
		Scheme: "exact", Network: "eip155:1337", Amount: "10000", Asset: devchain.DevTokenAddress.Hex(), PayTo: payee,
		MaxTimeoutSeconds: 60, Extra: json.RawMessage(`{"name":"USD Coin","version":"2"}`),
	}
	resource := &facilitator.ResourceInfo{URL: "https://api.example.com/v1/premium/report", Description: "Premium data", MimeType: "application/json"}
	body := func(version int, nonce byte) []byte {
		t.Helper()
		var n [32]byte
		for k := range n {
			n[k] = nonce
		}
		p, err := evm.NewExactPayment(accts[2].Key, &req, evm.ExactOptions{Version: version, Nonce: &n, Resource: resource})
		if err != nil {
			t.Fatal(err)
		}
		type request struct {
			X402Version         int `json:"x402Version"`
			PaymentPayload      any `json:"paymentPayload"`
			PaymentRequirements any `json:"paymentRequirements"`
		}
		r := request{X402Version: version, PaymentPayload: p, PaymentRequirements: req}
		if version == facilitator.V1 {
			r.PaymentRequirements = req.V1(*resource)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	call := func(method, path string, b []byte) (int, []byte) {
		t.Helper()
		r, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		if b != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}

	got := map[string]string{}
	status := map[string]int{}
	add := func(name string, code int, b []byte) {
		var buf bytes.Buffer
		if err := json.Indent(&buf, b, "", "  "); err != nil {
			t.Fatalf("%s: not JSON: %s", name, b)
		}
		got[name], status[name] = strings.TrimRight(buf.String(), "\n")+"\n", code
	}
	code, out := call(http.MethodGet, "/supported", nil)
	add("supported answer", code, out)
	v2 := body(facilitator.V2, 0x2a)
	add("v2 verify request", 0, v2)
	code, out = call(http.MethodPost, "/verify", v2)
	add("v2 verify answer", code, out)
	code, out = call(http.MethodPost, "/settle", v2)
	add("v2 settle answer", code, out)
	code, out = call(http.MethodPost, "/verify", v2)
	add("v2 verify answer after settle", code, out)
	v1 := body(facilitator.V1, 0x2b)
	add("v1 verify request", 0, v1)
	code, out = call(http.MethodPost, "/verify", v1)
	add("v1 verify answer", code, out)
	code, out = call(http.MethodPost, "/settle", v1)
	add("v1 settle answer", code, out)
	wantStatus := map[string]int{"supported answer": 200, "v2 verify answer": 200, "v2 settle answer": 200,
		"v2 verify answer after settle": 400, "v1 verify answer": 200, "v1 settle answer": 200}
	for name, want := range wantStatus {
		if status[name] != want {
			t.Fatalf("%s: HTTP %d, want %d:\n%s", name, status[name], want, got[name])
		}
	}
	for name, want := range map[string]string{
		"v2 verify answer": `"isValid": true`, "v2 settle answer": `"success": true`, "v1 settle answer": `"success": true`,
		"v2 verify answer after settle": facilitator.CodeExactNonceUsed,
	} {
		if !strings.Contains(got[name], want) {
			t.Fatalf("%s lacks %s:\n%s", name, want, got[name])
		}
	}

	path := filepath.Join(testsvc.RepoRoot(), "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	marker := regexp.MustCompile("<!-- facilitator-api: ([a-z0-9 ]+) -->\n```json\n((?s:.*?))```\n")
	found := map[string]bool{}
	text = marker.ReplaceAllStringFunc(text, func(m string) string {
		sm := marker.FindStringSubmatch(m)
		name, block := sm[1], sm[2]
		found[name] = true
		g, ok := got[name]
		if !ok {
			t.Errorf("README example %q is not produced by this test", name)
			return m
		}
		if os.Getenv("X402_UPDATE_README") == "1" {
			return "<!-- facilitator-api: " + name + " -->\n```json\n" + g + "```\n"
		}
		if varying(block) != varying(g) {
			t.Errorf("README example %q differs from the facilitator's (varying fields aside); run with X402_UPDATE_README=1 to rewrite it.\nREADME:\n%s\nnow:\n%s", name, block, g)
		}
		return m
	})
	for name := range got {
		if !found[name] {
			t.Errorf("README has no example %q (a `<!-- facilitator-api: %s -->` marker before a json block)", name, name)
		}
	}
	if os.Getenv("X402_UPDATE_README") == "1" && !t.Failed() {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("README facilitator API examples rewritten")
	}
}

// varying blanks the values that differ on every run: signatures, validity
// times and transaction hashes.
var varyingField = regexp.MustCompile(`"(signature|validAfter|validBefore|transaction)": "[^"]*"`)

func varying(s string) string {
	return varyingField.ReplaceAllStringFunc(s, func(m string) string {
		return m[:strings.Index(m, ":")] + `: "…"`
	})
}
