package lockcheck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"
)

// lockState is a lock file while Scan works on it.
type lockState struct {
	Lock
	info    fs.FileInfo // from the directory walk; nil if it could not be read
	version *version    // the version it guards; nil for cache/lock, cache/vcs
	// unknown is true when the lock's state could not be determined; probeErr
	// is the error the probe returned, if any.
	unknown  bool
	probeErr error
	// openBy are the processes that have the file open without holding or
	// waiting for the lock (Linux only).
	openBy []int
}

// scanner is one run of Scan.
type scanner struct {
	opts         Options
	root         string
	now          time.Time
	locks        []*lockState
	versions     map[string]*version // by escaped path@version
	lockDirs     []string            // @v directories, checked for access
	unreadable   []string            // directories the walk could not read
	strayTemps   []string            // *.tmp files that belong to no version
	holdersKnown bool
	problems     []Problem
	// stalled is set when a probe timed out: the file system is not
	// answering, and no further file is opened.
	stalled bool
	// boot is the boot time, from which process ages are computed (Linux).
	boot time.Time
}

// Scan inspects the module cache at opts.Root: every lock file, who holds it
// and who waits for it, the leftovers of crashed writers, permission and file
// system problems. With opts.Fix it also removes what is provably stale, and
// with opts.KillHung it signals hung go processes that hold locks. A module
// cache that does not exist yet is reported as empty.
//
// Scan never waits for a lock, never creates a lock file, and never removes,
// renames or truncates a lock file that a live process holds or has open.
func Scan(ctx context.Context, opts Options) (*Report, error) {
	if opts.Root == "" {
		return nil, errors.New("lockcheck: no module cache (GOMODCACHE is empty)")
	}
	o := opts.defaults()
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return nil, fmt.Errorf("lockcheck: module cache %s: %w", o.Root, err)
	}
	// Descriptor links in /proc name files by their real path, so compare
	// against the real path of the cache.
	real, err := filepath.EvalSymlinks(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &Report{Root: root, Locks: []Lock{}, Problems: []Problem{}}, nil
	case err != nil:
		return nil, fmt.Errorf("lockcheck: module cache %s: %w", root, err)
	}
	sc := &scanner{opts: o, root: real, now: o.Now(), versions: map[string]*version{}}
	if p, ok := checkFilesystem(sc.root); ok {
		sc.problems = append(sc.problems, p)
	}
	if err := sc.walk(ctx); err != nil {
		return nil, fmt.Errorf("lockcheck: %w", err)
	}
	if err := sc.probe(ctx); err != nil {
		return nil, fmt.Errorf("lockcheck: %w", err)
	}
	sc.checkHolders()
	if err := sc.checkAccess(ctx); err != nil {
		return nil, fmt.Errorf("lockcheck: %w", err)
	}
	if err := sc.checkLeftovers(ctx); err != nil {
		return nil, fmt.Errorf("lockcheck: %w", err)
	}
	return sc.report(), nil
}

// report assembles the Report, with empty lists rather than nulls in JSON.
func (sc *scanner) report() *Report {
	r := &Report{Root: sc.root, HoldersKnown: sc.holdersKnown, Locks: make([]Lock, 0, len(sc.locks)), Problems: sc.problems}
	if r.Problems == nil {
		r.Problems = []Problem{}
	}
	for _, ls := range sc.locks {
		l := ls.Lock
		if l.Holders == nil {
			l.Holders = []Holder{}
		}
		if l.Waiters == nil {
			l.Waiters = []Holder{}
		}
		r.Locks = append(r.Locks, l)
	}
	return r
}

// checkHolders reports locks whose state is unknown and holders that look
// hung, and with KillHung signals the hung go processes among them.
func (sc *scanner) checkHolders() {
	for _, ls := range sc.locks {
		if ls.unknown && !errors.Is(ls.probeErr, fs.ErrPermission) {
			sc.problems = append(sc.problems, Problem{
				Kind:   Unknown,
				Path:   ls.Path,
				Detail: "cannot tell whether the lock is held: " + ls.Err,
				Fix:    "check that the file system holding the module cache answers (ls -l " + filepath.Dir(ls.Path) + ")",
			})
		}
	}
	if sc.opts.KillHung > 0 {
		sc.killHung()
	}
	for _, ls := range sc.locks {
		for _, h := range ls.Holders {
			if !sc.stuck(h) {
				continue
			}
			fix := fmt.Sprintf("kill %d", h.PID)
			if h.State == stateStopped {
				fix = fmt.Sprintf("kill %d; kill -CONT %d", h.PID, h.PID)
			}
			if h.GoTool {
				fix += fmt.Sprintf(", or gofast lockcheck --kill-hung %s", killHungArg(h.Age))
			}
			detail := h.Advice()
			if h.Signaled {
				detail = fmt.Sprintf("sent SIGTERM to pid %d (%s), which held the lock for up to %s (%s)", h.PID, shorten(h.Command, 80), fmtAge(h.Age), h.State)
			}
			sc.problems = append(sc.problems, Problem{Kind: HungHolder, Path: ls.Path, Detail: detail, Fix: fix, Fixed: h.Signaled})
		}
	}
}

// stuck reports whether a holder looks hung: stopped, or running longer
// than StuckAfter (or KillHung, when set).
func (sc *scanner) stuck(h Holder) bool {
	if h.PID == 0 {
		return false
	}
	if h.State == stateStopped || h.Signaled {
		return true
	}
	if sc.opts.KillHung > 0 && h.Age >= sc.opts.KillHung {
		return true
	}
	return sc.opts.StuckAfter > 0 && h.Age >= sc.opts.StuckAfter
}

// hung reports whether KillHung applies to a holder.
func (sc *scanner) hung(h Holder) bool {
	return sc.opts.KillHung > 0 && h.GoTool && h.PID > 0 &&
		(h.State == stateStopped || h.Age >= sc.opts.KillHung)
}

// filesystemProblem is the problem of a module cache on file system fsName.
func filesystemProblem(root, fsName string) Problem {
	return Problem{
		Kind: Filesystem,
		Path: root,
		Detail: fmt.Sprintf("the module cache is on %s, where go's flock locks are emulated, local to one machine or slow, "+
			"and a server that stops answering hangs every go command", fsName),
		Fix: "use a module cache on a local disk: go env -w GOMODCACHE=/var/tmp/$(id -un)/gomodcache",
	}
}
