//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package modcache

import "os"

// openLocked opens name without a lock on platforms where go's lockedfile
// uses fcntl or nothing; gofast does not build releases for them, and the
// temp-file-and-rename protocol still keeps readers from partial files.
func openLocked(name string, flag int) (*os.File, error) {
	return os.OpenFile(name, flag, 0o666)
}

func closeLocked(f *os.File) error { return f.Close() }

func rename(from, to string) error { return os.Rename(from, to) }
