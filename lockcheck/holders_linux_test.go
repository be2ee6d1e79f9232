package lockcheck

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	testMod = "example.com/Held"
	testVer = "v1.2.3"
)

func TestHolderNamed(t *testing.T) {
	c := newFakeCache(t)
	c.version(testMod, testVer)
	lock := c.lockPath(testMod, testVer)
	h := startHelper(t, "hold", lock, "locked")

	// Ten minutes from now the helper has been running ten minutes.
	later := time.Now().Add(10 * time.Minute)
	r := c.scan(Options{Now: func() time.Time { return later }})
	if !r.HoldersKnown {
		t.Fatal("HoldersKnown = false on Linux")
	}
	l := lockOf(t, r, lock)
	if !l.Held || len(l.Holders) != 1 {
		t.Fatalf("lock = %+v, want held by one process", l)
	}
	got := l.Holders[0]
	if got.PID != h.pid {
		t.Errorf("holder PID = %d, want %d", got.PID, h.pid)
	}
	if !strings.Contains(got.Command, os.Args[0]) || !strings.Contains(got.Command, "TestHelperProcess") {
		t.Errorf("holder command = %q, want the helper's command line", got.Command)
	}
	// The helper blocks waiting, but a Go process's state is its main
	// thread's, which the runtime may be running at the moment of the read.
	if got.State != stateSleeping && got.State != stateRunning {
		t.Errorf("holder state = %q, want %q or %q", got.State, stateSleeping, stateRunning)
	}
	if got.Age < 10*time.Minute || got.Age > 11*time.Minute {
		t.Errorf("holder age = %v, want about 10m", got.Age)
	}
	if got.GoTool {
		t.Error("the test binary is taken for a go tool")
	}
	if l.Module != testMod || l.Version != testVer {
		t.Errorf("lock names %s@%s, want %s@%s", l.Module, l.Version, testMod, testVer)
	}
	// Running ten minutes is past StuckAfter's five: reported, with advice.
	hung := problemsOf(r, HungHolder)
	if len(hung) != 1 || !strings.Contains(hung[0].Fix, "kill "+itoa(h.pid)) || hung[0].Fixed {
		t.Errorf("hung-holder problems = %+v", hung)
	}
	if s := r.Summary(); !strings.Contains(s, "1 held by lockcheck.test (pid "+itoa(h.pid)) {
		t.Errorf("Summary = %q", s)
	}

	// The cheap check finds the same process, relative path and all.
	rel, _ := filepath.Rel(c.root, lock)
	hs, err := StuckHolders(context.Background(), c.root, []string{rel, "cache/download/absent/@v/v1.0.0.lock"}, 0)
	if err != nil || len(hs) != 1 || hs[0].PID != h.pid || hs[0].Lock != lock {
		t.Fatalf("StuckHolders = %+v, %v; want pid %d", hs, err, h.pid)
	}
	if adv := hs[0].Advice(); !strings.Contains(adv, "kill "+itoa(h.pid)) || !strings.Contains(adv, lock) {
		t.Errorf("Advice = %q", adv)
	}
	if hs, err := StuckHolders(context.Background(), c.root, []string{lock}, time.Hour); err != nil || len(hs) != 0 {
		t.Errorf("StuckHolders(minAge 1h) = %+v, %v; want none", hs, err)
	}
}

func TestInheritedHolder(t *testing.T) {
	becomeSubreaper(t)
	c := newFakeCache(t)
	c.version(testMod, testVer)
	lock := c.lockPath(testMod, testVer)
	parent := startHelper(t, "inherit", lock, "child")
	child := atoi(t, strings.TrimPrefix(parent.first, "child "))
	reapLater(t, child, parent.stdin)
	if err := parent.cmd.Wait(); err != nil {
		t.Fatalf("parent: %v", err)
	}
	// The lock table still names the dead parent.
	waitLockTable(t, func(l procLock) bool { return l.pid == parent.pid })

	r := c.scan(Options{})
	l := lockOf(t, r, lock)
	if !l.Held || len(l.Holders) != 1 || l.Holders[0].PID != child {
		t.Fatalf("lock = %+v; want held by the child %d (parent %d exited)", l, child, parent.pid)
	}
	hs, err := StuckHolders(context.Background(), c.root, []string{lock}, 0)
	if err != nil || len(hs) != 1 || hs[0].PID != child {
		t.Fatalf("StuckHolders = %+v, %v; want the child %d", hs, err, child)
	}
}

func TestStoppedHolder(t *testing.T) {
	c := newFakeCache(t)
	c.version(testMod, testVer)
	lock := c.lockPath(testMod, testVer)
	h := startHelper(t, "hold", lock, "locked")
	if err := syscall.Kill(h.pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitStopped(t, h.pid)

	// KillHung signals go tools only: the stopped test binary is left alone.
	r := c.scan(Options{KillHung: time.Nanosecond})
	l := lockOf(t, r, lock)
	if len(l.Holders) != 1 || l.Holders[0].State != stateStopped || l.Holders[0].Signaled {
		t.Fatalf("holders = %+v, want one stopped, not signaled", l.Holders)
	}
	hung := problemsOf(r, HungHolder)
	if len(hung) != 1 || hung[0].Fixed || !strings.Contains(hung[0].Fix, "kill -CONT "+itoa(h.pid)) {
		t.Errorf("hung-holder problems = %+v", hung)
	}
	if !strings.Contains(l.Holders[0].Advice(), "is stopped") {
		t.Errorf("Advice = %q", l.Holders[0].Advice())
	}
}

func TestWaiters(t *testing.T) {
	c := newFakeCache(t)
	c.version(testMod, testVer)
	lock := c.lockPath(testMod, testVer)
	holder := startHelper(t, "hold", lock, "locked")
	waiter := startHelper(t, "wait", lock, "waiting")
	waitLockTable(t, func(l procLock) bool { return l.waiter && l.pid == waiter.pid })

	r := c.scan(Options{})
	l := lockOf(t, r, lock)
	if len(l.Holders) != 1 || l.Holders[0].PID != holder.pid {
		t.Errorf("holders = %+v, want pid %d", l.Holders, holder.pid)
	}
	if len(l.Waiters) != 1 || l.Waiters[0].PID != waiter.pid {
		t.Errorf("waiters = %+v, want pid %d", l.Waiters, waiter.pid)
	}
	var text strings.Builder
	r.WriteText(&text)
	if !strings.Contains(text.String(), "waiting: pid "+itoa(waiter.pid)) {
		t.Errorf("text report does not name the waiter:\n%s", text.String())
	}

	// Releasing the holder hands the lock to the waiter.
	holder.stop()
	waiter.expect("locked")
	l = lockOf(t, c.scan(Options{}), lock)
	if len(l.Holders) != 1 || l.Holders[0].PID != waiter.pid || len(l.Waiters) != 0 {
		t.Errorf("after release: %+v", l)
	}
}

// TestHeldAndOpenLocksUntouched runs every mode of Scan against lock files
// that are held or open, made to look as bad as possible (unusable by the
// user, with leftovers beside them), and checks that none is unlinked,
// replaced or truncated and no leftover of a held version is removed.
func TestHeldAndOpenLocksUntouched(t *testing.T) {
	c := newFakeCache(t)
	c.version("example.com/held", "v1.0.0", ".zip111.tmp")
	c.version("example.com/open", "v1.0.0", ".zip222.tmp")
	c.extracted("example.com/held", "v1.0.0", true)
	held := c.lockPath("example.com/held", "v1.0.0")
	open := c.lockPath("example.com/open", "v1.0.0")
	for _, p := range []string{held, open} {
		if err := os.WriteFile(p, []byte("some bytes"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	startHelper(t, "hold", held, "locked")
	opener := startHelper(t, "open", open, "opened")
	before := map[string]fileSnap{held: snapshot(t, held), open: snapshot(t, open)}
	heldTemp := filepath.Join(c.vdir("example.com/held"), "v1.0.0.zip111.tmp")
	partial := c.extractDir("example.com/held", "v1.0.0") + ".partial"
	deny := func(path string, fi fs.FileInfo) error {
		if fi.Mode().IsRegular() && strings.HasSuffix(path, ".lock") {
			return &fs.PathError{Op: "open", Path: path, Err: fs.ErrPermission}
		}
		return nil
	}

	modes := []struct {
		name string
		opts Options
	}{
		{"scan", Options{}},
		{"scan denied", Options{Access: deny}},
		{"fix", Options{Fix: true}},
		{"fix denied", Options{Fix: true, Access: deny}},
		{"fix kill-hung", Options{Fix: true, KillHung: time.Nanosecond, Access: deny}},
	}
	for _, m := range modes {
		r := c.scan(m.opts)
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("%s: json: %v", m.name, err)
		}
		for p, s := range before {
			s.unchanged(t, p, m.name)
			if l := lockOf(t, r, p); l.Removed {
				t.Errorf("%s: %s reported removed", m.name, p)
			}
		}
		for _, p := range []string{heldTemp, partial} {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s: leftover of a held version touched: %v", m.name, err)
			}
		}
		if len(problemsOf(r, StaleLock)) != 0 {
			t.Errorf("%s: a held or open lock was called stale: %+v", m.name, problemsOf(r, StaleLock))
		}
	}
	// The open (unlocked) lock is free: its leftover temp file goes.
	if _, err := os.Stat(filepath.Join(c.vdir("example.com/open"), "v1.0.0.zip222.tmp")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("leftover beside a free lock not removed: %v", err)
	}
	r := c.scan(Options{Access: deny})
	if l := lockOf(t, r, open); l.Held {
		t.Errorf("an open, unlocked file reported held: %+v", l)
	}
	perm := problemsOf(r, Permission)
	if len(perm) != 2 {
		t.Errorf("permission problems = %+v, want the held and the open lock", perm)
	}
	_ = opener
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestHolderThroughOtherName has the helper lock the file through a hard
// link, as a process would through a bind mount: its descriptor names
// another path, and the holder is found by the file's identity instead.
func TestHolderThroughOtherName(t *testing.T) {
	c := newFakeCache(t)
	c.version(testMod, testVer)
	lock := c.lockPath(testMod, testVer)
	other := filepath.Join(t.TempDir(), "elsewhere.lock")
	if err := os.Link(lock, other); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	h := startHelper(t, "hold", other, "locked")
	l := lockOf(t, c.scan(Options{}), lock)
	if !l.Held || len(l.Holders) != 1 || l.Holders[0].PID != h.pid {
		t.Fatalf("lock = %+v, want held by pid %d", l, h.pid)
	}
}
