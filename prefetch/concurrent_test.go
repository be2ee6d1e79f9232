package prefetch

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// randomText is incompressible-ish text, so zips are big on the wire.
func randomText(n int, seed int64) string {
	r := rand.New(rand.NewSource(seed))
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789\n"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[r.Intn(len(letters))]
	}
	return string(b)
}

// TestConcurrentReaderNeverSeesPartialFiles polls every file a go process
// would read while a slow prefetch writes them: whenever a file exists, it
// must be complete, and an extracted directory go would accept (no
// .partial, .ziphash present) must hold every file in full.
func TestConcurrentReaderNeverSeesPartialFiles(t *testing.T) {
	big := "// " + randomText(600<<10, 1) + "\npackage big\n"
	mods := []proxytest.Module{
		{Path: "example.com/big", Version: "v1.0.0", Files: map[string]string{"big.go": "package big\n", "data.txt": big}},
		{Path: "example.com/big2", Version: "v1.2.0", Files: map[string]string{"big2.go": "package big2\n", "data.txt": big[1:]}},
		{Path: "example.com/small", Version: "v0.0.1"},
	}
	tree := proxytest.MustBuild(mods...)
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS, Latency: 5 * time.Millisecond, Bandwidth: 2 << 20})
	cache := newCache(t)
	c := &modcache.Cache{Root: cache}

	done := make(chan struct{})
	var seen, checked atomic.Int64
	errs := make(chan string, 100)
	go func() {
		defer close(errs)
		for {
			select {
			case <-done:
				return
			default:
			}
			for _, m := range mods {
				for _, ext := range []string{"mod", "zip", "ziphash", "info"} {
					// go reads a .ziphash only once the .zip is there
					// (DownloadZip's test), so that is when it must be whole.
					if ext == "ziphash" {
						if _, err := os.Stat(cacheFile(t, cache, m, "zip")); err != nil {
							continue
						}
					}
					data, err := os.ReadFile(cacheFile(t, cache, m, ext))
					if err != nil {
						continue
					}
					seen.Add(1)
					var ok bool
					switch ext {
					case "ziphash":
						ok = string(data) == tree.Sum[m.Path+" "+m.Version]
					case "info":
						ok = json.Valid(data)
					default:
						ok = bytes.Equal(data, tree.FS[treeFile(m, ext)].Data)
					}
					if !ok {
						errs <- "partial or wrong " + ext + " of " + m.Path
					}
				}
				if c.Extracted(mv(m)) {
					dir, _ := c.Dir(mv(m))
					checked.Add(1)
					for name, content := range m.Files {
						data, err := os.ReadFile(filepath.Join(dir, name))
						if err != nil || string(data) != content {
							errs <- "incomplete extracted file " + name + " of " + m.Path
						}
					}
				}
			}
		}
	}()
	rep, err := Run(context.Background(), Options{Settings: settings(cache, srv.URL), Compute: fixedSet(tree, mods), Extract: true, Jobs: 4})
	close(done)
	var bad []string
	for e := range errs {
		bad = append(bad, e)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Fatalf("a concurrent reader saw %d bad files, first: %s", len(bad), bad[0])
	}
	if seen.Load() == 0 || checked.Load() == 0 {
		t.Fatalf("reader observed nothing (files %d, dirs %d): test too fast to mean anything", seen.Load(), checked.Load())
	}
	for _, m := range mods {
		if !c.Extracted(mv(m)) {
			t.Errorf("%s not extracted", m.Path)
		}
		dir, _ := c.Dir(mv(m))
		if fi, err := os.Stat(dir); err != nil || fi.Mode()&0o222 != 0 {
			t.Errorf("%s: extracted dir writable (%v, %v); go makes it read-only", m.Path, fi.Mode(), err)
		}
	}
}

// TestCleansLeftoversOfKilledWriters plants what a writer killed with
// SIGKILL leaves (a zip temp file, a half-extracted directory with its
// .partial marker, a .ziphash without zip) and checks the next prefetch
// repairs the cache as go would.
func TestCleansLeftoversOfKilledWriters(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS})
	cache := newCache(t)
	c := &modcache.Cache{Root: cache}
	dep := testMods[0]
	zip := cacheFile(t, cache, dep, "zip")
	os.MkdirAll(filepath.Dir(zip), 0o777)
	os.WriteFile(zip+"123456.tmp", []byte("half a zip"), 0o666)
	os.WriteFile(zip+"hash", []byte("h1:stale"), 0o666)
	dir, _ := c.Dir(mv(dep))
	os.MkdirAll(dir, 0o777)
	os.WriteFile(filepath.Join(dir, "dep.go"), []byte("package d"), 0o666)
	partial := cacheFile(t, cache, dep, "partial")
	os.WriteFile(partial, nil, 0o666)

	rep, err := Run(context.Background(), Options{Settings: settings(cache, srv.URL), Compute: fixedSet(tree, testMods), Extract: true})
	if err != nil || rep.Err() != nil {
		t.Fatal(err, rep.Err())
	}
	if _, err := os.Stat(zip + "123456.tmp"); err == nil {
		t.Error("zip temp leftover not removed")
	}
	if _, err := os.Stat(partial); err == nil {
		t.Error(".partial left behind")
	}
	data, _ := os.ReadFile(filepath.Join(dir, "dep.go"))
	if string(data) != dep.Files["dep.go"] {
		t.Errorf("half-extracted directory not redone: dep.go = %q", data)
	}
	zh, _ := os.ReadFile(zip + "hash")
	if string(zh) != tree.Sum[dep.Path+" "+dep.Version] {
		t.Errorf("stale ziphash kept: %q", zh)
	}
	if strings.Contains(string(zh), "stale") {
		t.Error("stale")
	}
}
