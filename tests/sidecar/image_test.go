// Package sidecar tests the sidecar container image as built by
// scripts/image and its examples: what is inside the image runs, with the
// image's user, environment and entrypoint, in front of the example Python
// API, and takes payments.
package sidecar

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/internal/testsvc"
)

// imageConfig is what `podman image inspect` says about the image.
type imageConfig struct {
	ID     string `json:"Id"`
	Config struct {
		User         string
		Env          []string
		Entrypoint   []string
		Cmd          []string
		ExposedPorts map[string]struct{}
		Volumes      map[string]struct{}
		Labels       map[string]string
	}
	HealthCheck *struct {
		Test []string
	} `json:"HealthCheck"`
}

// needs skips the test (or fails it under CI=true) without root, podman or
// python3: the image test builds with podman, and chroots and drops to the
// image's user, which needs root.
func needs(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		testsvc.Missing(t, "the image test needs root (chroot into the image's root filesystem, run as its user)")
	}
	for _, bin := range []string{"podman", "python3", "tar"} {
		if _, err := exec.LookPath(bin); err != nil {
			testsvc.Missing(t, "%s is not installed", bin)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// image is a built image and the podman storage flags that reach it.
type image struct {
	tag     string
	storage []string // podman flags (vfs storage when overlay did not work)
}

func (im *image) podman(t *testing.T, args ...string) string {
	t.Helper()
	return run(t, "podman", append(append([]string(nil), im.storage...), args...)...)
}

// buildImage runs scripts/image with a tag of its own, removed at the end.
func buildImage(t *testing.T) (*image, imageConfig) {
	t.Helper()
	im := &image{tag: fmt.Sprintf("localhost/caddy-x402:test-%d", os.Getpid())}
	ctx := filepath.Join(t.TempDir(), "context")
	start := time.Now()
	cmd := exec.Command(filepath.Join(testsvc.RepoRoot(), "scripts", "image"), im.tag)
	cmd.Env = append(os.Environ(), "IMAGE_CONTEXT="+ctx)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/image: %v\n%s", err, out)
	}
	t.Logf("scripts/image built %s in %s", im.tag, time.Since(start).Round(time.Millisecond))
	args, err := os.ReadFile(filepath.Join(ctx, "podman.args"))
	if err != nil {
		t.Fatal(err)
	}
	im.storage = strings.Fields(string(args))
	t.Cleanup(func() {
		_ = exec.Command("podman", append(append([]string(nil), im.storage...), "rmi", "-f", im.tag)...).Run()
	})
	var cfgs []imageConfig
	if err := json.Unmarshal([]byte(im.podman(t, "image", "inspect", im.tag)), &cfgs); err != nil || len(cfgs) != 1 {
		t.Fatalf("podman image inspect: %v", err)
	}
	return im, cfgs[0]
}

// exportRootfs unpacks the image's root filesystem (owners kept).
func exportRootfs(t *testing.T, im *image) string {
	t.Helper()
	dir := t.TempDir()
	name := fmt.Sprintf("caddy-x402-test-%d", os.Getpid())
	im.podman(t, "create", "--name", name, im.tag)
	defer func() {
		_ = exec.Command("podman", append(append([]string(nil), im.storage...), "rm", "-f", name)...).Run()
	}()
	tarball := filepath.Join(dir, "rootfs.tar")
	im.podman(t, "export", "-o", tarball, name)
	rootfs := filepath.Join(dir, "rootfs")
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "tar", "-xpf", tarball, "--numeric-owner", "-C", rootfs)
	return rootfs
}

// The image builds FROM scratch with podman; its configuration is what
// the Containerfile promises; its root filesystem, started as the image
// starts it (entrypoint, environment, user) in front of the example Python
// API on the embedded dev chain, becomes ready, answers 402, serves a
// payment made with `caddy x402 pay`, and refuses its replay.
func TestImageServesPaidRequests(t *testing.T) {
	needs(t)
	im, img := buildImage(t)
	c := img.Config
	if c.User != "10001:10001" || strings.Join(c.Entrypoint, " ") != "/usr/bin/caddy run --adapter x402env --config /etc/caddy/Caddyfile" || len(c.Cmd) != 0 {
		t.Fatalf("user %q entrypoint %q cmd %q", c.User, c.Entrypoint, c.Cmd)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok {
		t.Fatalf("exposed ports %v", c.ExposedPorts)
	}
	if _, ok := c.ExposedPorts["9402/tcp"]; !ok {
		t.Fatalf("exposed ports %v", c.ExposedPorts)
	}
	if _, ok := c.Volumes["/data"]; !ok {
		t.Fatalf("volumes %v", c.Volumes)
	}
	if img.HealthCheck == nil || strings.Join(img.HealthCheck.Test, " ") != "CMD /usr/bin/caddy x402 health" {
		t.Fatalf("healthcheck %+v", img.HealthCheck)
	}
	if rev := c.Labels["org.opencontainers.image.revision"]; rev == "" || rev == "unknown" {
		t.Fatalf("labels %v", c.Labels)
	}

	rootfs := exportRootfs(t, im)
	caddy := filepath.Join(rootfs, "usr", "bin", "caddy")
	f, err := elf.Open(caddy)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the image's caddy is dynamically linked (it has an ELF interpreter)")
		}
	}
	f.Close()
	if v := run(t, caddy, "version"); !strings.HasPrefix(v, "caddy-x402-") {
		t.Fatalf("caddy version does not name the build: %q", v)
	}
	for path, uid := range map[string]int{"data": 10001, "config": 10001, "etc/ssl/certs/ca-certificates.crt": 0, "etc/caddy/Caddyfile": 0} {
		fi, err := os.Stat(filepath.Join(rootfs, path))
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uid {
			t.Fatalf("/%s is owned by %d, want %d", path, st.Uid, uid)
		}
	}
	if passwd, err := os.ReadFile(filepath.Join(rootfs, "etc", "passwd")); err != nil || !strings.Contains(string(passwd), "caddy:x:10001:10001:") {
		t.Fatalf("/etc/passwd: %v %q", err, passwd)
	}

	// The example API, on loopback.
	apiPort := testsvc.FreePort(t)
	api := exec.Command("python3", filepath.Join(testsvc.RepoRoot(), "examples", "sidecar", "python", "app.py"))
	api.Env = append(os.Environ(), "HOST=127.0.0.1", "PORT="+strconv.Itoa(apiPort))
	testsvc.StartCmd(t, api)
	if err := testsvc.WaitTCP(fmt.Sprintf("127.0.0.1:%d", apiPort), 30*time.Second); err != nil {
		t.Fatal(err)
	}

	// The sidecar: the image's entrypoint, environment and user, chrooted
	// into its root filesystem, configured as the Python compose example
	// configures it (the API on loopback instead of the service "api", and
	// free ports).
	port, healthPort := testsvc.FreePort(t), testsvc.FreePort(t)
	accounts, err := devchain.DevAccounts(3)
	if err != nil {
		t.Fatal(err)
	}
	_, example := loadCompose(t, "python")
	env := append([]string(nil), c.Env...)
	for k, v := range example.Services["x402"].Environment {
		env = append(env, k+"="+v)
	}
	env = append(env,
		"X402_UPSTREAM=http://127.0.0.1:"+strconv.Itoa(apiPort),
		"X402_PORT="+strconv.Itoa(port),
		"X402_HEALTH_PORT="+strconv.Itoa(healthPort),
	)
	payee, payer := example.Services["x402"].Environment["X402_PAY_TO"], accounts[2].Address.Hex()
	inImage := func(args ...string) *exec.Cmd {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env, cmd.Dir = env, "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: rootfs, Credential: &syscall.Credential{Uid: 10001, Gid: 10001}}
		return cmd
	}
	healthy := func() bool {
		return inImage(append([]string{"/usr/bin/caddy"}, img.HealthCheck.Test[2:]...)...).Run() == nil
	}
	if healthy() {
		t.Fatal("HEALTHCHECK passed before the sidecar started")
	}
	sidecar := testsvc.StartCmd(t, inImage(c.Entrypoint...))
	deadline := time.Now().Add(60 * time.Second)
	for !healthy() {
		if sidecar.Exited() || time.Now().After(deadline) {
			t.Fatalf("the sidecar never became ready\n%s", sidecar.Tail(4096))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status, body := get(t, fmt.Sprintf("http://127.0.0.1:%d/ready", healthPort), ""); status != 200 || body != `{"status":"ready"}`+"\n" {
		t.Fatalf("/ready: %d %q", status, body)
	}

	url := fmt.Sprintf("http://127.0.0.1:%d/v1/premium/hello", port)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusPaymentRequired || resp.Header.Get(facilitator.HeaderPaymentRequired) == "" {
		t.Fatalf("unpaid: %d %v", resp.StatusCode, resp.Header)
	}
	header := strings.TrimSpace(run(t, caddy, "x402", "pay", "--dev-account", "2", "--header-only", url))
	name, value, ok := strings.Cut(header, ": ")
	if !ok || name != facilitator.HeaderPaymentSignature {
		t.Fatalf("caddy x402 pay --header-only printed %q", header)
	}
	status, body := get(t, url, value)
	if status != 200 || !strings.Contains(body, `"paid_by": "`+payer+`"`) || !strings.Contains(body, `"path": "/v1/premium/hello"`) {
		t.Fatalf("paid: %d %s", status, body)
	}
	if status, body := get(t, url, value); status != http.StatusPaymentRequired || !strings.Contains(body, facilitator.CodeExactNonceUsed) {
		t.Fatalf("replay: %d %s", status, body)
	}
	out := sidecar.Output()
	for _, want := range []string{`"msg":"x402 route","route":"/v1/premium/*","price":"0.01 USDC","units":"10000","pay_to":"` + payee + `"`,
		`"msg":"x402 route","route":"/v1/bulk/*","price":"0.1 USDC","units":"100000"`} {
		if !strings.Contains(out, want) {
			t.Fatalf("the start-up lines lack %s\n%s", want, out)
		}
	}
	if err := sidecar.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !sidecar.Wait(60 * time.Second) {
		t.Fatal("the sidecar did not stop on SIGTERM")
	}
	// Caddy's storage is on the data volume, written by the image's user
	// (on the dev chain the journal lives in a temporary directory, as long
	// as the process: the chain does too).
	if fi, err := os.Stat(filepath.Join(rootfs, "data", "caddy")); err != nil || fi.Sys().(*syscall.Stat_t).Uid != 10001 {
		t.Fatalf("/data/caddy: %v\n%s", err, out)
	}
}

// get sends GET with an optional payment header and returns the status and
// body.
func get(t *testing.T, url, payment string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if payment != "" {
		req.Header.Set(facilitator.HeaderPaymentSignature, payment)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
