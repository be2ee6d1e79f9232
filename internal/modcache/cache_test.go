package modcache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
)

var dep = module.Version{Path: "example.com/Dep", Version: "v1.2.3-RC1"}

func TestPathsAreGos(t *testing.T) {
	c := &Cache{Root: "/c"}
	for _, tc := range []struct {
		suffix, want string
	}{
		{"zip", "/c/cache/download/example.com/!dep/@v/v1.2.3-!r!c1.zip"},
		{"lock", "/c/cache/download/example.com/!dep/@v/v1.2.3-!r!c1.lock"},
		{"partial", "/c/cache/download/example.com/!dep/@v/v1.2.3-!r!c1.partial"},
	} {
		got, err := c.File(dep, tc.suffix)
		if err != nil || filepath.ToSlash(got) != tc.want {
			t.Errorf("File(%s) = %s, %v; want %s", tc.suffix, got, err, tc.want)
		}
	}
	dir, _ := c.Dir(dep)
	if filepath.ToSlash(dir) != "/c/example.com/!dep@v1.2.3-!r!c1" {
		t.Errorf("Dir = %s", dir)
	}
	if _, err := c.File(module.Version{Path: "x.com/a", Version: "v1.0"}, "zip"); err == nil {
		t.Error("non-canonical version accepted")
	}
	if _, err := (&Cache{Root: "rel"}).File(dep, "zip"); !errors.Is(err, ErrRelativeRoot) {
		t.Errorf("relative root: %v", err)
	}
}

func TestPublishModRewritesList(t *testing.T) {
	c := &Cache{Root: t.TempDir()}
	ctx := context.Background()
	for _, v := range []string{"v1.10.0", "v1.2.0", "v0.0.0-20200101000000-abcdefabcdef"} {
		if err := c.PublishMod(ctx, module.Version{Path: "example.com/a", Version: v}, []byte("module example.com/a\n")); err != nil {
			t.Fatal(err)
		}
	}
	dir, _ := c.DownloadDir("example.com/a")
	list, _ := os.ReadFile(filepath.Join(dir, "list"))
	if want := "v0.0.0-20200101000000-abcdefabcdef\nv1.2.0\nv1.10.0\n"; string(list) != want {
		t.Errorf("list = %q, want %q", list, want)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temp file left: %s", e.Name())
		}
	}
}

func TestPublishZipRefusesBadHash(t *testing.T) {
	c := &Cache{Root: t.TempDir()}
	ctx := context.Background()
	f, err := c.CreateTemp(ctx, dep, "zip")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(f.Name()), "v1.2.3-!r!c1.zip") || !strings.HasSuffix(f.Name(), ".tmp") {
		t.Errorf("temp name %s does not follow go's pattern", f.Name())
	}
	f.WriteString("not a zip")
	f.Close()
	if _, err := c.PublishZip(ctx, dep, f.Name(), nil); err == nil {
		t.Fatal("garbage zip published")
	}
	if c.HasZip(dep) {
		t.Error("HasZip after failed publish")
	}
	if _, err := os.Stat(f.Name()); err == nil {
		t.Error("temp file not removed after failure")
	}
}

func TestCacheInfo(t *testing.T) {
	m := module.Version{Path: "example.com/a", Version: "v1.0.0"}
	for _, tc := range []struct {
		name, in, want string
		bad            bool
	}{
		{"plain", `{"Version":"v1.0.0","Time":"2024-01-02T03:04:05Z"}`, `{"Version":"v1.0.0","Time":"2024-01-02T03:04:05Z"}`, false},
		{"origin cleaned", `{"Version":"v1.0.0","Time":"2024-01-02T03:04:05Z","Origin":{"VCS":"git","URL":"https://x","Hash":"abc","Ref":"refs/tags/v1.0.0","TagSum":"t1:x","RepoSum":"r1:y"}}`,
			`{"Version":"v1.0.0","Time":"2024-01-02T03:04:05Z","Origin":{"VCS":"git","URL":"https://x","Hash":"abc","Ref":"refs/tags/v1.0.0"}}`, false},
		{"other version", `{"Version":"v1.0.1"}`, "", true},
		{"html", `<html></html>`, "", true},
	} {
		got, err := CacheInfo(m, []byte(tc.in))
		if (err != nil) != tc.bad || string(got) != tc.want {
			t.Errorf("%s: CacheInfo = %s, %v", tc.name, got, err)
		}
	}
}

// TestInfoVersion: an .info answer is held to go's rules for the query
// it answers: exactly the version asked for a canonical version valid for
// the path, and for any other query (branch, commit, +meta, v2.0.0 of a
// path without /v2) a valid canonical version, which may differ.
func TestInfoVersion(t *testing.T) {
	for _, tc := range []struct {
		path, query, answer, want string
	}{
		{"golang.org/x/text", "master", "v0.21.0", "v0.21.0"},
		{"example.com/m", "main", "v0.0.0-20240102030405-0123456789ab", "v0.0.0-20240102030405-0123456789ab"},
		{"example.com/m", "0123456789ab", "v1.1.0", "v1.1.0"},
		{"example.com/m", "v1.1.0+meta", "v1.1.0", "v1.1.0"},
		{"example.com/m", "v2.0.0", "v2.0.0+incompatible", "v2.0.0+incompatible"},
		{"example.com/m", "v1.0.0", "v1.0.0", "v1.0.0"},
		{"example.com/m", "v1.0.0", "v1.0.1", ""},
		{"example.com/m", "master", "v1.2", ""},
		{"example.com/m", "master", "v1.1.0+meta", ""},
		{"example.com/m", "master", "master", ""},
		{"example.com/m", "master", "", ""},
	} {
		m := module.Version{Path: tc.path, Version: tc.query}
		data := []byte(`{"Version":"` + tc.answer + `","Time":"2024-01-02T03:04:05Z"}`)
		got, err := InfoVersion(m, data)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("InfoVersion(%s@%s, %s) = %q, %v; want %q", tc.path, tc.query, tc.answer, got, err, tc.want)
		}
		clean, err := CacheInfo(m, data)
		if (err != nil) != (tc.want == "") || (err == nil && !strings.Contains(string(clean), `"`+tc.want+`"`)) {
			t.Errorf("CacheInfo(%s@%s, %s) = %s, %v", tc.path, tc.query, tc.answer, clean, err)
		}
	}
}
