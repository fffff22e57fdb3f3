//go:build unix

package caddymodule

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkKeyFileMode refuses a key file that others may read or write, or
// that its group may write: anyone with that access can spend the key's
// gas (and, for an escrow operator, capture or void sessions). Group read
// is accepted only when the file's group is this process's own group: that
// is how Kubernetes mounts a Secret for a non-root container (fsGroup makes
// the file 0440, group-owned by the pod's group), and it gives no one
// outside that group access.
func checkKeyFileMode(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s does not exist", path)
		}
		return err
	}
	perm := fi.Mode().Perm()
	loose := perm&0o027 != 0 // group write, or any access by others
	if !loose && perm&0o040 != 0 {
		st, ok := fi.Sys().(*syscall.Stat_t)
		loose = !ok || int(st.Gid) != os.Getegid()
	}
	if loose {
		return fmt.Errorf("%s is accessible to group or others (mode %04o); make it private: chmod 600 %s (group read is accepted only for this process's own group, as Kubernetes' fsGroup sets it)", path, perm, path)
	}
	return nil
}
