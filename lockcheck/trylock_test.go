package lockcheck

import (
	"context"
	"path/filepath"
	"testing"
)

// TestProbeTryLock runs the probe used where the kernel does not name
// holders (and on Linux without /proc): held and free locks are told apart,
// and a lock file that does not exist is not created.
func TestProbeTryLock(t *testing.T) {
	c := newFakeCache(t)
	c.version("example.com/a", "v1.0.0")
	c.version("example.com/b", "v1.0.0")
	held, free := c.lockPath("example.com/a", "v1.0.0"), c.lockPath("example.com/b", "v1.0.0")
	missing := filepath.Join(c.root, "cache", "lock")
	holdInProcess(t, held)
	sc := &scanner{opts: Options{}.defaults(), root: c.root}
	for _, p := range []string{held, free, missing} {
		sc.locks = append(sc.locks, &lockState{Lock: Lock{Path: p}})
	}
	if err := sc.probeTryLock(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !sc.locks[0].Held || sc.locks[1].Held {
		t.Errorf("held = %v, %v; want true, false", sc.locks[0].Held, sc.locks[1].Held)
	}
	if sc.locks[2].Err == "" || !sc.locks[2].unknown {
		t.Errorf("missing lock file: %+v", sc.locks[2])
	}
	if exists(t, missing) {
		t.Error("the probe created a lock file")
	}
	// The probe released the free lock at once.
	holdInProcess(t, free)
}
