// Package modcache writes Go's module cache exactly as the go command does
// (cmd/go/internal/modfetch): the same paths under $GOMODCACHE/cache/download,
// the same <version>.lock advisory lock held while a version's zip is
// written or extracted, temporary files named as go names them and renamed
// into place, a .ziphash computed from the bytes on disk, @v/list rewritten
// under its own lock, and extraction with go's .partial protocol. A go
// process running at the same time therefore never sees a half-written
// file, and a writer killed at any moment leaves a cache go repairs itself.
package modcache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
	"golang.org/x/mod/module"
)

// Cache is one module cache. The zero value is not usable: Root is required.
type Cache struct {
	// Root is GOMODCACHE; it must be absolute, as go requires.
	Root string
	// ReadWrite leaves extracted directories writable, as go does with
	// -modcacherw in GOFLAGS. False makes them read-only like go's default.
	ReadWrite bool
	// LockWait, when set, is called once with the lock file's path when a
	// version lock is still held by another process after LockNotice, so
	// the caller can say who holds it; Lock then goes on waiting. Nil
	// means waiting silently.
	LockWait func(lockPath string)
	// LockNotice is how long Lock waits before calling LockWait; zero
	// means 3 seconds.
	LockNotice time.Duration
}

// ErrRelativeRoot is returned when Root is not absolute; go refuses such a
// GOMODCACHE and so does gofast, rather than writing somewhere go never reads.
var ErrRelativeRoot = errors.New("GOMODCACHE must be an absolute path")

// PathError says which module version and file an operation failed on.
type PathError struct {
	Module module.Version
	Op     string
	Err    error
}

func (e *PathError) Error() string {
	return fmt.Sprintf("module cache: %s %s@%s: %v", e.Op, e.Module.Path, e.Module.Version, e.Err)
}

// Unwrap exposes the underlying error (fs errors in particular).
func (e *PathError) Unwrap() error { return e.Err }

func (c *Cache) check() error {
	if c == nil || !filepath.IsAbs(c.Root) {
		return ErrRelativeRoot
	}
	return nil
}

// DownloadDir returns $GOMODCACHE/cache/download/<escaped path>/@v, where
// every file of the module's versions lives.
func (c *Cache) DownloadDir(modPath string) (string, error) {
	if err := c.check(); err != nil {
		return "", err
	}
	enc, err := module.EscapePath(modPath)
	if err != nil {
		return "", err
	}
	return filepath.Join(c.Root, "cache", "download", enc, "@v"), nil
}

// File returns the cache path of m's file with the given suffix ("info",
// "mod", "zip", "ziphash", "lock", "partial"), as go's CachePath does. The
// version must be canonical, as go requires.
func (c *Cache) File(m module.Version, suffix string) (string, error) {
	dir, err := c.DownloadDir(m.Path)
	if err != nil {
		return "", err
	}
	if module.CanonicalVersion(m.Version) != m.Version {
		return "", fmt.Errorf("non-canonical module version %q", m.Version)
	}
	enc, err := module.EscapeVersion(m.Version)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, enc+"."+suffix), nil
}

// Dir returns the directory m's zip is extracted to:
// $GOMODCACHE/<escaped path>@<escaped version>.
func (c *Cache) Dir(m module.Version) (string, error) {
	if err := c.check(); err != nil {
		return "", err
	}
	encPath, err := module.EscapePath(m.Path)
	if err != nil {
		return "", err
	}
	if module.CanonicalVersion(m.Version) != m.Version {
		return "", fmt.Errorf("non-canonical module version %q", m.Version)
	}
	encVer, err := module.EscapeVersion(m.Version)
	if err != nil {
		return "", err
	}
	return filepath.Join(c.Root, encPath+"@"+encVer), nil
}

// lockPoll is how often a contended version lock is retried. go holds the
// lock for a whole download, so waiting in small steps costs nothing
// noticeable and lets the wait end when ctx is cancelled, which a blocking
// flock call cannot.
const lockPoll = 20 * time.Millisecond

// defaultLockNotice is how long Lock waits before calling LockWait.
const defaultLockNotice = 3 * time.Second

// Lock takes m's <version>.lock, the advisory lock go's lockVersion takes
// (flock on Unix, LockFileEx on Windows; the kernel drops it if the holder
// dies), waiting until it is free or ctx ends. The lock file itself is never
// removed: its existence means nothing, and removing a file another process
// has open would break mutual exclusion.
func (c *Cache) Lock(ctx context.Context, m module.Version) (unlock func(), err error) {
	path, err := c.File(m, "lock")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return nil, &PathError{Module: m, Op: "lock", Err: err}
	}
	// go opens lock files O_RDWR|O_CREATE with mode 0666 (less umask).
	fl := flock.New(path, flock.SetFlag(os.O_RDWR|os.O_CREATE), flock.SetPermissions(0o666))
	ok, err := fl.TryLock()
	if err == nil && !ok && c.LockWait != nil {
		// Say who holds the lock if it is not free soon, instead of
		// waiting silently behind a process that may be stuck.
		notice := c.LockNotice
		if notice <= 0 {
			notice = defaultLockNotice
		}
		soon, cancel := context.WithTimeout(ctx, notice)
		ok, err = fl.TryLockContext(soon, lockPoll)
		cancel()
		if !ok && ctx.Err() == nil {
			c.LockWait(path)
			err = nil
		}
	}
	if err == nil && !ok {
		ok, err = fl.TryLockContext(ctx, lockPoll)
	}
	if err != nil {
		return nil, &PathError{Module: m, Op: "lock", Err: err}
	}
	if !ok {
		return nil, &PathError{Module: m, Op: "lock", Err: ctx.Err()}
	}
	return func() { fl.Unlock() }, nil
}

// exists reports whether a regular file (or anything stat-able) is at path.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// HasZip reports whether m's .zip and .ziphash are both present, the test
// go's DownloadZip uses to skip a download.
func (c *Cache) HasZip(m module.Version) bool {
	zip, err := c.File(m, "zip")
	return err == nil && exists(zip) && exists(zip+"hash")
}

// HasMod reports whether m's .mod is present.
func (c *Cache) HasMod(m module.Version) bool {
	p, err := c.File(m, "mod")
	return err == nil && exists(p)
}

// HasInfo reports whether m's .info is present.
func (c *Cache) HasInfo(m module.Version) bool {
	p, err := c.File(m, "info")
	return err == nil && exists(p)
}

// ReadMod returns m's cached go.mod file. Like go's readDiskGoMod it treats
// files written by pre-release vgo (with a "//vgo 0.0." prefix) as absent.
func (c *Cache) ReadMod(m module.Version) ([]byte, error) {
	p, err := c.File(m, "mod")
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	if len(data) >= 10 && string(data[:10]) == "//vgo 0.0." {
		return nil, &PathError{Module: m, Op: "read .mod", Err: os.ErrNotExist}
	}
	return data, nil
}
