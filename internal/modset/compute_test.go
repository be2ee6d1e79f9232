package modset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
	"golang.org/x/mod/module"
)

// unitModule writes files (go.sum from the tree unless given) and returns
// Options for the main module in the tree's root, reading from tree.
func unitModule(t *testing.T, mods []proxytest.Module, files map[string]string) (Options, *treeFetcher) {
	t.Helper()
	tree := proxytest.MustBuild(mods...)
	dir := t.TempDir()
	writeTree(t, dir, files, tree.GoSum(mods...))
	f := newTreeFetcher(tree)
	return Options{
		Dir: dir, GOMOD: filepath.Join(dir, "go.mod"), GOFLAGS: "-mod=mod",
		GOVERSION: runtime.Version(), Fetch: f,
	}, f
}

func TestComputePrivateNotInCache(t *testing.T) {
	mods := []proxytest.Module{
		mod("corp.example/p", "v1.0.0", "1.16", "example.com/d v1.0.0"),
		mod("example.com/d", "v1.0.0", "1.21"),
	}
	opts, f := unitModule(t, mods, map[string]string{"go.mod": gomod("example.com/main", "1.21", "corp.example/p v1.0.0")})
	opts.GOPRIVATE = "corp.example"
	opts.GOMODCACHE = t.TempDir()
	set, err := Compute(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 {
		t.Errorf("Fetch called: %v", f.calls)
	}
	want := []Skip{{Module: mv("corp.example/p", "v1.0.0"), Reason: ReasonPrivate, Zip: true}}
	if !slices.Equal(set.Skipped, want) || len(set.Zips)+len(set.Mods) != 0 {
		t.Errorf("set = %+v, want only %v skipped", set, want)
	}
	if len(set.Notes) != 1 || !strings.Contains(set.Notes[0], "corp.example/p@v1.0.0: go.mod not in the module cache") {
		t.Errorf("Notes = %q", set.Notes)
	}
}

func TestComputeGONOPROXY(t *testing.T) {
	// GONOPROXY alone (GOPRIVATE empty) also keeps a module away from the
	// mirrors, and so does a replacement target that matches.
	mods := []proxytest.Module{
		mod("example.com/a", "v1.0.0", "1.21"),
		mod("corp.example/fork", "v1.0.0", "1.21"),
	}
	opts, f := unitModule(t, mods, map[string]string{"go.mod": gomod("example.com/main", "1.21", "example.com/a v1.0.0") +
		"replace example.com/a => corp.example/fork v1.0.0\n"})
	opts.GONOPROXY = "*.example,corp.example"
	set, err := Compute(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 || len(set.Zips) != 0 || len(set.Skipped) != 1 || set.Skipped[0].Module.Path != "corp.example/fork" {
		t.Errorf("calls %v, set %+v", f.calls, set)
	}
}

// TestComputeGONOPROXYOverridesGOPRIVATE: go fetches through the mirrors
// whatever GONOPROXY does not match, even a path GOPRIVATE covers (which
// then only skips the checksum database), as go's mod_gonoproxy test.
func TestComputeGONOPROXYOverridesGOPRIVATE(t *testing.T) {
	mods := []proxytest.Module{mod("corp.example/p", "v1.0.0", "1.21")}
	opts, f := unitModule(t, mods, map[string]string{"go.mod": gomod("example.com/main", "1.21", "corp.example/p v1.0.0")})
	opts.GOPRIVATE = "corp.example"
	opts.GONOPROXY = "none.example"
	set, err := Compute(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 1 || len(set.Skipped) != 0 || len(set.Zips) != 1 {
		t.Errorf("calls %v, set %+v; want corp.example/p fetched through the mirror", f.calls, set)
	}
}

func TestComputeNoDependencies(t *testing.T) {
	opts, _ := unitModule(t, nil, map[string]string{"go.mod": gomod("example.com/main", "1.21")})
	opts.Fetch = nil
	set, err := Compute(context.Background(), opts)
	if err != nil || len(set.Zips)+len(set.Mods)+len(set.Skipped) != 0 || set.Sums == nil {
		t.Fatalf("set %+v, err %v", set, err)
	}
}

func TestComputeOutsideModule(t *testing.T) {
	for _, gomod := range []string{"", os.DevNull} {
		_, err := Compute(context.Background(), Options{Dir: t.TempDir(), GOMOD: gomod})
		if !errors.Is(err, ErrNoModule) {
			t.Errorf("GOMOD=%q: err = %v", gomod, err)
		}
	}
}

// errFetcher fails every fetch with err.
type errFetcher struct{ err error }

func (f errFetcher) GoMod(ctx context.Context, m module.Version) ([]byte, error) { return nil, f.err }

func TestComputeFetchError(t *testing.T) {
	opts, _ := unitModule(t, []proxytest.Module{mod("example.com/a", "v1.0.0", "1.21")},
		map[string]string{"go.mod": gomod("example.com/main", "1.21", "example.com/a v1.0.0")})
	sentinel := errors.New("mirror exploded")
	opts.Fetch = errFetcher{sentinel}
	_, err := Compute(context.Background(), opts)
	var me *module.ModuleError
	if !errors.Is(err, sentinel) || !errors.As(err, &me) || me.Path != "example.com/a" || me.Version != "v1.0.0" {
		t.Fatalf("err = %v, want a module error for example.com/a@v1.0.0 wrapping the fetch error", err)
	}
	if !strings.HasPrefix(err.Error(), "example.com/a@v1.0.0: ") {
		t.Errorf("err = %q, want it to start with module@version", err)
	}
}

func TestComputeMalformedFiles(t *testing.T) {
	mods := []proxytest.Module{
		{Path: "example.com/bad", Version: "v1.0.0", GoMod: "module example.com/bad\n\ngo 1.21\n\nrequire (\n\texample.com/x\n)\n"},
	}
	for _, tc := range []struct {
		name    string
		files   map[string]string
		gowork  bool
		wantErr string
	}{
		{"go.mod", map[string]string{"go.mod": "module example.com/main\n\ngo 1.21\n\nrequire example.com/a v1.0.0 v2\nreplace x =>\n"},
			false, "go.mod:5: usage: require module/path v1.2.3; "},
		{"dependency go.mod", map[string]string{"go.mod": gomod("example.com/main", "1.21", "example.com/bad v1.0.0")},
			false, "example.com/bad@v1.0.0: parsing go.mod:6:2: usage: require module/path v1.2.3"},
		{"go.sum", map[string]string{"go.mod": gomod("example.com/main", "1.21"), "go.sum": "x v1 h1:a= b\n"},
			false, "go.sum:1: wrong number of fields 4"},
		{"go.work", map[string]string{"go.work": "go 1.22\n\nuse\n", "go.mod": gomod("example.com/main", "1.21")},
			true, "go.work:3: usage: use local/dir"},
		{"go.work.sum", map[string]string{"go.work": "go 1.22\n\nuse .\n", "go.work.sum": "a b\n", "go.mod": gomod("example.com/main", "1.21")},
			true, "go.work.sum:1: wrong number of fields 2"},
		{"go.work use twice", map[string]string{"go.work": "go 1.22\n\nuse .\nuse ./\n", "go.mod": gomod("example.com/main", "1.21")},
			true, "go.work:4: path"},
		{"conflicting replacements", map[string]string{"go.mod": gomod("example.com/main", "1.21") +
			"replace example.com/a v1.0.0 => example.com/b v1.0.0\nreplace example.com/a v1.0.0 => example.com/c v1.0.0\n"},
			false, "conflicting replacements"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, _ := unitModule(t, mods, tc.files)
			if tc.gowork {
				opts.GOWORK = filepath.Join(opts.Dir, "go.work")
			}
			_, err := Compute(context.Background(), opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("err is not one line: %q", err)
			}
		})
	}
}

func TestComputeWorkspaceConflictingReplacements(t *testing.T) {
	mods := []proxytest.Module{mod("example.com/a", "v1.0.0", "1.21"), mod("example.com/b", "v1.0.0", "1.21"), mod("example.com/c", "v1.0.0", "1.21")}
	opts, _ := unitModule(t, mods, map[string]string{
		"go.work":   "go 1.22\n\nuse (\n\t./m1\n\t./m2\n)\n",
		"m1/go.mod": gomod("example.com/m1", "1.21", "example.com/a v1.0.0") + "replace example.com/a v1.0.0 => example.com/b v1.0.0\n",
		"m2/go.mod": gomod("example.com/m2", "1.21", "example.com/a v1.0.0") + "replace example.com/a v1.0.0 => example.com/c v1.0.0\n",
	})
	opts.GOWORK = filepath.Join(opts.Dir, "go.work")
	_, err := Compute(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "conflicting replacements found for example.com/a@v1.0.0") {
		t.Fatalf("err = %v", err)
	}
	// A go.work replacement settles it.
	os.WriteFile(opts.GOWORK, []byte("go 1.22\n\nuse (\n\t./m1\n\t./m2\n)\n\nreplace example.com/a => example.com/c v1.0.0\n"), 0o666)
	set, err := Compute(context.Background(), opts)
	if err != nil || !slices.Equal(set.Zips, []module.Version{mv("example.com/c", "v1.0.0")}) {
		t.Fatalf("set %+v, err %v", set, err)
	}
}

func TestComputeVendorMode(t *testing.T) {
	modulesTxt := "# example.com/a v1.0.0\n## explicit; go 1.21\nexample.com/a\n"
	mods := []proxytest.Module{mod("example.com/a", "v1.0.0", "1.21")}
	for _, tc := range []struct {
		name    string
		files   map[string]string
		gowork  bool
		goflags string
		want    bool
	}{
		{"module vendor", map[string]string{"go.mod": gomod("example.com/main", "1.21", "example.com/a v1.0.0"), "vendor/modules.txt": modulesTxt}, false, "", true},
		{"vendor without modules.txt", map[string]string{"go.mod": gomod("example.com/main", "1.21", "example.com/a v1.0.0"), "vendor/a/a.go": "package a\n"}, false, "", true},
		{"go 1.13 ignores vendor", map[string]string{"go.mod": gomod("example.com/main", "1.13", "example.com/a v1.0.0"), "vendor/modules.txt": modulesTxt}, false, "", false},
		{"no go line ignores vendor", map[string]string{"go.mod": gomod("example.com/main", "", "example.com/a v1.0.0"), "vendor/modules.txt": modulesTxt}, false, "", false},
		{"-mod=mod", map[string]string{"go.mod": gomod("example.com/main", "1.21", "example.com/a v1.0.0"), "vendor/modules.txt": modulesTxt}, false, "-mod=mod", false},
		{"-mod=readonly", map[string]string{"go.mod": gomod("example.com/main", "1.21", "example.com/a v1.0.0"), "vendor/modules.txt": modulesTxt}, false, "-mod=readonly", false},
		{"-mod=vendor without vendor", map[string]string{"go.mod": gomod("example.com/main", "1.21", "example.com/a v1.0.0")}, false, "'-mod=vendor'", true},
		{"workspace vendor", map[string]string{"go.work": "go 1.22\n\nuse .\n", "go.mod": gomod("example.com/main", "1.21", "example.com/a v1.0.0"),
			"vendor/modules.txt": "## workspace\n" + modulesTxt}, true, "", true},
		{"module vendor in a workspace", map[string]string{"go.work": "go 1.22\n\nuse .\n", "go.mod": gomod("example.com/main", "1.21", "example.com/a v1.0.0"),
			"vendor/modules.txt": modulesTxt}, true, "", false},
		{"workspace vendor outside the workspace", map[string]string{"go.mod": gomod("example.com/main", "1.21", "example.com/a v1.0.0"),
			"vendor/modules.txt": "## workspace\n" + modulesTxt}, false, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, _ := unitModule(t, mods, tc.files)
			opts.GOFLAGS = tc.goflags
			if tc.gowork {
				opts.GOWORK = filepath.Join(opts.Dir, "go.work")
			}
			set, err := Compute(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if set.Vendor != tc.want {
				t.Errorf("Vendor = %v, want %v", set.Vendor, tc.want)
			}
			if set.Vendor && (len(set.Zips) > 0 || set.Sums != nil) {
				t.Errorf("vendor set carries more: %+v", set)
			}
			opts.IgnoreVendor = true
			if set, err := Compute(context.Background(), opts); err != nil || set.Vendor || len(set.Zips) != 1 {
				t.Errorf("IgnoreVendor: %+v, %v", set, err)
			}
		})
	}
}

func TestComputeToolchainNotes(t *testing.T) {
	opts, _ := unitModule(t, []proxytest.Module{mod("example.com/a", "v1.0.0", "1.99")},
		map[string]string{"go.mod": gomod("example.com/main", "1.21", "example.com/a v1.0.0") + "\ntoolchain go1.98.1\n"})
	opts.GOVERSION = "go1.26.8"
	set, err := Compute(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(set.Notes, "\n")
	for _, want := range []string{"toolchain go1.98.1 is newer than the running go 1.26.8", "a go.mod needs go >= 1.99"} {
		if !strings.Contains(joined, want) {
			t.Errorf("Notes lack %q:\n%s", want, joined)
		}
	}
	for _, m := range set.Zips {
		if strings.HasPrefix(m.Path, "golang.org/toolchain") {
			t.Errorf("toolchain module in the set: %v", m)
		}
	}
}

func TestParseGOFLAGS(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want goFlags
		err  bool
	}{
		{"", goFlags{}, false},
		{"-mod=vendor", goFlags{mod: "vendor"}, false},
		{"--mod=readonly -modcacherw", goFlags{mod: "readonly"}, false},
		{"-mod=vendor -mod=mod", goFlags{mod: "mod"}, false},
		{"  -modfile=alt.mod\t-trimpath ", goFlags{modfile: "alt.mod"}, false},
		{`"-modfile=my dir/alt.mod" '-mod=mod'`, goFlags{mod: "mod", modfile: "my dir/alt.mod"}, false},
		{`"-mod=mod`, goFlags{}, true},
	} {
		got, err := parseGOFLAGS(tc.in)
		if (err != nil) != tc.err || !tc.err && got != tc.want {
			t.Errorf("parseGOFLAGS(%q) = %+v, %v; want %+v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestComputeModfileFlag(t *testing.T) {
	// With -modfile, GOMOD is the substitute file and go.sum sits next to
	// it; relative replacements still resolve against the module root.
	mods := []proxytest.Module{mod("example.com/a", "v1.0.0", "1.21"), mod("example.com/b", "v1.0.0", "1.21")}
	tree := proxytest.MustBuild(mods...)
	opts, _ := unitModule(t, mods, map[string]string{
		"go.mod":        gomod("example.com/main", "1.21", "example.com/a v1.0.0"),
		"alt/alt.mod":   gomod("example.com/main", "1.21", "example.com/b v1.0.0", "example.com/l v1.0.0") + "replace example.com/l => ./l\n",
		"alt/alt.sum":   tree.GoSum(mods[1]),
		"l/go.mod":      gomod("example.com/l", "1.21"),
		"sub/.keep":     "",
		"alt/README":    "",
		"sub/dir/.keep": "",
	})
	opts.GOFLAGS = "-modfile=alt/alt.mod"
	opts.GOMOD = filepath.Join(opts.Dir, "alt", "alt.mod")
	opts.Dir = filepath.Join(opts.Dir, "sub", "dir")
	set, err := Compute(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(set.Zips, []module.Version{mv("example.com/b", "v1.0.0")}) || len(set.Sums.Zip(mv("example.com/b", "v1.0.0"))) != 1 {
		t.Errorf("set %+v", set)
	}
}

// gateFetcher counts concurrent calls and can block until ctx ends.
type gateFetcher struct {
	inner       Fetcher
	block       bool
	now, most   atomic.Int32
	mu          sync.Mutex
	blockedOnce bool
}

func (f *gateFetcher) GoMod(ctx context.Context, m module.Version) ([]byte, error) {
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for {
		most := f.most.Load()
		if n <= most || f.most.CompareAndSwap(most, n) {
			break
		}
	}
	if f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	runtime.Gosched()
	return f.inner.GoMod(ctx, m)
}

func TestComputeJobsAndCancel(t *testing.T) {
	var mods []proxytest.Module
	var reqs []string
	for i := range 60 {
		p := fmt.Sprintf("example.com/m%02d", i)
		mods = append(mods, mod(p, "v1.0.0", "1.16"))
		reqs = append(reqs, p+" v1.0.0")
	}
	opts, tf := unitModule(t, mods, map[string]string{"go.mod": gomod("example.com/main", "1.16", reqs...)})
	gf := &gateFetcher{inner: tf}
	opts.Fetch, opts.Jobs = gf, 3
	set, err := Compute(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Zips) != 60 || len(set.Mods) != 60 {
		t.Errorf("%d zips, %d mods, want 60 each", len(set.Zips), len(set.Mods))
	}
	if most := gf.most.Load(); most > 3 {
		t.Errorf("%d concurrent fetches, Jobs is 3", most)
	}

	ctx, cancel := context.WithCancel(context.Background())
	gf = &gateFetcher{inner: tf, block: true}
	opts.Fetch = gf
	done := make(chan error, 1)
	go func() { _, err := Compute(ctx, opts); done <- err }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: err = %v", err)
	}
}
