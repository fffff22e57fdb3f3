// Package testsvc starts the external services that integration tests run
// against, as real processes on loopback: redis-server and anvil. A test
// that cannot find a service skips with a clear message, except under
// CI=true, where a missing service is a failure (scripts/test installs
// them).
package testsvc

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// CI reports whether missing services must fail tests (CI=true).
func CI() bool { return os.Getenv("CI") == "true" }

// Missing skips t, or fails it under CI=true, because a service is not
// available.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("%s (CI=true: a missing service is a failure; scripts/test installs it)", msg)
	}
	t.Skipf("%s; skipping (scripts/test installs it)", msg)
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RepoRoot is the module's root directory (where go.mod is).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// WaitTCP waits until addr accepts TCP connections or d passes.
func WaitTCP(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not accept connections within %s: %w", addr, d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Proc is a started process whose output is kept for failure messages.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

// Start runs name with args; the process is killed when the test ends.
func Start(t testing.TB, name string, args ...string) *Proc {
	t.Helper()
	return StartEnv(t, nil, name, args...)
}

// StartEnv is Start with extra environment variables (KEY=value) added to
// the test's environment.
func StartEnv(t testing.TB, env []string, name string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(name, args...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	return StartCmd(t, cmd)
}

// StartCmd starts a prepared command (its own environment, credentials,
// chroot…); its output is collected, and it is killed when the test ends
// or the test process dies.
func StartCmd(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Name: filepath.Base(cmd.Path), out: &syncBuffer{}, done: make(chan struct{}), Cmd: cmd}
	p.Cmd.Stdout, p.Cmd.Stderr = p.out, p.out
	if p.Cmd.SysProcAttr == nil {
		p.Cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	p.Cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	go func() { p.err = p.Cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("--- output of %s (last 4 KiB):\n%s", p.Name, p.Tail(4096))
		}
	})
	return p
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig syscall.Signal) error { return p.Cmd.Process.Signal(sig) }

// Kill sends SIGKILL and waits (at most 10 s) for the process to end.
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.Cmd.Process.Signal(syscall.SIGCONT) // a stopped process must run to die promptly
	_ = p.Cmd.Process.Kill()
	p.Wait(10 * time.Second)
}

// Wait waits at most d for the process to end and reports whether it did.
func (p *Proc) Wait(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Output is everything the process printed so far.
func (p *Proc) Output() string { return p.out.String() }

// Tail is the last n bytes of the output.
func (p *Proc) Tail(n int) string {
	s := p.out.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// AnvilPath finds the anvil binary: $ANVIL, the npm packages of
// tests/reliability or examples/interop (@foundry-rs/anvil-linux-amd64),
// then PATH.
func AnvilPath() (string, error) {
	if p := os.Getenv("ANVIL"); p != "" {
		return p, nil
	}
	root := RepoRoot()
	for _, dir := range []string{"tests/reliability", "examples/interop"} {
		p := filepath.Join(root, dir, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("anvil"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("anvil not found (run `npm ci --prefix tests/reliability`, or set ANVIL)")
}

// Anvil is an anvil node on loopback.
type Anvil struct {
	*Proc
	Port int
	URL  string
	args []string
	bin  string
}

// StartAnvil starts anvil with chain id 84532 on a free loopback port, with
// extra arguments (e.g. --state FILE).
func StartAnvil(t testing.TB, extra ...string) *Anvil {
	t.Helper()
	bin, err := AnvilPath()
	if err != nil {
		Missing(t, "%v", err)
	}
	a := &Anvil{bin: bin, Port: FreePort(t)}
	a.URL = fmt.Sprintf("http://127.0.0.1:%d", a.Port)
	a.args = append([]string{"--host", "127.0.0.1", "--port", fmt.Sprint(a.Port), "--chain-id", "84532", "--silent"}, extra...)
	a.start(t)
	return a
}

func (a *Anvil) start(t testing.TB) {
	t.Helper()
	a.Proc = Start(t, a.bin, a.args...)
	if err := waitRPC(a.URL, 15*time.Second); err != nil {
		t.Fatalf("anvil: %v\n%s", err, a.Tail(2048))
	}
}

// Restart starts anvil again with the same arguments (after Kill or a
// SIGINT that made it dump its state).
func (a *Anvil) Restart(t testing.TB) { t.Helper(); a.start(t) }

// waitRPC waits until the JSON-RPC endpoint answers eth_chainId.
func waitRPC(url string, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		if _, err := RPC(ctx, url, "eth_chainId"); err == nil {
			return nil
		} else if ctx.Err() != nil {
			return fmt.Errorf("%s did not answer eth_chainId within %s: %w", url, d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// RPC calls a JSON-RPC method with raw JSON params and returns the raw
// result.
func RPC(ctx context.Context, url, method string, params ...string) (string, error) {
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":%q,"params":[%s]}`, method, strings.Join(params, ","))
	return postJSON(ctx, url, body)
}
