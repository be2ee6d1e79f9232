package doctor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
)

func TestWritableCheckLeavesNothingBehind(t *testing.T) {
	root := t.TempDir()
	if c := writableCheck(root); c.Status != Pass || !strings.Contains(c.Detail, "does not exist yet") {
		t.Errorf("missing cache dir: %s %q", c.Status, c.Detail)
	}
	if _, err := os.Stat(filepath.Join(root, "cache")); !os.IsNotExist(err) {
		t.Fatalf("writableCheck created the cache directory: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(root, "cache", "download"), 0o777); err != nil {
		t.Fatal(err)
	}
	if c := writableCheck(root); c.Status != Pass || !strings.Contains(c.Detail, "writable") {
		t.Errorf("writable cache: %s %q", c.Status, c.Detail)
	}
	entries, err := os.ReadDir(filepath.Join(root, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "download" {
		t.Errorf("cache/ holds %v after the check", entries)
	}
}

func TestWritableCheckReadOnly(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("directory permissions do not stop file creation on Windows")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "cache")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if f, err := os.CreateTemp(dir, "probe"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skip("running with privileges that ignore directory permissions")
	}
	c := writableCheck(root)
	if c.Status != Fail || !strings.Contains(c.Detail, "permission denied") || !strings.Contains(c.Fix, "chown -R") {
		t.Errorf("read-only cache: %+v", c)
	}
}

func TestWritableCheckNotADirectory(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "cache"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if c := writableCheck(root); c.Status != Fail || !strings.Contains(c.Detail, "cannot create files") {
		t.Errorf("cache/ a file: %+v", c)
	}
}

func TestVolumeCheck(t *testing.T) {
	c := volumeCheck(filepath.Join(t.TempDir(), "not", "yet"))
	switch runtime.GOOS {
	case "linux", "darwin", "windows":
		if c.Status == Skip || !strings.Contains(c.Detail, "free") {
			t.Errorf("volume check = %s %q", c.Status, c.Detail)
		}
	}
}

func TestLockCheck(t *testing.T) {
	if c := lockCheck(context.Background(), nil, "/cache"); c.Status != Skip {
		t.Errorf("no scanner: %+v", c)
	}
	scan := func(ctx context.Context, root string) (string, []string, error) {
		return "12 lock files, none held, 4 problems", []string{"p1", "p2", "p3", "p4"}, nil
	}
	c := lockCheck(context.Background(), scan, "/cache")
	if c.Status != Warn || c.Fix != "gofast lockcheck" || !strings.Contains(c.Detail, "p1; p2; p3; 1 more") {
		t.Errorf("problems: %+v", c)
	}
	failing := func(ctx context.Context, root string) (string, []string, error) { return "", nil, errors.New("boom") }
	if c := lockCheck(context.Background(), failing, "/cache"); c.Status != Warn || !strings.Contains(c.Detail, "boom") {
		t.Errorf("error: %+v", c)
	}
}

func TestCheckCacheBoundsAHungScan(t *testing.T) {
	o := Options{
		Settings: &goenv.Settings{GOMODCACHE: t.TempDir()},
		LockScan: func(ctx context.Context, root string) (string, []string, error) {
			<-ctx.Done()
			return "late", nil, nil
		},
	}
	start := time.Now()
	checks := checkCache(context.Background(), o, 300*time.Millisecond)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("checkCache took %v with a 300ms limit", elapsed)
	}
	last := checks[len(checks)-1]
	if last.Status != Fail || !strings.Contains(last.Detail, "did not finish") || last.Target != o.Settings.GOMODCACHE {
		t.Errorf("hung scan: %+v", last)
	}
}

func TestFmtBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1 << 10: "1.0 KiB", 3 << 29: "1.5 GiB"} {
		if got := fmtBytes(n); got != want {
			t.Errorf("fmtBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
