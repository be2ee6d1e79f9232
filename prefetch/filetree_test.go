package prefetch

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/mod/module"
)

// TestFileTreeCannotBeLeft: a file:// GOPROXY entry serves files of its
// tree and nothing else: a path with "..", an absolute one, or one that
// leaves through a symbolic link reads nothing outside (the secret beside
// the tree is never read), while a file inside is served.
func TestFileTreeCannotBeLeft(t *testing.T) {
	root := t.TempDir()
	tree := filepath.Join(root, "tree")
	if err := os.MkdirAll(filepath.Join(tree, "example.com", "a", "@v"), 0o777); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tree, "example.com", "a", "@v", "list"), []byte("v1.0.0\n"), 0o666)
	os.WriteFile(filepath.Join(root, "secret"), []byte("secret"), 0o666)
	links := runtime.GOOS != "windows"
	if links {
		if err := os.Symlink(root, filepath.Join(tree, "out")); err != nil {
			t.Fatal(err)
		}
	}
	src := testSource(t, "file://"+filepath.ToSlash(tree))
	list, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	read := func(rel string) (string, error) {
		var got []byte
		_, err := src.fetchFrom(context.Background(), list, fileReq{
			mod: module.Version{Path: "example.com/a"}, kind: "list", rel: rel,
			consume: func(_ context.Context, r io.Reader) error {
				got, err = io.ReadAll(r)
				return err
			},
		})
		return string(got), err
	}
	if got, err := read("example.com/a/@v/list"); err != nil || got != "v1.0.0\n" {
		t.Fatalf("a file inside the tree: %q, %v", got, err)
	}
	bad := []string{"../secret", "example.com/../../secret", "./../secret", "/" + filepath.ToSlash(filepath.Join(root, "secret")), `..\secret`}
	if links {
		bad = append(bad, "out/secret")
	}
	for _, rel := range bad {
		got, err := read(rel)
		if err == nil || got != "" {
			t.Errorf("%s: read %q, %v; want nothing read and an error", rel, got, err)
		}
		if rel != "out/secret" && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %v, want a not-found error (as a proxy's 404 for a path it does not serve)", rel, err)
		}
	}
}
