//go:build unix

package app

import (
	"os"
	"syscall"
)

// canWrite asks the kernel whether the process may create files in dir.
// access(2) answers for the real user, and reports a read-only file
// system even to root, whom permission bits do not stop.
func canWrite(dir string) error {
	const wOK = 2
	if err := syscall.Access(dir, wOK); err != nil {
		return &os.PathError{Op: "access", Path: dir, Err: err}
	}
	return nil
}
