//go:build unix

package caddymodule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckKeyFileMode(t *testing.T) {
	other := os.Getegid() + 4242 // a group this process is not in
	tests := []struct {
		name  string
		mode  os.FileMode
		gid   int // -1: leave the file's group as created
		allow bool
	}{
		{"owner only", 0o600, -1, true},
		{"owner read only", 0o400, -1, true},
		{"group read, our group (Kubernetes fsGroup)", 0o440, os.Getegid(), true},
		{"group read, another group", 0o440, other, false},
		{"group write", 0o660, os.Getegid(), false},
		{"others read", 0o604, -1, false},
		{"world readable", 0o644, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key")
			if err := os.WriteFile(path, []byte("00"), 0o600); err != nil {
				t.Fatal(err)
			}
			if tt.gid >= 0 {
				if err := os.Chown(path, -1, tt.gid); err != nil {
					if os.Getenv("CI") == "true" {
						t.Fatalf("chown: %v", err)
					}
					t.Skipf("cannot chown the file's group here (not root?): %v", err)
				}
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			err := checkKeyFileMode(path)
			if tt.allow && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.allow && (err == nil || !strings.Contains(err.Error(), "is accessible to group or others")) {
				t.Fatalf("accepted or wrong error: %v", err)
			}
		})
	}
}
