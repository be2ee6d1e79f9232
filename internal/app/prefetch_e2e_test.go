package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// e2eMods is the module graph of the end-to-end project: main imports
// other/v2 and Upper; other/v2 requires dep.
var e2eMods = []proxytest.Module{
	{Path: "example.com/dep", Version: "v1.0.0"},
	{Path: "example.com/dep", Version: "v1.1.0"},
	{Path: "example.com/other/v2", Version: "v2.3.4", GoMod: "module example.com/other/v2\n\ngo 1.21\n\nrequire example.com/dep v1.1.0\n",
		Files: map[string]string{"other.go": "package other\n\nimport _ \"example.com/dep\"\n"}},
	{Path: "example.com/Upper", Version: "v0.1.0"},
}

// e2e is an isolated world for the real go tool: a mirror with a checksum
// database, a project whose go.sum go itself wrote, and helpers to run go
// and gofast there.
type e2e struct {
	t    *testing.T
	srv  *proxytest.Server
	dir  string
	base string
	goT  string
}

func newE2E(t *testing.T) *e2e { return newE2EWith(t, nil, nil) }

// newE2EWith is newE2E with more modules on the mirror (a fake toolchain)
// and fault asked for every request (nil: none).
func newE2EWith(t *testing.T, more []proxytest.Module, fault func(*http.Request) proxytest.Fault) *e2e {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	tree := proxytest.MustBuild(append(append([]proxytest.Module(nil), e2eMods...), more...)...)
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup, Fault: fault})
	w := &e2e{t: t, srv: srv, dir: t.TempDir(), base: t.TempDir(), goT: goTool}
	os.WriteFile(filepath.Join(w.dir, "go.mod"), []byte("module example.com/main\n\ngo 1.21\n\nrequire (\n\texample.com/other/v2 v2.3.4\n\texample.com/Upper v0.1.0\n)\n"), 0o666)
	os.WriteFile(filepath.Join(w.dir, "main.go"), []byte("package main\n\nimport (\n\t_ \"example.com/other/v2\"\n\t_ \"example.com/Upper\"\n)\n\nfunc main() {}\n"), 0o666)
	// go writes go.sum itself, into a scratch cache.
	w.goRun(w.cache("scratch"), nil, "mod", "tidy")
	return w
}

// cache returns a named empty module cache, removable at the end.
func (w *e2e) cache(name string) string {
	c := filepath.Join(w.base, name)
	os.MkdirAll(c, 0o777)
	w.t.Cleanup(func() { modcache.RemoveAll(c) })
	return c
}

// env is the environment for go and gofast with modcache as GOMODCACHE.
func (w *e2e) env(modcache string, extra ...string) []string {
	env := proxytest.GoEnv(os.Environ(), w.srv, modcache)
	env = append(env, "XDG_CACHE_HOME="+filepath.Join(w.base, "xdg"), "GOFAST_TTL=0",
		// go keeps checksum-database state in GOPATH/pkg/sumdb: one per test,
		// since every test server signs with a new key.
		"GOPATH="+filepath.Join(w.base, "gopath"))
	return append(append(env, "GOCACHE="+goCache(w.t)), extra...)
}

var (
	goCacheOnce sync.Once
	goCacheDir  string
)

// goCache is the build cache to keep (XDG_CACHE_HOME is per test, and go
// would otherwise rebuild the standard library in every test).
func goCache(t *testing.T) string {
	goCacheOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOCACHE").Output()
		if err == nil {
			goCacheDir = strings.TrimSpace(string(out))
		}
	})
	if goCacheDir == "" {
		return filepath.Join(t.TempDir(), "gocache")
	}
	return goCacheDir
}

func (w *e2e) goRun(modcache string, extra []string, args ...string) string {
	w.t.Helper()
	cmd := exec.Command(w.goT, args...)
	cmd.Dir = w.dir
	cmd.Env = w.env(modcache, extra...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		w.t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// gofast runs gofast's own command in-process.
func (w *e2e) gofast(modcache string, args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = Run(context.Background(), Options{
		Args:   append([]string{"gofast"}, args...),
		Env:    w.env(modcache),
		Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""),
	})
	return out.String(), errb.String(), err
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// gofastBinary builds gofast once per test run (for commands that hand
// the process over to go, which cannot run in-process).
func gofastBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gofast-e2e")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "gofast")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/gofastdev/gofast").CombinedOutput()
		if err != nil {
			binErr = &ExitError{Code: 1, Err: errorString(string(out))}
		}
	})
	if binErr != nil {
		t.Fatalf("building gofast: %v", binErr)
	}
	return binPath
}

type errorString string

func (e errorString) Error() string { return string(e) }

// downloadFiles lists the .info, .mod, .zip and .ziphash files of a cache.
func downloadFiles(t *testing.T, modcache string) []string {
	t.Helper()
	root := filepath.Join(modcache, "cache", "download")
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		switch filepath.Ext(p) {
		case ".info", ".mod", ".zip", ".ziphash":
			if strings.Contains(p, string(filepath.Separator)+"sumdb"+string(filepath.Separator)) {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func TestPrefetchThenOfflineBuildAndVerify(t *testing.T) {
	w := newE2E(t)
	cache := w.cache("c")
	stdout, stderr, err := w.gofast(cache, "prefetch", "-C", w.dir, "--json")
	if err != nil {
		t.Fatalf("gofast prefetch: %v\n%s", err, stderr)
	}
	var rep struct {
		Fetched int `json:"fetched"`
		Failed  int `json:"failed"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout)
	}
	if rep.Fetched == 0 || rep.Failed != 0 {
		t.Fatalf("report %+v\n%s", rep, stderr)
	}
	if !strings.Contains(stderr, "gofast: prefetched") {
		t.Errorf("no summary line on stderr: %q", stderr)
	}
	w.goRun(cache, []string{"GOPROXY=off"}, "build", "./...")
	if out := w.goRun(cache, []string{"GOPROXY=off"}, "mod", "verify"); !strings.Contains(out, "all modules verified") {
		t.Errorf("go mod verify: %s", out)
	}
}

func TestModDownloadLeavesWhatGoLeaves(t *testing.T) {
	w := newE2E(t)
	bin := gofastBinary(t)
	ours, theirs := w.cache("gofast"), w.cache("go")
	cmd := exec.Command(bin, "mod", "download")
	// GOFAST_VERBOSE=1: the summary line shows that gofast prefetched.
	cmd.Dir, cmd.Env = w.dir, w.env(ours, "GOFAST_VERBOSE=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gofast mod download: %v\n%s", err, out)
	} else if !strings.Contains(string(out), "gofast: prefetched") {
		t.Errorf("gofast did not prefetch: %s", out)
	}
	w.goRun(theirs, nil, "mod", "download")
	got, want := downloadFiles(t, ours), downloadFiles(t, theirs)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cache/download differs:\ngofast: %v\ngo:     %v", got, want)
	}
	for _, f := range want {
		if strings.HasSuffix(f, ".zip") || strings.HasSuffix(f, ".ziphash") || strings.HasSuffix(f, ".mod") {
			a, _ := os.ReadFile(filepath.Join(ours, "cache", "download", f))
			b, _ := os.ReadFile(filepath.Join(theirs, "cache", "download", f))
			if !bytes.Equal(a, b) {
				t.Errorf("%s differs", f)
			}
		}
	}
	if out := w.goRun(ours, []string{"GOPROXY=off"}, "mod", "verify"); !strings.Contains(out, "all modules verified") {
		t.Errorf("go mod verify: %s", out)
	}
}

func TestOutputDirServesGoOffline(t *testing.T) {
	w := newE2E(t)
	out := filepath.Join(w.base, "bundle")
	if _, stderr, err := w.gofast(w.cache("c"), "prefetch", "-C", w.dir, "-o", out); err != nil {
		t.Fatalf("gofast prefetch -o: %v\n%s", err, stderr)
	}
	if list, err := os.ReadFile(filepath.Join(out, "example.com", "dep", "@v", "list")); err != nil || string(list) != "v1.1.0\n" {
		t.Errorf("bundle list = %q, %v", list, err)
	}
	fresh := w.cache("fresh")
	args := []string{"mod", "download"}
	extra := []string{"GOPROXY=file://" + filepath.ToSlash(out), "GOFLAGS=-mod=mod"}
	// Without a network at all when unprivileged namespaces work here.
	if exec.Command("unshare", "-rn", "true").Run() == nil {
		cmd := exec.Command("unshare", append([]string{"-rn", w.goT}, args...)...)
		cmd.Dir, cmd.Env = w.dir, w.env(fresh, extra...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("offline go mod download from the bundle: %v\n%s", err, b)
		}
		t.Log("ran in a network namespace with no network")
	} else {
		w.goRun(fresh, extra, args...)
		t.Log("unshare unavailable: GOPROXY=file:// only")
	}
	w.goRun(fresh, []string{"GOPROXY=off"}, "build", "./...")
}

func TestWarmBuildSkipsGoEnvWhenUnchanged(t *testing.T) {
	w := newE2E(t)
	cache := w.cache("c")
	ctx := context.Background()
	build := []string{"build", "./..."}
	wd, _ := os.Getwd()
	if err := os.Chdir(w.dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var stderr bytes.Buffer
	s := &session{opts: Options{Stderr: &stderr}, env: w.env(cache)}
	s.warm(ctx, s.route(build))
	if len(s.settings) != 1 {
		t.Fatalf("first warm-up did not read go's settings")
	}
	if files := downloadFiles(t, cache); len(files) == 0 {
		t.Fatalf("first warm-up fetched nothing: %s", stderr.String())
	}
	s2 := &session{opts: Options{Stderr: &stderr}, env: w.env(cache)}
	s2.warm(ctx, s2.route(build))
	if len(s2.settings) != 0 {
		t.Errorf("unchanged module re-ran go env")
	}
	// A changed go.sum invalidates the record.
	f, _ := os.OpenFile(filepath.Join(w.dir, "go.sum"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("\n")
	f.Close()
	s3 := &session{opts: Options{Stderr: &stderr}, env: w.env(cache)}
	s3.warm(ctx, s3.route(build))
	if len(s3.settings) != 1 {
		t.Errorf("changed go.sum did not re-check")
	}
}

// TestWarmBuildStampInWorkspace: in workspace mode the warm check is as
// cheap as in a module (no go env when nothing changed), and a change to
// go.work, go.work.sum or a used module's go.sum makes it check again.
func TestWarmBuildStampInWorkspace(t *testing.T) {
	w := newE2E(t)
	cache := w.cache("c")
	ctx := context.Background()
	build := []string{"build", "./..."}
	if err := os.WriteFile(filepath.Join(w.dir, "go.work"), []byte("go 1.21\n\nuse .\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(w.dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var stderr bytes.Buffer
	warm := func() int {
		s := &session{opts: Options{Stderr: &stderr}, env: w.env(cache, "GOWORK=")}
		if _, err := s.warm(ctx, s.route(build)); err != nil {
			t.Fatalf("warm-up: %v\n%s", err, stderr.String())
		}
		return len(s.settings)
	}
	if warm() != 1 {
		t.Fatal("first warm-up did not read go's settings")
	}
	if files := downloadFiles(t, cache); len(files) == 0 {
		t.Fatalf("first warm-up fetched nothing in workspace mode: %s", stderr.String())
	}
	if warm() != 0 {
		t.Error("unchanged workspace re-ran go env")
	}
	later := time.Now().Add(2 * time.Second)
	for _, change := range []func() error{
		func() error { return os.WriteFile(filepath.Join(w.dir, "go.work.sum"), nil, 0o666) },
		func() error { return os.Chtimes(filepath.Join(w.dir, "go.work"), later, later) },
		func() error { return os.Chtimes(filepath.Join(w.dir, "go.sum"), later, later) },
	} {
		if err := change(); err != nil {
			t.Fatal(err)
		}
		if warm() != 1 {
			t.Errorf("a changed workspace file did not re-check")
		}
		if warm() != 0 {
			t.Errorf("the re-check left no record")
		}
		later = later.Add(time.Second)
	}
}

func TestModDownloadTargets(t *testing.T) {
	for _, tc := range []struct {
		args []string
		only []string
		ok   bool
	}{
		{nil, nil, true},
		{[]string{"-x", "-json"}, nil, true},
		{[]string{"all"}, nil, true},
		{[]string{"example.com/a@v1.2.3", "example.com/b@v0.1.0"}, []string{"example.com/a@v1.2.3", "example.com/b@v0.1.0"}, true},
		{[]string{"example.com/a@latest"}, nil, false},
		{[]string{"example.com/a"}, nil, false},
		{[]string{"example.com/a@v1.2"}, nil, false},
		{[]string{"-modfile=alt.mod"}, nil, false},
	} {
		only, ok := modDownloadTargets(tc.args)
		var got []string
		for _, m := range only {
			got = append(got, m.String())
		}
		if ok != tc.ok || strings.Join(got, " ") != strings.Join(tc.only, " ") {
			t.Errorf("modDownloadTargets(%q) = %v, %v; want %v, %v", tc.args, got, ok, tc.only, tc.ok)
		}
	}
}

// TestWarmModsOnlyFetchesNoZip: go list -m, go mod graph and go mod verify
// read go.mod files only, so they get no warm-up, which would fetch zips
// (go alone writes none; cmd/go's mod_update_sum_readonly and mod_verify
// scripts check it), and nothing records the cache as warm for a build
// that needs the zips. TestWarmUpLeavesGosCache compares the whole cache
// with go alone's.
func TestWarmModsOnlyFetchesNoZip(t *testing.T) {
	w := newE2E(t)
	ctx := context.Background()
	wd, _ := os.Getwd()
	if err := os.Chdir(w.dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	for _, args := range [][]string{{"list", "-m", "all"}, {"list", "-f", "{{.Path}}", "-m=true", "all"}, {"mod", "graph"}, {"mod", "verify"}} {
		cache := w.cache(strings.Join(args, "_"))
		var stderr bytes.Buffer
		s := &session{opts: Options{Stderr: &stderr}, env: w.env(cache)}
		if _, err := s.warm(ctx, s.route(args)); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		for _, f := range downloadFiles(t, cache) {
			if strings.HasSuffix(f, ".zip") {
				t.Errorf("%q: the warm-up fetched %s; go alone fetches no zip", args, f)
			}
		}
		s2 := &session{opts: Options{Stderr: &stderr}, env: w.env(cache)}
		s2.warm(ctx, s2.route([]string{"build", "./..."}))
		if len(s2.settings) != 1 {
			t.Errorf("%q: a go build after it was taken as warm (no go env), without the zips", args)
		}
	}
}
