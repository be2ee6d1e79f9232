package app

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSpoolSweep: a proxy's start removes the spools of runs that died
// (their lock free), and keeps a live run's spool and any directory
// without a lock (nothing is removed for its age alone).
func TestSpoolSweep(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("TMP", tmp) // Windows
	live, err := newSpool()
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	dead, err := newSpool()
	if err != nil {
		t.Fatal(err)
	}
	if dead.lock == nil {
		t.Skip("spool locks are not renamed into place here")
	}
	if err := os.WriteFile(filepath.Join(dead.dir, "zip-123"), []byte("partial zip"), 0o666); err != nil {
		t.Fatal(err)
	}
	// The run is killed: the system releases its lock, its files stay.
	dead.lock.Close()
	unlocked := filepath.Join(tmp, "gofast-proxy-old")
	if err := os.Mkdir(unlocked, 0o777); err != nil {
		t.Fatal(err)
	}
	next, err := newSpool()
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	if _, err := os.Stat(dead.dir); !os.IsNotExist(err) {
		t.Errorf("a dead run's spool %s was kept (%v)", dead.dir, err)
	}
	for _, dir := range []string{live.dir, unlocked, next.dir} {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s was removed: %v", dir, err)
		}
	}
	if _, err := os.Stat(filepath.Join(live.dir, spoolLock)); err != nil {
		t.Errorf("the live spool has no lock: %v", err)
	}
	live.Close()
	if _, err := os.Stat(live.dir); !os.IsNotExist(err) {
		t.Errorf("Close kept %s", live.dir)
	}
}
