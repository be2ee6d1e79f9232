package app

import (
	"os"
	"path/filepath"

	"github.com/gofrs/flock"
)

// spoolPattern names the loopback proxy's spool directories in the
// temporary directory, one per proxied go command.
const spoolPattern = "gofast-proxy-*"

// spoolLock is the lock file inside a spool directory, held (flock on
// Unix, LockFileEx on Windows) by the run that owns the directory for as
// long as it lives. The system releases it when the run dies, however it
// dies, so a spool whose lock can be taken belongs to no live run.
const spoolLock = ".lock"

// spool is one run's spool directory and the lock that marks it live.
type spool struct {
	dir  string
	lock *flock.Flock
}

// newSpool sweeps the spools of runs that were killed (their zips in
// flight are otherwise never removed), then makes this run's own.
func newSpool() (*spool, error) {
	sweepSpools(os.TempDir())
	dir, err := os.MkdirTemp("", spoolPattern)
	if err != nil {
		return nil, err
	}
	s := &spool{dir: dir}
	// The lock is taken under another name and only then renamed to
	// spoolLock, so that a sweep never finds a spoolLock not yet locked
	// (which it would take, and remove a live run's spool). Where the
	// rename cannot be done (an open file on Windows), the spool simply
	// has no spoolLock: never swept, and removed by Close as always.
	tmp := filepath.Join(dir, spoolLock+".new")
	l := flock.New(tmp)
	if ok, err := l.TryLock(); err == nil && ok {
		s.lock = l
		os.Rename(tmp, filepath.Join(dir, spoolLock))
	}
	return s, nil
}

// Close removes the spool: its lock is released first (Windows removes
// no open file).
func (s *spool) Close() {
	if s.lock != nil {
		s.lock.Close()
	}
	os.RemoveAll(s.dir)
}

// sweepSpools removes the spool directories in tmp whose owning run is
// dead: those holding a spoolLock that can be locked. A directory
// without one (being made, or left by an older gofast) is kept: nothing
// is removed for its age alone.
func sweepSpools(tmp string) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, spoolPattern))
	for _, dir := range dirs {
		// Read-only and without O_CREATE: a missing lock is not made.
		l := flock.New(filepath.Join(dir, spoolLock), flock.SetFlag(os.O_RDONLY))
		ok, err := l.TryLock()
		if err != nil || !ok {
			continue // live, or not a spool this gofast made
		}
		// Under the dead run's lock no new owner can appear: the name
		// is MkdirTemp's, never reused while the directory exists.
		l.Close()
		os.RemoveAll(dir)
	}
}
