package ops

import (
	"encoding/hex"
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

// facilitatorBlock is the x402 facilitator block of an instance's config.
type config struct {
	facilitator string // the lines inside `facilitator embedded { … }`
	x402Extra   string // more lines of the x402 global option
	globalExtra string // more global options
}

func (h *host) newInstance(name string, c config) *instance {
	h.t.Helper()
	i := &instance{h: h, name: name, admin: testsvc.FreePort(h.t), port: testsvc.FreePort(h.t)}
	i.caddyfile = filepath.Join(h.dir, name+".Caddyfile")
	cf := fmt.Sprintf(`{
	admin 127.0.0.1:%d
%s	x402 {
		network dev
		facilitator embedded {
%s		}
%s	}
}

http://127.0.0.1:%d {
	x402 /paid/* {
		price 0.01
		pay_to %s
		settle header
	}
	respond "paid content"
}
`, i.admin, c.globalExtra, c.facilitator, c.x402Extra, i.port, payee)
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
