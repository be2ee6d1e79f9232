//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package modcache

import (
	"io/fs"
	"os"
	"syscall"
)

// openLocked opens name and takes a flock on it (exclusive when opened for
// writing, shared otherwise), then truncates it if asked, in the order go's
// lockedfile uses so that a reader never sees the truncation before the
// lock is held. This is the lock go takes on .ziphash and @v/list files.
func openLocked(name string, flag int) (*os.File, error) {
	f, err := os.OpenFile(name, flag&^os.O_TRUNC, 0o666)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_SH
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		how = syscall.LOCK_EX
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "flock", Path: name, Err: err}
	}
	if flag&os.O_TRUNC != 0 {
		if err := f.Truncate(0); err != nil {
			closeLocked(f)
			return nil, err
		}
	}
	return f, nil
}

// closeLocked unlocks while the descriptor is still valid, then closes.
func closeLocked(f *os.File) error {
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return f.Close()
}

// rename is os.Rename; only Windows needs retries.
func rename(from, to string) error { return os.Rename(from, to) }
