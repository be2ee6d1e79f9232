//go:build !linux

package lockcheck

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// probe learns which locks are held with a non-blocking try-lock of each,
// released at once. Outside Linux there is no kernel table of lock holders
// that an unprivileged process can read, so holders are not named.
func (sc *scanner) probe(ctx context.Context) error {
	return sc.probeTryLock(ctx)
}

// killHung does nothing here: without named holders there is nobody to
// signal. The report says the holders are unknown.
func (sc *scanner) killHung() {}

// findOpeners does nothing here: this platform does not show which
// processes have a file open.
func (sc *scanner) findOpeners([]*lockState) error { return nil }

// canProveUnopened reports whether removeStaleLock can work here: it cannot,
// since this platform does not show which processes have a file open.
func canProveUnopened() bool { return false }

// removeStaleLock never removes anything on this platform.
func (sc *scanner) removeStaleLock(context.Context, *lockState) (bool, string) {
	return false, "this platform cannot show which processes have the file open"
}

// stuckHolders cannot name holders on this platform.
func stuckHolders(context.Context, []string, time.Duration, time.Time) ([]Holder, error) {
	return nil, fmt.Errorf("lockcheck: naming lock holders: %w", errors.ErrUnsupported)
}
