//go:build unix

package lockcheck

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestProbeTimeout stands in for a hung network file system with a FIFO,
// whose open blocks until a writer appears: the probe gives up after
// ProbeTimeout, does not try the next lock, and Scan reports both as
// unknown rather than waiting.
func TestProbeTimeout(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "hung.lock")
	if err := unix.Mkfifo(fifo, 0o666); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Release the abandoned open when the test ends.
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	next := filepath.Join(dir, "next.lock")
	if err := os.WriteFile(next, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	sc := &scanner{opts: Options{ProbeTimeout: 50 * time.Millisecond}.defaults(), root: dir}
	sc.locks = []*lockState{{Lock: Lock{Path: fifo}}, {Lock: Lock{Path: next}}}
	start := time.Now()
	if err := sc.probeTryLock(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("probe took %v", d)
	}
	if !errors.Is(sc.locks[0].probeErr, errProbeTimeout) || !sc.stalled {
		t.Errorf("first lock: %+v", sc.locks[0])
	}
	if !sc.locks[1].unknown || !strings.HasPrefix(sc.locks[1].Err, "not probed") {
		t.Errorf("second lock was probed after a timeout: %+v", sc.locks[1])
	}
	sc.checkHolders()
	if n := len(problemsOf(&Report{Problems: sc.problems}, Unknown)); n != 2 {
		t.Errorf("unknown-state problems = %d, want 2: %+v", n, sc.problems)
	}
}
