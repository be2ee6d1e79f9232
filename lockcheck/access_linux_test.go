package lockcheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The tests run as root, who can open any file, so they inject the access
// check: denyUnreadable treats a file with no owner permission bits (chmod
// 000) as unusable, as it is for anyone but root; denyOwner treats anything
// owned by another user, without group or other write bits, as unusable, as
// it is for the current user (root is uid 0 here).
func denyUnreadable(path string, fi fs.FileInfo) error {
	if !fi.IsDir() && fi.Mode().Perm()&0o600 == 0 {
		return &fs.PathError{Op: "open", Path: path, Err: fs.ErrPermission}
	}
	return nil
}

func denyOwner(path string, fi fs.FileInfo) error {
	if uid, ok := fileOwner(fi); ok && uid != currentUID() && fi.Mode().Perm()&0o022 == 0 {
		return &fs.PathError{Op: "open", Path: path, Err: fs.ErrPermission}
	}
	return nil
}

func TestStaleUnusableLock(t *testing.T) {
	c := newFakeCache(t)
	c.version(testMod, testVer)
	lock := c.lockPath(testMod, testVer)
	if err := os.Chmod(lock, 0); err != nil {
		t.Fatal(err)
	}

	r := c.scan(Options{Access: denyUnreadable})
	stale := problemsOf(r, StaleLock)
	if len(stale) != 1 || stale[0].Path != lock || stale[0].Fixed || !strings.Contains(stale[0].Detail, "mode ----------") {
		t.Fatalf("stale-lock problems = %+v", r.Problems)
	}
	if !exists(t, lock) {
		t.Fatal("removed without Fix")
	}

	r = c.scan(Options{Access: denyUnreadable, Fix: true})
	if exists(t, lock) {
		t.Fatalf("stale unusable lock not removed: %+v", r.Problems)
	}
	if l := lockOf(t, r, lock); !l.Removed {
		t.Errorf("lock not reported removed: %+v", l)
	}
	if len(r.Remaining()) != 0 {
		t.Errorf("remaining problems: %+v", r.Remaining())
	}
}

func TestHeldUnusableLockKept(t *testing.T) {
	c := newFakeCache(t)
	c.version(testMod, testVer)
	lock := c.lockPath(testMod, testVer)
	startHelper(t, "hold", lock, "locked")
	if err := os.Chmod(lock, 0); err != nil {
		t.Fatal(err)
	}
	s := snapshot(t, lock)
	r := c.scan(Options{Access: denyUnreadable, Fix: true})
	s.unchanged(t, lock, "fix")
	perm := problemsOf(r, Permission)
	if len(perm) != 1 || perm[0].Fix != "chmod u+rw "+shellQuote(lock) {
		t.Errorf("permission problems = %+v", r.Problems)
	}
}

func TestForeignOwnedCache(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to give files to another user")
	}
	c := newFakeCache(t)
	c.version("example.com/mine", "v1.0.0")
	c.version("example.com/sudo/a", "v1.0.0")
	c.version("example.com/sudo/a", "v1.1.0")
	// What `sudo go mod download` leaves: a module's tree owned by root,
	// here by uid 4242 since the test itself runs as root.
	top := filepath.Join(c.root, "cache", "download", "example.com", "sudo")
	filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			os.Lchown(p, 4242, 4242)
			if !d.IsDir() {
				os.Chmod(p, 0o644)
			} else {
				os.Chmod(p, 0o755)
			}
		}
		return err
	})
	lock := c.lockPath("example.com/sudo/a", "v1.0.0")
	s := snapshot(t, lock)

	r := c.scan(Options{Access: denyOwner, Fix: true})
	s.unchanged(t, lock, "fix")
	perm := problemsOf(r, Permission)
	if len(perm) != 1 {
		t.Fatalf("permission problems = %+v, want one for the whole tree", r.Problems)
	}
	if perm[0].Path != top || perm[0].Fix != "sudo chown -R $(id -u):$(id -g) "+top {
		t.Errorf("problem = %+v; want the chown of %s", perm[0], top)
	}
	if !strings.HasPrefix(perm[0].Detail, "3 lock files and directories owned by uid 4242") {
		t.Errorf("detail = %q", perm[0].Detail)
	}
	if len(problemsOf(r, StaleLock)) != 0 {
		t.Error("a lock in a directory the user cannot write was called stale")
	}
	var st syscall.Stat_t
	if err := syscall.Stat(lock, &st); err != nil || st.Uid != 4242 {
		t.Errorf("owner changed: %v %d", err, st.Uid)
	}
}
