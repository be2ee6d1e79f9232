package lockcheck

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofrs/flock"
)

// holdInProcess takes path's lock on a descriptor of its own, as another go
// command would: flock (and LockFileEx) locks belong to the open file, so
// Scan's own attempt on a new descriptor fails even in this process.
func holdInProcess(t *testing.T, path string) (release func()) {
	t.Helper()
	fl := flock.New(path, flock.SetFlag(os.O_RDWR))
	ok, err := fl.TryLock()
	if err != nil || !ok {
		t.Fatalf("locking %s: %v %v", path, ok, err)
	}
	t.Cleanup(func() { fl.Unlock() })
	return func() { fl.Unlock() }
}

func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Lstat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func TestFixLeftovers(t *testing.T) {
	const mod, ver = "example.com/Left", "v0.1.0"
	c := newFakeCache(t)
	c.version(mod, ver, ".zip12345.tmp", ".zip999.tmp", ".mod777.tmp")
	extract := c.extracted(mod, ver, true)
	oldTmp := extract + ".tmp-424242"
	c.write(filepath.Join(oldTmp, "go.mod"), "module x\n")
	vdir, lock := c.vdir(mod), c.lockPath(mod, "v0.1.0")
	zipTemps := []string{filepath.Join(vdir, "v0.1.0.zip12345.tmp"), filepath.Join(vdir, "v0.1.0.zip999.tmp")}
	modTemp := filepath.Join(vdir, "v0.1.0.mod777.tmp")
	removable := append([]string{extract, extract + ".partial", oldTmp}, zipTemps...)
	lockSnap := snapshot(t, lock)

	// While the version lock is held the files are a writer's work in
	// progress: not reported, not touched, even with Fix.
	release := holdInProcess(t, lock)
	r := c.scan(Options{Fix: true})
	if len(r.Problems) != 0 {
		t.Errorf("problems while the lock is held: %+v", r.Problems)
	}
	for _, p := range append(removable, modTemp) {
		if !exists(t, p) {
			t.Fatalf("%s removed while the version lock was held", p)
		}
	}
	release()

	// Free, without Fix: reported with the fix, nothing removed.
	r = c.scan(Options{})
	if n := len(problemsOf(r, TempFile)); n != 3 {
		t.Errorf("leftover-temp problems = %d, want 3: %+v", n, r.Problems)
	}
	if n := len(problemsOf(r, Partial)); n != 2 {
		t.Errorf("partial-extraction problems = %d, want 2: %+v", n, r.Problems)
	}
	for _, p := range r.Problems {
		if p.Fixed || p.Fix == "" || p.Detail == "" {
			t.Errorf("problem %+v: want a detail and a fix, not fixed", p)
		}
	}
	for _, p := range removable {
		if !exists(t, p) {
			t.Fatalf("%s removed without Fix", p)
		}
	}

	// Free, with Fix: the zip temps and the partial extraction go; the .mod
	// temp, written by go without the lock, stays and is still reported.
	r = c.scan(Options{Fix: true})
	for _, p := range removable {
		if exists(t, p) {
			t.Errorf("%s not removed", p)
		}
	}
	if !exists(t, modTemp) {
		t.Error(".mod temp file removed, though no lock proves its writer gone")
	}
	remaining := r.Remaining()
	if len(remaining) != 1 || remaining[0].Path != modTemp {
		t.Errorf("remaining problems = %+v, want only the .mod temp file", remaining)
	}
	if fixed := len(r.Problems) - len(remaining); fixed != 4 {
		t.Errorf("%d problems fixed, want 4: %+v", fixed, r.Problems)
	}
	lockSnap.unchanged(t, lock, "fix")
	if s := r.Summary(); !strings.Contains(s, "(4 fixed)") {
		t.Errorf("Summary = %q", s)
	}
}

func TestLeftoverWithoutLockFile(t *testing.T) {
	const mod, ver = "example.com/nolock", "v1.0.0"
	c := newFakeCache(t)
	c.version(mod, ver, ".zip1.tmp")
	lock := c.lockPath(mod, ver)
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	temp := filepath.Join(c.vdir(mod), "v1.0.0.zip1.tmp")
	r := c.scan(Options{Fix: true})
	if !exists(t, temp) {
		t.Fatal("leftover removed without its version lock to prove the writer gone")
	}
	if exists(t, lock) {
		t.Fatal("Scan created a lock file")
	}
	ps := problemsOf(r, TempFile)
	if len(ps) != 1 || ps[0].Fixed || !strings.Contains(ps[0].Detail, "no lock file") {
		t.Errorf("problems = %+v", r.Problems)
	}
}

func TestMissingZiphash(t *testing.T) {
	c := newFakeCache(t)
	c.version("example.com/z", "v1.0.0")
	if err := os.Remove(filepath.Join(c.vdir("example.com/z"), "v1.0.0.ziphash")); err != nil {
		t.Fatal(err)
	}
	r := c.scan(Options{Fix: true})
	ps := problemsOf(r, MissingZiphash)
	if len(ps) != 1 || ps[0].Fixed || ps[0].Fix != "go mod download example.com/z@v1.0.0 (go hashes the zip again and checks it)" {
		t.Errorf("problems = %+v", r.Problems)
	}
	if !exists(t, filepath.Join(c.vdir("example.com/z"), "v1.0.0.zip")) {
		t.Error("zip removed")
	}
}

func TestCleanCache(t *testing.T) {
	c := newFakeCache(t)
	c.version("example.com/a", "v1.0.0")
	c.version("example.com/a", "v1.1.0")
	c.version("github.com/BurntSushi/toml", "v1.3.2")
	c.extracted("example.com/a", "v1.0.0", false)
	c.write(filepath.Join(c.root, "cache", "lock"), "")
	c.write(filepath.Join(c.root, "cache", "vcs", "0123abcd.lock"), "")
	c.write(filepath.Join(c.root, "cache", "download", "sumdb", "sum.example.test", "lookup", "x@v1.0.0.lock"), "")

	r := c.scan(Options{Fix: true})
	if len(r.Problems) != 0 {
		t.Errorf("problems in a clean cache: %+v", r.Problems)
	}
	var paths []string
	for _, l := range r.Locks {
		rel, _ := filepath.Rel(c.root, l.Path)
		paths = append(paths, filepath.ToSlash(rel))
		if l.Held || l.Removed {
			t.Errorf("lock %+v", l)
		}
	}
	want := []string{
		"cache/download/example.com/a/@v/v1.0.0.lock",
		"cache/download/example.com/a/@v/v1.1.0.lock",
		"cache/download/github.com/!burnt!sushi/toml/@v/v1.3.2.lock",
		"cache/lock",
		"cache/vcs/0123abcd.lock",
	}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Errorf("locks found:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
	if l := lockOf(t, r, c.lockPath("github.com/BurntSushi/toml", "v1.3.2")); l.Module != "github.com/BurntSushi/toml" || l.Version != "v1.3.2" {
		t.Errorf("escaped module path not unescaped: %+v", l)
	}
	if s := r.Summary(); s != "5 lock files, none held, no problems" {
		t.Errorf("Summary = %q", s)
	}
}

func TestMissingCache(t *testing.T) {
	r := (&fakeCache{t: t, root: filepath.Join(t.TempDir(), "none")}).scan(Options{Fix: true})
	if len(r.Locks) != 0 || len(r.Problems) != 0 {
		t.Errorf("report of a missing cache: %+v", r)
	}
	if _, err := Scan(t.Context(), Options{}); err == nil {
		t.Error("Scan without a root: no error")
	}
}
