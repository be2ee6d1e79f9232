package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Free-space thresholds for the module cache: below lowSpace downloads and
// extraction soon fail; below tightSpace a large dependency graph may not fit.
const (
	lowSpace   = 512 << 20
	tightSpace = 2 << 30
)

// volume is what the platform reports about the file system holding a
// directory.
type volume struct {
	free    uint64
	fsType  string // "ext4", "nfs", "NTFS", ...
	network bool   // NFS, CIFS/SMB, 9P, AFS, Ceph, a network drive
	fuse    bool   // a FUSE file system, where locking is up to the daemon
}

// checkCache checks the module cache: free space and file system, whether
// the current user can write into it, and its lock files. Each check runs
// on its own goroutine and is abandoned after limit, since a hung network
// file system can block a system call indefinitely.
func checkCache(ctx context.Context, o Options, limit time.Duration) []Check {
	root := o.Settings.GOMODCACHE
	if root == "" {
		return []Check{newCheck(LayerCache, "GOMODCACHE", Skip, "GOMODCACHE is not set")}
	}
	funcs := []func(context.Context) Check{
		func(context.Context) Check { return volumeCheck(root) },
		func(context.Context) Check { return writableCheck(root) },
		func(ctx context.Context) Check { return lockCheck(ctx, o.LockScan, root) },
	}
	checks := make([]Check, len(funcs))
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var wg sync.WaitGroup
	for i, f := range funcs {
		wg.Go(func() { checks[i] = bounded(ctx, limit, f) })
	}
	wg.Wait()
	for i := range checks {
		checks[i].Target = root
	}
	return checks
}

// bounded runs f, giving up when ctx ends. The abandoned goroutine ends
// whenever its system call does.
func bounded(ctx context.Context, limit time.Duration, f func(context.Context) Check) Check {
	done := make(chan Check, 1)
	start := time.Now()
	go func() { done <- f(ctx) }()
	select {
	case c := <-done:
		if c.Elapsed == 0 {
			c.Elapsed = time.Since(start)
		}
		return c
	case <-ctx.Done():
		c := newCheck(LayerCache, "", Fail, fmt.Sprintf("did not finish within %s: is the cache on a hung network file system?", fmtSeconds(limit)))
		c.Elapsed = time.Since(start)
		c.timeout = true
		return c
	}
}

// volumeCheck reports the cache's file system and free space.
func volumeCheck(root string) Check {
	dir := existingAncestor(root)
	v, err := statVolume(dir)
	if errors.Is(err, errors.ErrUnsupported) {
		return newCheck(LayerCache, "", Skip, "free space and file system type are not known on "+runtime.GOOS)
	}
	if err != nil {
		return newCheck(LayerCache, "", Warn, fmt.Sprintf("file system of %s: %v", dir, err))
	}
	detail := fmt.Sprintf("%s, %s free", v.fsType, fmtBytes(v.free))
	moveFix := "go env -w GOMODCACHE=<a directory on a local disk with space>"
	switch {
	case v.free < lowSpace:
		c := newCheck(LayerCache, "", Fail, detail+": downloads and extraction will fail with \"no space left on device\"")
		c.Fix = "free space there, or " + moveFix
		return c
	case v.network || v.fuse:
		kind := "a network file system"
		if v.fuse {
			kind = "a FUSE file system"
		}
		c := newCheck(LayerCache, "", Warn, detail+": the cache is on "+kind+", where go's file locks may be emulated, local to one machine, or slow")
		c.Fix = moveFix
		return c
	case v.free < tightSpace:
		c := newCheck(LayerCache, "", Warn, detail+": a large module graph may not fit")
		c.Fix = "free space there, or " + moveFix
		return c
	}
	return newCheck(LayerCache, "", Pass, detail)
}

// writableCheck creates and removes one temporary file in
// GOMODCACHE/cache, where go writes its downloads and locks. It touches
// nothing else, and creates no directory: a cache that does not exist yet
// is created by go itself.
func writableCheck(root string) Check {
	dir := filepath.Join(root, "cache")
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return newCheck(LayerCache, "", Pass, dir+" does not exist yet: go creates it on the first download")
	}
	f, err := os.CreateTemp(dir, ".gofast-doctor-*.tmp")
	if err == nil {
		name := f.Name()
		f.Close()
		if err := os.Remove(name); err != nil {
			return newCheck(LayerCache, "", Warn, fmt.Sprintf("created but could not remove %s: %v", name, err))
		}
		return newCheck(LayerCache, "", Pass, "writable: created and removed a file in "+dir)
	}
	c := newCheck(LayerCache, "", Fail, fmt.Sprintf("cannot create files in %s: %v", dir, unwrapPath(err)))
	switch {
	case errors.Is(err, fs.ErrPermission):
		c.Detail += " (a cache written by sudo go?): go cannot download into it"
		c.Fix = ownFix(root)
	case errors.Is(err, syscall.EROFS):
		c.Detail += ": go cannot download into it"
		c.Fix = "go env -w GOMODCACHE=<a writable directory>"
	}
	return c
}

// ownFix is the command that gives the cache back to the current user.
func ownFix(root string) string {
	if runtime.GOOS == "windows" {
		return "takeown /f " + winQuote(root) + " /r /d y"
	}
	return `sudo chown -R "$(id -u):$(id -g)" ` + shellQuote(root)
}

// lockCheck summarizes the cache's lock files through the injected scanner.
func lockCheck(ctx context.Context, scan LockScanner, root string) Check {
	if scan == nil {
		return newCheck(LayerCache, "", Skip, "lock files not checked (no lock scanner in this build)")
	}
	summary, problems, err := scan(ctx, root)
	switch {
	case err != nil:
		return newCheck(LayerCache, "", Warn, fmt.Sprintf("checking lock files: %v", err))
	case len(problems) == 0:
		return newCheck(LayerCache, "", Pass, "lock files: "+summary)
	}
	shown := problems
	if len(shown) > 3 {
		shown = append(shown[:3:3], fmt.Sprintf("%d more", len(problems)-3))
	}
	c := newCheck(LayerCache, "", Warn, "lock files: "+summary+": "+strings.Join(shown, "; "))
	c.Fix = "gofast lockcheck"
	return c
}

// existingAncestor returns dir or its nearest existing parent.
func existingAncestor(dir string) string {
	for {
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return dir
		}
		dir = parent
	}
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// fmtBytes formats a byte count in binary units.
func fmtBytes(n uint64) string {
	const unit = 1 << 10
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
