//go:build linux

package reliability_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/proxytest"
	"github.com/gofastdev/gofast/mirrors"
	"golang.org/x/mod/module"
)

// sumdbName is the checksum database every good mirror serves.
const sumdbName = "sum.test"

// blackhole is where HTTP_PROXY and HTTPS_PROXY point in every child
// environment: whatever is not on loopback (go's direct mode, a checksum
// database by its public name) fails at once instead of leaving the
// machine.
const blackhole = "http://127.0.0.1:1"

// world is an isolated setting for the real gofast and go: a main module
// whose go.sum covers every module of a good tree, a good mirror serving
// that tree with a checksum database, and environments that reach
// nothing but loopback and never the machine's own caches (except go's
// build cache, which these commands do not use).
type world struct {
	t    testing.TB
	base string
	// dir is the main module.
	dir  string
	mods []proxytest.Module
	// tree is the good bytes: what every cache file is compared with.
	tree *proxytest.Tree
	good *proxytest.Server
}

// newWorld builds mods into a good tree, serves it, and writes a main
// module requiring every module of mods that has a zip.
func newWorld(t testing.TB, mods []proxytest.Module, opts proxytest.Options) *world {
	t.Helper()
	realGo(t)
	tree := proxytest.MustBuild(mods...)
	opts.FS, opts.SumDB, opts.Lookup = tree.FS, sumdbName, tree.Lookup
	w := &world{t: t, base: t.TempDir(), mods: mods, tree: tree}
	w.good = proxytest.New(t, opts)
	w.dir = filepath.Join(w.base, "main")
	var req strings.Builder
	for _, m := range mods {
		if !m.ModOnly {
			fmt.Fprintf(&req, "\t%s %s\n", m.Path, m.Version)
		}
	}
	gomod := "module example.com/main\n\ngo 1.21\n\nrequire (\n" + req.String() + ")\n"
	w.write("main/go.mod", gomod)
	w.write("main/go.sum", tree.GoSum(mods...))
	return w
}

// write writes a file below the world's base directory.
func (w *world) write(rel, content string) string {
	w.t.Helper()
	p := filepath.Join(w.base, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o666); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// scratch returns a new empty directory for one run's caches and home,
// made removable at the end even where go made directories read-only.
func (w *world) scratch(name string) string {
	w.t.Helper()
	d, err := os.MkdirTemp(w.base, strings.NewReplacer("/", "_", " ", "_").Replace(name)+"-")
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { modcache.RemoveAll(d) })
	return d
}

// env is the environment of one run whose scratch directory is run: its
// module cache at run/modcache, its own home, user cache and config
// directories, the good mirror as GOPROXY, its checksum database by URL,
// GOFAST_VERBOSE=1, then extra (later entries win).
func (w *world) env(run string, extra ...string) []string {
	cache := filepath.Join(run, "modcache")
	env := proxytest.GoEnv(os.Environ(), w.good, cache)
	env = append(env,
		"HOME="+filepath.Join(run, "home"),
		"XDG_CACHE_HOME="+filepath.Join(run, "xdg-cache"),
		"XDG_CONFIG_HOME="+filepath.Join(run, "xdg-config"),
		"GOCACHE="+buildCache(w.t),
		"GOFAST_GO="+realGo(w.t),
		"GOSUMDB="+w.good.GOSUMDB+" "+w.good.URL+"/sumdb/"+sumdbName,
		"HTTP_PROXY="+blackhole, "HTTPS_PROXY="+blackhole,
		"NO_PROXY=127.0.0.1,localhost",
		// These tests read what gofast says about each fault, which
		// during a go command (mod download) it says only when asked.
		"GOFAST_VERBOSE=1",
	)
	return append(env, extra...)
}

// cacheOf is the module cache of a run's scratch directory.
func cacheOf(run string) string { return filepath.Join(run, "modcache") }

// gofast runs the gofast binary in the main module.
func (w *world) gofast(timeout time.Duration, env []string, args ...string) *result {
	return run(timeout, w.dir, env, gofastBin(w.t), args...)
}

// goCmd runs the real go tool in the main module.
func (w *world) goCmd(timeout time.Duration, env []string, args ...string) *result {
	return run(timeout, w.dir, env, realGo(w.t), args...)
}

// verify runs `go mod verify` offline on the run's cache and fails the
// test unless every module verifies.
func (w *world) verify(t testing.TB, run string) {
	t.Helper()
	r := w.goCmd(2*time.Minute, w.env(run, "GOPROXY=off"), "mod", "verify")
	if r.code != 0 || !strings.Contains(r.stdout, "all modules verified") {
		t.Errorf("go mod verify on the cache gofast left:\n%s", r)
	}
}

// checkCache fails the test if the module cache holds a temporary file,
// a .partial marker or an extraction temp directory (other than of the
// kinds in allowed, see leftoverKind), or any downloaded or extracted
// file whose bytes are not the good tree's.
func (w *world) checkCache(t testing.TB, cache string, allowed ...string) {
	t.Helper()
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for _, p := range leftovers(cache) {
		if !ok[leftoverKind(p)] {
			t.Errorf("left in the module cache: %s", p)
		}
	}
	dl := filepath.Join(cache, "cache", "download")
	filepath.WalkDir(dl, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, dl+string(filepath.Separator)))
		if d.IsDir() {
			if rel == "sumdb" {
				return fs.SkipDir
			}
			return nil
		}
		if err := w.checkDownloadFile(p, rel); err != nil {
			t.Errorf("cache/download/%s: %v", rel, err)
		}
		return nil
	})
	for _, m := range w.mods {
		if m.ModOnly {
			continue
		}
		if err := w.checkExtracted(cache, m); err != nil {
			t.Errorf("extracted %s@%s: %v", m.Path, m.Version, err)
		}
	}
}

// leftovers lists the temporary files, .partial markers and extraction
// temp directories below root.
func leftovers(root string) []string {
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".partial") || strings.Contains(name, ".tmp-") {
			out = append(out, strings.TrimPrefix(p, root+string(filepath.Separator)))
		}
		return nil
	})
	return out
}

// leftoverKind names the kind of a leftover ("zip temp file", ".partial
// marker", ...), so that the leftovers of two runs can be compared: which
// module's temporary file a failing go leaves depends on timing.
func leftoverKind(p string) string {
	base := filepath.Base(p)
	switch {
	case strings.HasSuffix(base, ".partial"):
		return ".partial marker"
	case strings.Contains(base, ".tmp-"):
		return "extraction temp directory"
	}
	if m := tempName.FindStringSubmatch(base); m != nil {
		return m[1] + " temp file"
	}
	return "temp file " + base
}

var tempName = regexp.MustCompile(`\.(zip|ziphash|mod|info)[0-9]*\.tmp$`)

// checkDownloadFile compares one file of cache/download with the tree.
func (w *world) checkDownloadFile(p, rel string) error {
	dir, file := path.Split(rel)
	if !strings.HasSuffix(dir, "/@v/") {
		return nil
	}
	ext := path.Ext(file)
	switch ext {
	case ".zip", ".mod", ".ziphash", ".info":
	default:
		return nil // lock files, list
	}
	modPath, err := module.UnescapePath(strings.TrimSuffix(dir, "/@v/"))
	if err != nil {
		return err
	}
	version, err := module.UnescapeVersion(strings.TrimSuffix(file, ext))
	if err != nil {
		return err
	}
	got, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	switch ext {
	case ".zip", ".mod":
		want, ok := w.tree.FS[rel]
		if !ok {
			return fmt.Errorf("not a file of the good tree")
		}
		if !bytes.Equal(got, want.Data) {
			return fmt.Errorf("WRONG BYTES: %d bytes differ from the good tree's %d", len(got), len(want.Data))
		}
	case ".ziphash":
		if want := w.tree.Sum[modPath+" "+version]; string(got) != want {
			return fmt.Errorf("WRONG HASH %q, want %q", got, want)
		}
	case ".info":
		var info struct{ Version string }
		if err := json.Unmarshal(got, &info); err != nil || info.Version != version {
			return fmt.Errorf("WRONG .info %q", got)
		}
	}
	return nil
}

// checkExtracted compares m's extracted directory, if present, with its
// good zip: the same files with the same bytes, nothing else.
func (w *world) checkExtracted(cache string, m proxytest.Module) error {
	ep, _ := module.EscapePath(m.Path)
	ev, _ := module.EscapeVersion(m.Version)
	dir := filepath.Join(cache, filepath.FromSlash(ep)+"@"+ev)
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	data := w.tree.FS[ep+"/@v/"+ev+".zip"].Data
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	want := map[string][]byte{}
	prefix := m.Path + "@" + m.Version + "/"
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		want[strings.TrimPrefix(f.Name, prefix)] = b
	}
	var problems []string
	seen := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, dir+string(filepath.Separator)))
		b, ok := want[rel]
		if !ok {
			problems = append(problems, "extra file "+rel)
			return nil
		}
		seen++
		if got, _ := os.ReadFile(p); !bytes.Equal(got, b) {
			problems = append(problems, "WRONG BYTES in "+rel)
		}
		return nil
	})
	if seen != len(want) {
		problems = append(problems, fmt.Sprintf("%d of %d files present", seen, len(want)))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// withProbe returns fsys plus the neutral module gofast probes mirrors
// with, so that a mirror serving it ranks before one that does not.
func withProbe(fsys fstest.MapFS) fstest.MapFS {
	p := mirrors.DefaultProbeModule
	probe := proxytest.MustBuild(proxytest.Module{Path: p.Path, Version: p.Version})
	out := fstest.MapFS{}
	for k, v := range fsys {
		out[k] = v
	}
	for k, v := range probe.FS {
		out[k] = v
	}
	return out
}

// hostOf is the host:port of a server URL, the part of a mirror URL that
// survives redaction.
func hostOf(u string) string {
	_, rest, _ := strings.Cut(u, "://")
	h, _, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(h, "@"); i >= 0 {
		h = h[i+1:]
	}
	return h
}

// snapshot is a module cache's files with sizes, modes and times. Lock
// files, and the directories that only hold them, are left out: taking a
// version's lock before a download that then fails is what go does too,
// and changes nothing a build reads.
type snapshot map[string]string

func takeSnapshot(root string) snapshot {
	s := snapshot{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".lock") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		s[p] = fmt.Sprintf("%v %d %d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	return s
}

// diff lists what changed from s to other.
func (s snapshot) diff(other snapshot) []string {
	var out []string
	for p, v := range s {
		if w, ok := other[p]; !ok {
			out = append(out, "removed "+p)
		} else if v != w {
			out = append(out, "changed "+p)
		}
	}
	for p := range other {
		if _, ok := s[p]; !ok {
			out = append(out, "added "+p)
		}
	}
	sort.Strings(out)
	return out
}
