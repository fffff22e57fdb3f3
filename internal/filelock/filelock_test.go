//go:build unix

package filelock

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain doubles as the lock holder: with FILELOCK_HOLD=path the test
// binary takes an exclusive flock on path, says so, and waits to be killed.
func TestMain(m *testing.M) {
	if path := os.Getenv("FILELOCK_HOLD"); path != "" {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err == nil {
			err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		}
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	if err := Check(path); err != nil {
		t.Fatalf("absent file: %v", err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Check(path); err != nil {
		t.Fatalf("free file: %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "FILELOCK_HOLD="+path)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	buf := make([]byte, 64)
	if n, _ := out.Read(buf); !strings.HasPrefix(string(buf[:n]), "locked") {
		t.Fatalf("holder: %q", buf[:n])
	}
	err := Check(path)
	var iu *InUseError
	if !errors.As(err, &iu) || !errors.Is(err, ErrInUse) {
		t.Fatalf("locked file: %v", err)
	}
	if _, statErr := os.Stat("/proc/locks"); statErr == nil {
		want := fmt.Sprintf("%s is in use by another process (pid %d)", path, cmd.Process.Pid)
		if err.Error() != want {
			t.Fatalf("message %q, want %q", err, want)
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err := Check(path); err != nil {
		t.Fatalf("released file: %v", err)
	}
}
