//go:build unix

package modcache

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestLockExcludesAndHonoursContext(t *testing.T) {
	c := &Cache{Root: t.TempDir()}
	unlock, err := c.Lock(context.Background(), dep)
	if err != nil {
		t.Fatal(err)
	}
	// go's lockedfile takes flock on its own descriptor: a second
	// descriptor in this process conflicts just as another process would.
	path, _ := c.File(dep, "lock")
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		t.Fatal("go's flock succeeded while gofast held the version lock")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Lock(ctx, dep); err == nil {
		t.Fatal("second Lock succeeded while the first is held")
	}
	got := make(chan error, 1)
	go func() {
		u, err := c.Lock(context.Background(), dep)
		if err == nil {
			u()
		}
		got <- err
	}()
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Lock did not proceed after unlock")
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatalf("lock still held after unlock: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Error("lock file removed; go's lock files are never removed")
	}
}
