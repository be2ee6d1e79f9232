//go:build windows

package modcache

import (
	"errors"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// allBytes locks the whole file, as go's filelock_windows does, so that the
// lock conflicts with go's own.
const allBytes = ^uint32(0)

// openLocked opens name and locks it with LockFileEx (exclusive when opened
// for writing), then truncates if asked, as go's lockedfile does.
func openLocked(name string, flag int) (*os.File, error) {
	f, err := os.OpenFile(name, flag&^os.O_TRUNC, 0o666)
	if err != nil {
		return nil, err
	}
	var how uint32
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		how = windows.LOCKFILE_EXCLUSIVE_LOCK
	}
	ol := new(windows.Overlapped)
	if err := windows.LockFileEx(windows.Handle(f.Fd()), how, 0, allBytes, allBytes, ol); err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "LockFileEx", Path: name, Err: err}
	}
	if flag&os.O_TRUNC != 0 {
		if err := f.Truncate(0); err != nil {
			closeLocked(f)
			return nil, err
		}
	}
	return f, nil
}

// closeLocked unlocks while the handle is still valid, then closes.
func closeLocked(f *os.File) error {
	ol := new(windows.Overlapped)
	windows.UnlockFileEx(windows.Handle(f.Fd()), 0, allBytes, allBytes, ol)
	return f.Close()
}

// rename retries briefly on the transient sharing errors that virus
// scanners and indexers cause on Windows, as go's robustio.Rename does.
func rename(from, to string) error {
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := os.Rename(from, to)
		if err == nil || time.Now().After(deadline) || !transient(err) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func transient(err error) bool {
	var errno windows.Errno
	if !errors.As(err, &errno) {
		return false
	}
	return errno == windows.ERROR_ACCESS_DENIED || errno == windows.ERROR_SHARING_VIOLATION || errno == windows.ERROR_FILE_NOT_FOUND
}
