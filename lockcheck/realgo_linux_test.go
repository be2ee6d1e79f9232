package lockcheck

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// TestStalledRealGo stalls a real `go mod download` on its zip request, when
// go holds the version lock, and checks that lockcheck names that go process
// as the holder, leaves its lock and temporary file alone, ends it with
// KillHung, and then removes the temporary file its death left behind.
func TestStalledRealGo(t *testing.T) {
	goBin := goTool(t)
	mods := []proxytest.Module{{Path: "example.com/stall", Version: "v1.0.0"}}
	tree := proxytest.MustBuild(mods...)
	var stall atomic.Bool
	stall.Store(true)
	zipAsked := make(chan struct{})
	var once sync.Once
	srv := proxytest.New(t, proxytest.Options{
		FS: tree.FS,
		Fault: func(r *http.Request) proxytest.Fault {
			if stall.Load() && strings.HasSuffix(r.URL.Path, "/@v/v1.0.0.zip") {
				once.Do(func() { close(zipAsked) })
				return proxytest.Fault{Kind: proxytest.StallHeaders}
			}
			return proxytest.Fault{}
		},
	})
	c := newFakeCache(t)
	env := goEnv(t, c.root, srv)
	dir := mainModule(t, tree, mods)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	cmd, out := goCommand(ctx, goBin, dir, env, "mod", "download", "example.com/stall")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	select {
	case <-zipAsked:
	case err := <-exited:
		t.Fatalf("go exited before asking for the zip: %v\n%s", err, out)
	case <-ctx.Done():
		t.Fatal("go never asked for the zip")
	}

	// go asks for the zip while holding the version lock, with its
	// temporary zip file open.
	lock := c.lockPath("example.com/stall", "v1.0.0")
	temps, _ := filepath.Glob(filepath.Join(c.vdir("example.com/stall"), "v1.0.0.zip*.tmp"))
	if len(temps) != 1 {
		t.Fatalf("temporary zip files: %v", temps)
	}
	lockSnap, tempSnap := snapshot(t, lock), snapshot(t, temps[0])
	for _, opts := range []Options{{}, {Fix: true}} {
		r := c.scan(opts)
		l := lockOf(t, r, lock)
		if !l.Held || len(l.Holders) != 1 || l.Holders[0].PID != cmd.Process.Pid {
			t.Fatalf("lock = %+v; want held by go, pid %d", l, cmd.Process.Pid)
		}
		h := l.Holders[0]
		if !h.GoTool || !strings.Contains(h.Command, "mod download example.com/stall") {
			t.Errorf("holder = %+v; want the go command", h)
		}
		if len(r.Problems) != 0 {
			t.Errorf("problems while go downloads: %+v", r.Problems)
		}
		lockSnap.unchanged(t, lock, "scan of a held lock")
		tempSnap.unchanged(t, temps[0], "scan of a held version")
	}
	hs, err := StuckHolders(ctx, c.root, []string{lock}, 0)
	if err != nil || len(hs) != 1 || hs[0].PID != cmd.Process.Pid {
		t.Fatalf("StuckHolders = %+v, %v", hs, err)
	}
	if adv := hs[0].Advice(); !strings.Contains(adv, "gofast lockcheck --kill-hung") {
		t.Errorf("Advice for a go holder = %q", adv)
	}

	// --kill-hung: go is a go tool holding a lock past the limit.
	r := c.scan(Options{KillHung: time.Nanosecond})
	l := lockOf(t, r, lock)
	if len(l.Holders) != 1 || !l.Holders[0].Signaled {
		t.Fatalf("holders after KillHung = %+v", l.Holders)
	}
	if hung := problemsOf(r, HungHolder); len(hung) != 1 || !hung[0].Fixed || !strings.Contains(hung[0].Detail, "sent SIGTERM") {
		t.Errorf("hung-holder problems = %+v", hung)
	}
	select {
	case err := <-exited:
		ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
			t.Fatalf("go ended with %v, want SIGTERM", err)
		}
		exited <- err // for the cleanup
	case <-ctx.Done():
		t.Fatal("go did not end after SIGTERM")
	}

	// Killed mid-download, go left its temporary zip behind.
	lockSnap.unchanged(t, lock, "kill")
	r = c.scan(Options{})
	if ps := problemsOf(r, TempFile); len(ps) != 1 || ps[0].Path != temps[0] {
		t.Fatalf("leftover-temp problems = %+v", r.Problems)
	}
	r = c.scan(Options{Fix: true})
	if len(r.Remaining()) != 0 || exists(t, temps[0]) {
		t.Fatalf("after fix: %+v; temp exists %v", r.Problems, exists(t, temps[0]))
	}
	lockSnap.unchanged(t, lock, "fix")

	// The mirror recovers: go completes and the cache verifies.
	stall.Store(false)
	for _, args := range [][]string{{"mod", "download", "example.com/stall"}, {"mod", "verify"}} {
		cmd, out := goCommand(ctx, goBin, dir, env, args...)
		if err := cmd.Run(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
	}
	if _, err := os.Stat(filepath.Join(c.vdir("example.com/stall"), "v1.0.0.ziphash")); err != nil {
		t.Error(err)
	}
}
