package modcache

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// tempZip writes data as a downloaded zip of m in c, as the engine does.
func tempZip(t *testing.T, c *Cache, m module.Version, data []byte) string {
	t.Helper()
	f, err := c.CreateTemp(context.Background(), m, "zip")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// tree lists dir as path -> mode and content, for comparing extractions.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		v := info.Mode().String()
		if !d.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(data)
		}
		out[filepath.ToSlash(rel)] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkInstallLikeGo stages and publishes data as m's zip and checks the result is what dirhash.HashZip and x/mod/zip.Unzip (what go
// runs) give: the same hash, the same files with the same modes.
func checkInstallLikeGo(t *testing.T, m module.Version, data []byte) {
	t.Helper()
	c := &Cache{Root: t.TempDir()}
	t.Cleanup(func() { RemoveAll(c.Root) })
	ref := filepath.Join(t.TempDir(), "ref")
	t.Cleanup(func() { RemoveAll(ref) })
	refZip := filepath.Join(t.TempDir(), "ref.zip")
	os.WriteFile(refZip, data, 0o666)
	want, err := dirhash.HashZip(refZip, dirhash.DefaultHash)
	if err != nil {
		t.Fatal(err)
	}
	if err := modzip.Unzip(ref, m, refZip); err != nil {
		t.Fatal(err)
	}
	makeDirsReadOnly(ref)

	tmp := tempZip(t, c, m, data)
	var checked string
	st, err := c.StageZip(context.Background(), m, tmp, true, func(h string) error { checked = h; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if c.Extracted(m) || c.HasZip(m) {
		t.Fatal("staging published something")
	}
	if err := st.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := st.Hash()
	if got != want || checked != want {
		t.Errorf("%v: hash %s (checked %s), dirhash.HashZip says %s", m, got, checked, want)
	}
	dir, _ := c.Dir(m)
	if a, b := tree(t, dir), tree(t, ref); !equalTrees(a, b) {
		t.Errorf("%v: extracted tree differs from x/mod/zip.Unzip's:\n got %v\nwant %v", m, a, b)
	}
	zh, _ := c.File(m, "ziphash")
	if b, _ := os.ReadFile(zh); string(b) != want {
		t.Errorf(".ziphash = %q, want %q", b, want)
	}
	zp, _ := c.File(m, "zip")
	if b, _ := os.ReadFile(zp); !bytes.Equal(b, data) {
		t.Error(".zip is not the downloaded bytes")
	}
	if _, err := os.Stat(tmp); err == nil {
		t.Error("temp zip left behind")
	}
	if !c.Extracted(m) || !c.HasZip(m) {
		t.Errorf("Extracted %v, HasZip %v", c.Extracted(m), c.HasZip(m))
	}
	checkNoLeftovers(t, c, m)
}

// checkNoLeftovers fails if a staging directory or temporary zip of m is
// left in c.
func checkNoLeftovers(t *testing.T, c *Cache, m module.Version) {
	t.Helper()
	dir, _ := c.Dir(m)
	zip, _ := c.File(m, "zip")
	for _, pattern := range []string{dir + ".tmp-*", zip + "*.tmp"} {
		if left, _ := filepath.Glob(pattern); len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
	}
}

func equalTrees(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestStageZipIsHashZipPlusUnzip(t *testing.T) {
	mods := []proxytest.Module{
		{Path: "example.com/a", Version: "v1.0.0", Files: map[string]string{"a.go": "package a\n", "x/y/z.go": "package z\n", "x/y/w.txt": strings.Repeat("w", 100000)}},
		{Path: "example.com/Upper/v2", Version: "v2.0.0-RC1", Files: map[string]string{"u.go": "package u\n"}},
		{Path: "example.com/empty", Version: "v0.1.0"},
	}
	tree := proxytest.MustBuild(mods...)
	for _, pm := range mods {
		m := module.Version{Path: pm.Path, Version: pm.Version}
		ep, _ := module.EscapePath(m.Path)
		ev, _ := module.EscapeVersion(m.Version)
		checkInstallLikeGo(t, m, tree.FS[ep+"/@v/"+ev+".zip"].Data)
	}
	// Directory entries count in the hash and are not created.
	m := module.Version{Path: "example.com/dirs", Version: "v1.0.0"}
	data, err := proxytest.RawZip(
		proxytest.RawFile{Name: "example.com/dirs@v1.0.0/"},
		proxytest.RawFile{Name: "example.com/dirs@v1.0.0/sub/"},
		proxytest.RawFile{Name: "example.com/dirs@v1.0.0/sub/f.go", Data: []byte("package sub\n")},
		proxytest.RawFile{Name: "example.com/dirs@v1.0.0/go.mod", Data: []byte("module example.com/dirs\n")},
	)
	if err != nil {
		t.Fatal(err)
	}
	checkInstallLikeGo(t, m, data)
}

// TestCorpusZips stages every zip of the gin corpus tree
// (GOFAST_CORPUS_PROXY), when present, and checks the result is what
// dirhash.HashZip and x/mod/zip.Unzip give: every other zip from the
// downloaded file (StageZip), the others while they are being written
// (FollowZip).
func TestCorpusZips(t *testing.T) {
	root := os.Getenv("GOFAST_CORPUS_PROXY")
	if root == "" || testing.Short() {
		t.Skip("GOFAST_CORPUS_PROXY is not set")
	}
	dl := filepath.Join(root, "gin", "cache", "download")
	n := 0
	filepath.WalkDir(dl, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".zip") {
			return err
		}
		rel, _ := filepath.Rel(dl, p)
		ep, file, _ := strings.Cut(filepath.ToSlash(rel), "/@v/")
		path, err1 := module.UnescapePath(ep)
		vers, err2 := module.UnescapeVersion(strings.TrimSuffix(file, ".zip"))
		if err1 != nil || err2 != nil {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m := module.Version{Path: path, Version: vers}
		if n%2 == 0 {
			checkInstallLikeGo(t, m, data)
		} else {
			checkStreamLikeGo(t, m, data)
		}
		n++
		return nil
	})
	if n == 0 {
		t.Skip("no corpus zips")
	}
	t.Logf("%d zips staged like go", n)
}

func TestStageZipRefusesWrongBytes(t *testing.T) {
	m := module.Version{Path: "example.com/dep", Version: "v1.0.0"}
	good, err := proxytest.RawZip(proxytest.RawFile{Name: "example.com/dep@v1.0.0/go.mod", Data: []byte("module example.com/dep\n")})
	if err != nil {
		t.Fatal(err)
	}
	lying, err := proxytest.RawZip(
		proxytest.RawFile{Name: "example.com/dep@v1.0.0/go.mod", Data: []byte("module example.com/dep\n")},
		proxytest.RawFile{Name: "example.com/dep@v1.0.0/big.txt", Data: []byte(strings.Repeat("x", 64<<10)), DeclaredSize: 10},
	)
	if err != nil {
		t.Fatal(err)
	}
	refuse := errors.New("checksum mismatch")
	for _, tc := range []struct {
		name  string
		data  []byte
		check func(string) error
		is    func(error) bool
	}{
		{"hash refused", good, func(string) error { return refuse }, func(err error) bool { return errors.Is(err, refuse) }},
		{"size lie", lying, nil, func(err error) bool { var ce *ZipContentError; return errors.As(err, &ce) }},
		{"not a zip", []byte("<html>"), nil, func(err error) bool { var ce *ZipContentError; return errors.As(err, &ce) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Cache{Root: t.TempDir()}
			t.Cleanup(func() { RemoveAll(c.Root) })
			tmp := tempZip(t, c, m, tc.data)
			_, err := c.StageZip(context.Background(), m, tmp, true, tc.check)
			if err == nil || !tc.is(err) {
				t.Fatalf("err = %v", err)
			}
			checkNoLeftovers(t, c, m)
			dir, _ := c.Dir(m)
			for _, p := range []string{dir, tmp} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("%s left behind", p)
				}
			}
			for _, suffix := range []string{"zip", "ziphash", "partial"} {
				p, _ := c.File(m, suffix)
				if _, err := os.Stat(p); err == nil {
					t.Errorf(".%s left behind", suffix)
				}
			}
		})
	}
}

func TestStagedDiscardAndRaces(t *testing.T) {
	m := module.Version{Path: "example.com/dep", Version: "v1.0.0"}
	data, err := proxytest.RawZip(
		proxytest.RawFile{Name: "example.com/dep@v1.0.0/go.mod", Data: []byte("module example.com/dep\n")},
		proxytest.RawFile{Name: "example.com/dep@v1.0.0/a/a.go", Data: []byte("package a\n")},
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stage := func(t *testing.T, c *Cache, extract bool) *Staged {
		t.Helper()
		st, err := c.StageZip(ctx, m, tempZip(t, c, m, data), extract, nil)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	newCache := func(t *testing.T) *Cache {
		c := &Cache{Root: t.TempDir()}
		t.Cleanup(func() { RemoveAll(c.Root) })
		return c
	}

	t.Run("discard", func(t *testing.T) {
		c := newCache(t)
		for _, extract := range []bool{false, true} {
			stage(t, c, extract).Discard()
		}
		checkNoLeftovers(t, c, m)
		dir, _ := c.Dir(m)
		if _, err := os.Stat(dir); err == nil {
			t.Error("module directory created")
		}
	})

	t.Run("leftovers of others go, ours stays", func(t *testing.T) {
		c := newCache(t)
		dir, _ := c.Dir(m)
		os.MkdirAll(dir+".tmp-1", 0o777) // a killed extractor's
		os.MkdirAll(dir, 0o777)          // a half-extracted tree
		os.WriteFile(filepath.Join(dir, "junk"), nil, 0o666)
		partial, _ := c.File(m, "partial")
		os.WriteFile(partial, nil, 0o666)
		st := stage(t, c, true)
		if err := st.Publish(ctx); err != nil {
			t.Fatal(err)
		}
		if !c.Extracted(m) {
			t.Fatal("not extracted")
		}
		if _, err := os.Stat(filepath.Join(dir, "junk")); err == nil {
			t.Error("old half-extracted tree kept")
		}
		if _, err := os.Stat(filepath.Join(dir, "a", "a.go")); err != nil {
			t.Error(err)
		}
		checkNoLeftovers(t, c, m)
	})

	t.Run("someone else published first", func(t *testing.T) {
		c := newCache(t)
		other := stage(t, c, false)
		mine := stage(t, c, true)
		if err := other.Publish(ctx); err != nil {
			t.Fatal(err)
		}
		zip, _ := c.File(m, "zip")
		before, _ := os.Stat(zip)
		if err := mine.Publish(ctx); err != nil {
			t.Fatal(err)
		}
		after, _ := os.Stat(zip)
		if !os.SameFile(before, after) {
			t.Error("the zip another process published was replaced")
		}
		if !c.Extracted(m) {
			t.Error("our verified tree was not used")
		}
		checkNoLeftovers(t, c, m)
	})

	t.Run("hash only", func(t *testing.T) {
		c := newCache(t)
		st := stage(t, c, false)
		if err := st.Publish(ctx); err != nil {
			t.Fatal(err)
		}
		if !c.HasZip(m) || c.Extracted(m) {
			t.Errorf("HasZip %v, Extracted %v", c.HasZip(m), c.Extracted(m))
		}
		checkNoLeftovers(t, c, m)
	})
}

func unzipWithXMod(dir string, m module.Version, zipFile string) error {
	return modzip.Unzip(dir, m, zipFile)
}
