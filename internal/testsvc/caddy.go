package testsvc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var caddyBuild struct {
	once sync.Once
	path string
	err  error
}

// CaddyBinary builds ./cmd/caddy once per test process into a temporary
// directory and returns its path. Call RemoveCaddyBinary from TestMain.
func CaddyBinary(t testing.TB) string {
	t.Helper()
	caddyBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "x402-caddy-bin-")
		if err != nil {
			caddyBuild.err = err
			return
		}
		caddyBuild.path = filepath.Join(dir, "caddy")
		cmd := exec.Command("go", "build", "-o", caddyBuild.path, "./cmd/caddy")
		cmd.Dir = RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			caddyBuild.err = fmt.Errorf("go build ./cmd/caddy: %v\n%s", err, out)
		}
	})
	if caddyBuild.err != nil {
		t.Fatal(caddyBuild.err)
	}
	return caddyBuild.path
}

// RemoveCaddyBinary deletes the binary CaddyBinary built, if any.
func RemoveCaddyBinary() {
	if caddyBuild.path != "" {
		os.RemoveAll(filepath.Dir(caddyBuild.path))
	}
}
