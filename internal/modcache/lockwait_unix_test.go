//go:build unix

package modcache

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"golang.org/x/mod/module"
)

// TestLockWaitNamesTheWait holds a version lock the way another go process
// would (flock on its own descriptor), and checks that Lock reports the
// wait once through LockWait, keeps waiting, and gets the lock when it is
// released.
func TestLockWaitNamesTheWait(t *testing.T) {
	root := t.TempDir()
	m := module.Version{Path: "example.com/held", Version: "v1.0.0"}
	var called atomic.Int32
	var gotPath atomic.Value
	c := &Cache{Root: root, LockNotice: 50 * time.Millisecond, LockWait: func(p string) {
		called.Add(1)
		gotPath.Store(p)
	}}
	lockPath, err := c.File(m, "lock")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(lockPath), 0o777)
	other := flock.New(lockPath, flock.SetFlag(os.O_RDWR|os.O_CREATE))
	if err := other.Lock(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		unlock, err := c.Lock(context.Background(), m)
		if err == nil {
			unlock()
		}
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for called.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if called.Load() != 1 || gotPath.Load() != lockPath {
		t.Fatalf("LockWait called %d times with %v; want once with %s", called.Load(), gotPath.Load(), lockPath)
	}
	select {
	case err := <-done:
		t.Fatalf("Lock returned while the lock was held: %v", err)
	default:
	}
	other.Unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Lock after release: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Lock did not return after the lock was released")
	}
	if called.Load() != 1 {
		t.Errorf("LockWait called %d times, want once", called.Load())
	}
}
