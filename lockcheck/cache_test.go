package lockcheck

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/module"
)

// fakeCache builds module-cache layouts in a temporary directory: the files
// the go command writes, without their real content.
type fakeCache struct {
	t    testing.TB
	root string
}

func newFakeCache(t testing.TB) *fakeCache {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &fakeCache{t: t, root: root}
}

// vdir is the @v directory of mod.
func (c *fakeCache) vdir(mod string) string {
	esc, err := module.EscapePath(mod)
	if err != nil {
		c.t.Fatal(err)
	}
	return filepath.Join(c.root, "cache", "download", filepath.FromSlash(esc), "@v")
}

// extractDir is where go extracts mod@ver.
func (c *fakeCache) extractDir(mod, ver string) string {
	esc, _ := module.EscapePath(mod)
	ev, _ := module.EscapeVersion(ver)
	return filepath.Join(c.root, filepath.FromSlash(esc)+"@"+ev)
}

// lockPath is the version lock of mod@ver.
func (c *fakeCache) lockPath(mod, ver string) string {
	ev, _ := module.EscapeVersion(ver)
	return filepath.Join(c.vdir(mod), ev+".lock")
}

// version writes what a completed `go mod download mod@ver` leaves behind,
// plus the named extra files in the @v directory (suffixes such as
// ".zip123.tmp", appended to the escaped version).
func (c *fakeCache) version(mod, ver string, extra ...string) {
	c.t.Helper()
	dir := c.vdir(mod)
	ev, _ := module.EscapeVersion(ver)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		c.t.Fatal(err)
	}
	for _, suffix := range append([]string{".info", ".mod", ".zip", ".ziphash", ".lock"}, extra...) {
		c.write(filepath.Join(dir, ev+suffix), "")
	}
	c.write(filepath.Join(dir, "list"), ver+"\n")
}

// extracted writes an extracted module tree, read-only as go leaves it, and
// with partial a .partial marker beside it.
func (c *fakeCache) extracted(mod, ver string, partial bool) string {
	c.t.Helper()
	dir := c.extractDir(mod, ver)
	c.write(filepath.Join(dir, "go.mod"), "module "+mod+"\n")
	c.write(filepath.Join(dir, "sub", "a.go"), "package sub\n")
	for _, d := range []string{filepath.Join(dir, "sub"), dir} {
		if err := os.Chmod(d, 0o555); err != nil {
			c.t.Fatal(err)
		}
	}
	c.t.Cleanup(func() { removeAll(dir) })
	if partial {
		c.write(dir+".partial", "")
	}
	return dir
}

func (c *fakeCache) write(path, content string) {
	c.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o666); err != nil {
		c.t.Fatal(err)
	}
}

// scan runs Scan on the cache and fails the test on error.
func (c *fakeCache) scan(opts Options) *Report {
	c.t.Helper()
	opts.Root = c.root
	r, err := Scan(context.Background(), opts)
	if err != nil {
		c.t.Fatalf("Scan: %v", err)
	}
	return r
}

// generate writes n module versions (three per module), each with its
// extracted tree, like a cache that has built a large project.
func (c *fakeCache) generate(n int) {
	c.t.Helper()
	for i := 0; i < n; i++ {
		mod := fmt.Sprintf("github.com/Owner%d/repo%d", i/30, i/3)
		ver := fmt.Sprintf("v1.%d.0", i%3)
		c.version(mod, ver)
		dir := c.extractDir(mod, ver)
		for _, f := range []string{"go.mod", "a.go", "b/b.go", "c/d/e.go"} {
			c.write(filepath.Join(dir, f), "package x\n")
		}
	}
}

// lockOf returns the report's entry for path.
func lockOf(t testing.TB, r *Report, path string) Lock {
	t.Helper()
	for _, l := range r.Locks {
		if l.Path == path {
			return l
		}
	}
	t.Fatalf("lock %s not in report (%d locks)", path, len(r.Locks))
	return Lock{}
}

// problemsOf returns the report's problems of kind k.
func problemsOf(r *Report, k Kind) []Problem {
	var out []Problem
	for _, p := range r.Problems {
		if p.Kind == k {
			out = append(out, p)
		}
	}
	return out
}

// fileSnap is a file's identity and size, to prove it was not unlinked,
// replaced, renamed or truncated.
type fileSnap struct {
	info fs.FileInfo
}

func snapshot(t testing.TB, path string) fileSnap {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return fileSnap{fi}
}

// unchanged fails the test unless path is still the same file, same size.
func (s fileSnap) unchanged(t testing.TB, path, after string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("after %s: %v", after, err)
	}
	if !os.SameFile(s.info, fi) || fi.Size() != s.info.Size() {
		t.Fatalf("after %s: %s was replaced or truncated (size %d -> %d)", after, path, s.info.Size(), fi.Size())
	}
}
