//go:build unix

package lockcheck

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// defaultAccess checks that the current user can use path as the go command
// does. A lock file is opened read-write, as go opens it, but never created
// and closed at once: opening takes no lock and cannot disturb a holder. A
// directory is checked with access(2) for creating files in it.
func defaultAccess(path string, fi fs.FileInfo) error {
	if fi.IsDir() {
		if err := unix.Access(path, unix.W_OK|unix.X_OK); err != nil {
			return &fs.PathError{Op: "access", Path: path, Err: err}
		}
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("opening lock file: %w", err)
	}
	return f.Close()
}

// fileOwner returns the user ID that owns a file.
func fileOwner(fi fs.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// currentUID is the real user ID of this process.
func currentUID() int { return os.Getuid() }
