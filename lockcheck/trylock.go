package lockcheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gofrs/flock"
)

// errProbeTimeout marks a try-lock whose open or lock did not return in time,
// as happens on a hung network file system.
var errProbeTimeout = errors.New("no answer from the file system")

// tryLock takes the exclusive lock on path the way the go command takes it
// (flock on Unix, LockFileEx on Windows, through gofrs/flock), but without
// waiting: ok is false when another process holds it. The file is opened
// read-only and never created, so a lock file that does not exist stays
// absent. The caller must call unlock at once when ok is true.
//
// Opening a file on a hung file system can block forever, so the attempt
// runs in its own goroutine under timeout; when the deadline passes the
// goroutine is left behind, and releases the lock itself if it ever gets it.
func tryLock(ctx context.Context, path string, timeout time.Duration) (unlock func(), ok bool, err error) {
	type result struct {
		fl  *flock.Flock
		ok  bool
		err error
	}
	ch := make(chan result, 1)
	go func() {
		fl := flock.New(path, flock.SetFlag(os.O_RDONLY))
		ok, err := fl.TryLock()
		ch <- result{fl, ok, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, false, fmt.Errorf("locking %s: %w", path, r.err)
		}
		if !r.ok {
			r.fl.Close()
			return nil, false, nil
		}
		return func() { r.fl.Unlock() }, true, nil
	case <-timer.C:
		err = fmt.Errorf("locking %s: %w within %s", path, errProbeTimeout, timeout)
	case <-ctx.Done():
		err = fmt.Errorf("locking %s: %w", path, ctx.Err())
	}
	go func() {
		if r := <-ch; r.ok {
			r.fl.Unlock()
		}
	}()
	return nil, false, err
}

// probeTryLock learns which locks are held by trying each one without
// waiting and releasing it at once. It cannot name holders. After one probe
// times out, the rest are not tried: the file system is not answering, and
// every further attempt would cost the full timeout.
func (sc *scanner) probeTryLock(ctx context.Context) error {
	sc.holdersKnown = false
	var stalled error
	for _, ls := range sc.locks {
		if err := ctx.Err(); err != nil {
			return err
		}
		if stalled != nil {
			ls.Err = fmt.Sprintf("not probed: %v", stalled)
			ls.unknown = true
			continue
		}
		unlock, ok, err := tryLock(ctx, ls.Path, sc.opts.ProbeTimeout)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			ls.Err = err.Error()
			ls.unknown = true
			ls.probeErr = err
			if errors.Is(err, errProbeTimeout) {
				stalled, sc.stalled = err, true
			}
		case ok:
			unlock()
		default:
			ls.Held = true
		}
	}
	return nil
}
