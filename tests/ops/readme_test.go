package ops

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/internal/testsvc"
)

// fence is one fenced code block of the README.
type fence struct {
	lang, text, section string
	line                int
}

// readmeFences returns the README's fenced blocks with their language and
// the heading they sit under.
func readmeFences(t *testing.T) []fence {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testsvc.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []fence
	var cur *fence
	section := ""
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "#"):
			section = strings.TrimSpace(strings.TrimLeft(line, "#"))
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &fence{lang: strings.TrimPrefix(line, "```"), section: section, line: i + 1}
		case cur != nil && strings.HasPrefix(line, "```"):
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("README.md:%d: unclosed code block", cur.line)
	}
	return out
}

// Every Caddyfile snippet of the README is what `caddy fmt` would write:
// pasted into a Caddyfile, none triggers "Caddyfile input is not
// formatted".
func TestREADMECaddyfilesAreFormatted(t *testing.T) {
	bin := testsvc.CaddyBinary(t)
	n := 0
	for _, f := range readmeFences(t) {
		if f.lang != "caddyfile" {
			continue
		}
		n++
		cmd := exec.Command(bin, "fmt", "-")
		cmd.Stdin = strings.NewReader(f.text)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("README.md:%d: caddy fmt: %v", f.line, err)
		}
		if string(out) != f.text {
			t.Errorf("README.md:%d (%s): not caddy fmt-clean; caddy fmt writes:\n%s", f.line, f.section, out)
		}
	}
	if n < 5 {
		t.Fatalf("only %d caddyfile blocks found in the README", n)
	}
}

// The README's demo commands ("In another terminal:") run as written, in
// order, against the demo (`caddy run` of the repository's Caddyfile, the
// same binary as `go run ./cmd/caddy run`), and none fails: set -e and
// pipefail, so the decode pipeline of step 1 counts. The demo listens on
// fixed ports (8080, 9090, 8545, 2019), so the run gets a network namespace
// of its own (unshare, as root) and never meets another test's ports.
func TestREADMEDemoCommands(t *testing.T) {
	var blocks []fence
	for _, f := range readmeFences(t) {
		if f.section == "Try the demo" && f.lang == "sh" {
			blocks = append(blocks, f)
		}
	}
	if len(blocks) != 2 {
		t.Fatalf("want the two sh blocks of \"Try the demo\" (start, commands), found %d", len(blocks))
	}
	if strings.TrimSpace(blocks[0].text) != "go run ./cmd/caddy run" {
		t.Fatalf("the demo's start command changed: %q (this test starts the same Caddyfile with the built binary)", blocks[0].text)
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		testsvc.Missing(t, "unshare (util-linux) is not installed")
	}
	if out, err := exec.Command(unshare, "-n", "true").CombinedOutput(); err != nil {
		testsvc.Missing(t, "unshare -n is not permitted here (%v: %s); the demo's fixed ports need a network namespace", err, out)
	}
	bin := testsvc.CaddyBinary(t)
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "commands.sh"), []byte(blocks[1].text), 0o600); err != nil {
		t.Fatal(err)
	}
	const driver = `set -euo pipefail
ip link set lo up
"$CADDY_BIN" run --config Caddyfile --adapter caddyfile > "$WORK/demo.log" 2>&1 &
for _ in $(seq 1 600); do
	curl -s -o /dev/null http://localhost:8080/ && break
	sleep 0.1
done
curl -s -o /dev/null http://localhost:8080/ || { echo "the demo did not start"; exit 1; }
echo "=== README demo commands"
bash -euo pipefail -x "$WORK/commands.sh"
`
	goenv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// A pid namespace too: when the run ends, the demo ends with it.
	cmd := exec.CommandContext(ctx, unshare, "-n", "-p", "-f", "--kill-child", "bash", "-c", driver)
	cmd.Dir = testsvc.RepoRoot()
	cmd.Env = append(os.Environ(),
		"HOME="+work, "XDG_CONFIG_HOME="+filepath.Join(work, "config"), "XDG_DATA_HOME="+filepath.Join(work, "data"),
		"GOCACHE="+goenv("GOCACHE"), "GOMODCACHE="+goenv("GOMODCACHE"), "GOPATH="+goenv("GOPATH"),
		"GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly",
		"CADDY_BIN="+bin, "WORK="+work)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		demo, _ := os.ReadFile(filepath.Join(work, "demo.log"))
		t.Fatalf("the README's demo commands failed: %v\n%s\n--- demo log (last 3 KiB):\n%s", err, out, tail(string(demo), 3072))
	}
	t.Logf("README demo commands ran in %s", time.Since(start).Round(time.Second))
	text := string(out)
	for _, want := range []string{
		`"x402Version":2`,                   // step 1: the decoded PAYMENT-REQUIRED
		`"paymentResponse":{"success":true`, // step 3: the decoded PAYMENT-RESPONSE
		"HTTP/1.1 402 Payment Required",     // step 5: the replayed header
		`"charged_units":"1200"`,            // step 6: the metered call
		"captured  0.0032 to the receiver",  // step 7: 0.001 + 0.001 + 0.0012 captured on close
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the commands' output lacks %q:\n%s", want, text)
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
