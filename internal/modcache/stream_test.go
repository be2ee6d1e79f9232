package modcache

import (
	"archive/zip"
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
)

// feed writes data into a new temporary zip of m in c, chunk bytes at a
// time, with an unpacker following it, and returns the stream, closed.
func feed(t *testing.T, c *Cache, m module.Version, data []byte, chunk int, fail bool) (*ZipStream, string) {
	t.Helper()
	f, err := c.CreateTemp(context.Background(), m, "zip")
	if err != nil {
		t.Fatal(err)
	}
	s := c.FollowZip(context.Background(), m, f.Name(), nil, 0)
	n := 0
	for n < len(data) {
		k := min(chunk, len(data)-n)
		if _, err := f.Write(data[n : n+k]); err != nil {
			t.Fatal(err)
		}
		n += k
		s.Wrote(int64(n))
		if fail && n > len(data)/2 {
			f.Close()
			s.Close(errors.New("connection reset"))
			return s, f.Name()
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s.Close(nil)
	return s, f.Name()
}

// moduleZip builds m's zip as a mirror serves it (x/mod/zip.Create).
func moduleZip(t *testing.T, m module.Version, files map[string]string) []byte {
	t.Helper()
	tree := proxytest.MustBuild(proxytest.Module{Path: m.Path, Version: m.Version, Files: files})
	ep, _ := module.EscapePath(m.Path)
	ev, _ := module.EscapeVersion(m.Version)
	return tree.FS[ep+"/@v/"+ev+".zip"].Data
}

func TestStreamStagesLikeStageZip(t *testing.T) {
	m := module.Version{Path: "example.com/a", Version: "v1.0.0"}
	data := moduleZip(t, m, map[string]string{
		"a.go": "package a\n", "x/y/z.go": "package z\n",
		"big.txt":   strings.Repeat("all work and no play ", 50000),
		"empty.txt": "",
	})
	want, err := dirhash.HashZip(writeTemp(t, data), dirhash.DefaultHash)
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{1, 7, 4096, len(data)} {
		checkStreamLikeGoChunks(t, m, data, want, chunk)
	}
}

// checkStreamLikeGo follows data as m's zip while it is written and
// checks the staged and published result is what dirhash.HashZip and
// x/mod/zip.Unzip give.
func checkStreamLikeGo(t *testing.T, m module.Version, data []byte) {
	t.Helper()
	want, err := dirhash.HashZip(writeTemp(t, data), dirhash.DefaultHash)
	if err != nil {
		t.Fatal(err)
	}
	checkStreamLikeGoChunks(t, m, data, want, 64<<10)
}

func checkStreamLikeGoChunks(t *testing.T, m module.Version, data []byte, want string, chunk int) {
	t.Helper()
	c := &Cache{Root: t.TempDir()}
	t.Cleanup(func() { RemoveAll(c.Root) })
	s, _ := feed(t, c, m, data, chunk, false)
	st, ok, err := s.Stage(context.Background(), func(h string) error {
		if h != want {
			t.Errorf("%v, chunk %d: hash %s, want %s", m, chunk, h, want)
		}
		return nil
	})
	if !ok || err != nil {
		t.Fatalf("%v, chunk %d: ok %v, err %v (stream: %v)", m, chunk, ok, err, s.err)
	}
	if err := st.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join(t.TempDir(), "ref")
	t.Cleanup(func() { RemoveAll(ref) })
	if err := unzipRef(ref, m, data); err != nil {
		t.Fatal(err)
	}
	dir, _ := c.Dir(m)
	if a, b := tree(t, dir), tree(t, ref); !equalTrees(a, b) {
		t.Errorf("%v, chunk %d: tree differs from x/mod/zip.Unzip's:\n got %v\nwant %v", m, chunk, a, b)
	}
	checkNoLeftovers(t, c, m)
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "z.zip")
	if err := os.WriteFile(p, data, 0o666); err != nil {
		t.Fatal(err)
	}
	return p
}

func unzipRef(dir string, m module.Version, data []byte) error {
	p := dir + ".zip"
	if err := os.WriteFile(p, data, 0o666); err != nil {
		return err
	}
	defer os.Remove(p)
	if err := unzipWithXMod(dir, m, p); err != nil {
		return err
	}
	makeDirsReadOnly(dir)
	return nil
}

// TestStreamNeverTrustsLocalHeaders feeds zips whose local headers say
// something else than the central directory (what Unzip and HashZip
// read): the stream must not be used, and nothing it wrote may stay.
func TestStreamNeverTrustsLocalHeaders(t *testing.T) {
	m := module.Version{Path: "example.com/dep", Version: "v1.0.0"}
	prefix := "example.com/dep@v1.0.0/"

	// A local entry the central directory does not list, before the
	// listed ones: a zip with data prepended, offsets adjusted.
	evil := zipOf(t, 0, map[string]string{prefix + "evil.go": "package evil\n"})
	cdStart := bytes.LastIndex(evil, []byte("PK\x01\x02"))
	hidden := append(evil[:cdStart:cdStart], zipOf(t, int64(cdStart), map[string]string{prefix + "go.mod": "module example.com/dep\n"})...)

	// A local header naming another file than the central directory.
	renamed := zipOf(t, 0, map[string]string{prefix + "aaaa.go": "package dep\n"})
	copy(renamed[30+len(prefix):], "bbbb")

	// A local header escaping the module directory.
	escape, err := proxytest.RawZip(proxytest.RawFile{Name: prefix + "../../../escaped", Data: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}

	for name, data := range map[string][]byte{"hidden entry": hidden, "renamed entry": renamed, "escaping entry": escape} {
		t.Run(name, func(t *testing.T) {
			c := &Cache{Root: t.TempDir()}
			t.Cleanup(func() { RemoveAll(c.Root) })
			s, tmp := feed(t, c, m, data, 100, false)
			st, ok, err := s.Stage(context.Background(), nil)
			if ok || st != nil || err != nil {
				t.Fatalf("stream used: ok %v, err %v", ok, err)
			}
			if _, err := os.Stat(tmp); err != nil {
				t.Errorf("the zip file is gone: %v", err)
			}
			os.Remove(tmp)
			checkNoLeftovers(t, c, m)
			var found []string
			filepath.WalkDir(c.Root, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					found = append(found, p)
				}
				return nil
			})
			if len(found) > 0 {
				t.Errorf("files left: %v", found)
			}
		})
	}
}

func TestStreamDownloadFails(t *testing.T) {
	m := module.Version{Path: "example.com/a", Version: "v1.0.0"}
	data := moduleZip(t, m, map[string]string{"a.go": "package a\n", "b.txt": strings.Repeat("b", 100000)})
	c := &Cache{Root: t.TempDir()}
	t.Cleanup(func() { RemoveAll(c.Root) })
	s, tmp := feed(t, c, m, data, 1000, true)
	s.Discard()
	os.Remove(tmp)
	checkNoLeftovers(t, c, m)
}

// zipOf writes files with archive/zip, as module zips are written, its
// offsets counted from base.
func zipOf(t *testing.T, base int64, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.SetOffset(base)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
