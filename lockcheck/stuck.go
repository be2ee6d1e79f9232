package lockcheck

import (
	"context"
	"path/filepath"
	"time"
)

// StuckHolders is the cheap check the wrapper runs before handing over to
// go: of the given lock files (the <version>.lock files go is about to
// need; relative paths are taken relative to root, the module cache), it
// returns the holders of those that are held by a process running for at
// least minAge, each with its Advice. Lock files that do not exist are
// skipped; nothing is created, locked or changed.
//
// On Linux it reads the kernel's lock table and stats the given files,
// reading process descriptors only for a lock that is held, so that a cold
// check costs well under a millisecond. Elsewhere holders cannot be named
// and it returns an error wrapping errors.ErrUnsupported.
func StuckHolders(ctx context.Context, root string, lockPaths []string, minAge time.Duration) ([]Holder, error) {
	paths := make([]string, 0, len(lockPaths))
	for _, p := range lockPaths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		paths = append(paths, p)
	}
	return stuckHolders(ctx, paths, minAge, time.Now())
}
