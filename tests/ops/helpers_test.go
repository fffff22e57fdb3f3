package ops

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/ethereum/go-ethereum/crypto"
)

// payee is dev account 1.
const payee = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

func TestMain(m *testing.M) {
	code := m.Run()
	testsvc.RemoveCaddyBinary()
	os.Exit(code)
}

// host is one machine's view for Caddy processes: a home with its own data
// and config directories (XDG), shared by the instances a test starts on it.
type host struct {
	t   *testing.T
	dir string
	env []string
}

func newHost(t *testing.T) *host {
	dir := t.TempDir()
	h := &host{t: t, dir: dir}
	h.env = []string{"HOME=" + dir, "XDG_DATA_HOME=" + filepath.Join(dir, "data"), "XDG_CONFIG_HOME=" + filepath.Join(dir, "config")}
	return h
}

// keyFile writes dev account i's key to a file of the given mode.
func (h *host) keyFile(i int, mode os.FileMode) (path, keyHex string) {
	h.t.Helper()
	accts, err := devchain.DevAccounts(i + 1)
	if err != nil {
		h.t.Fatal(err)
	}
	keyHex = hex.EncodeToString(crypto.FromECDSA(accts[i].Key))
	path = filepath.Join(h.dir, fmt.Sprintf("account%d.key", i))
	if err := os.WriteFile(path, []byte("0x"+keyHex+"\n"), mode); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		h.t.Fatal(err)
	}
	return path, keyHex
}

// instance is one Caddy process on the host.
type instance struct {
	h         *host
	name      string
	caddyfile string
	admin     int
	port      int
	proc      *testsvc.Proc
}

// config shapes an instance's Caddyfile.
type config struct {
	facilitator string // lines inside `facilitator embedded { … }` (with the dev network)
	x402Extra   string // more lines of the x402 global option
	globalExtra string // more global options
	x402        string // the whole x402 global option body (replaces the dev network and facilitator)
	route       string // the body of `x402 /paid/* { … }` (default: 0.01 to payee, settle header)
	siteExtra   string // more lines of the site
}

func (h *host) newInstance(name string, c config) *instance {
	h.t.Helper()
	i := &instance{h: h, name: name, admin: testsvc.FreePort(h.t), port: testsvc.FreePort(h.t)}
	i.caddyfile = filepath.Join(h.dir, name+".Caddyfile")
	if c.x402 == "" {
		c.x402 = "\t\tnetwork dev\n\t\tfacilitator embedded {\n" + c.facilitator + "\t\t}\n"
	}
	if c.route == "" {
		c.route = "\t\tprice 0.01\n\t\tpay_to " + payee + "\n\t\tsettle header\n"
	}
	cf := fmt.Sprintf(`{
	admin 127.0.0.1:%d
%s	x402 {
%s%s	}
}

http://127.0.0.1:%d {
%s	x402 /paid/* {
%s	}
	respond "paid content"
}
`, i.admin, c.globalExtra, c.x402, c.x402Extra, i.port, c.siteExtra, c.route)
	if err := os.WriteFile(i.caddyfile, []byte(cf), 0o600); err != nil {
		h.t.Fatal(err)
	}
	return i
}

// caddy runs a caddy command to completion with the host's environment.
func (h *host) caddy(env []string, args ...string) (string, error) {
	h.t.Helper()
	cmd := exec.Command(testsvc.CaddyBinary(h.t), args...)
	cmd.Env = append(append(os.Environ(), h.env...), env...)
	cmd.Dir = h.dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// start runs `caddy run` and waits until the paid route answers 402.
func (i *instance) start(env ...string) {
	i.h.t.Helper()
	i.proc = testsvc.StartEnv(i.h.t, append(i.h.env, env...), testsvc.CaddyBinary(i.h.t), "run", "--config", i.caddyfile)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(i.url("/paid/x"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 402 {
				return
			}
		}
		if i.proc.Exited() || time.Now().After(deadline) {
			i.h.t.Fatalf("%s did not start: %v\n%s", i.name, err, i.proc.Tail(4096))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startFails runs `caddy run`, expects it to exit with an error, and
// returns its output.
func (i *instance) startFails(env ...string) string {
	i.h.t.Helper()
	p := testsvc.StartEnv(i.h.t, append(i.h.env, env...), testsvc.CaddyBinary(i.h.t), "run", "--config", i.caddyfile)
	if !p.Wait(60 * time.Second) {
		i.h.t.Fatalf("%s kept running, want a refused start:\n%s", i.name, p.Tail(4096))
	}
	if p.Cmd.ProcessState.ExitCode() == 0 {
		i.h.t.Fatalf("%s exited 0, want a refused start:\n%s", i.name, p.Tail(4096))
	}
	return p.Output()
}

func (i *instance) url(path string) string { return fmt.Sprintf("http://127.0.0.1:%d%s", i.port, path) }

func (i *instance) adminGet(path string) string {
	i.h.t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", i.admin, path))
	if err != nil {
		i.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		i.h.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// containsKey reports whether s holds a private key's hex, in any case,
// with or without 0x.
func containsKey(s, keyHex string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(keyHex))
}

// logLine is one line of Caddy's JSON log.
type logLine map[string]any

// logLines parses an instance's output; a line that is not JSON fails the
// test (third-party output must go through Caddy's logger).
func (i *instance) logLines() []logLine {
	i.h.t.Helper()
	var lines []logLine
	for _, l := range strings.Split(i.proc.Output(), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		var m logLine
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			i.h.t.Fatalf("%s printed a line that is not JSON: %q", i.name, l)
		}
		lines = append(lines, m)
	}
	return lines
}

// waitLog waits until the instance logs msg (and every field given as
// key, value pairs holds as a substring) and returns that line.
func (i *instance) waitLog(within time.Duration, msg string, fields ...string) logLine {
	i.h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, l := range i.logLines() {
			if l["msg"] != msg {
				continue
			}
			ok := true
			for k := 0; k+1 < len(fields); k += 2 {
				if v, _ := l[fields[k]].(string); !strings.Contains(v, fields[k+1]) {
					ok = false
				}
			}
			if ok {
				return l
			}
		}
		if time.Now().After(deadline) {
			i.h.t.Fatalf("%s did not log %q %v within %s:\n%s", i.name, msg, fields, within, i.proc.Tail(6000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
