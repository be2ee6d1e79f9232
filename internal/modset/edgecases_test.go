package modset

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
)

func TestDifferentialVendor(t *testing.T) {
	t.Parallel()
	mods := []proxytest.Module{
		mod("example.com/a", "v1.0.0", "1.21", "example.com/b v1.0.0"),
		mod("example.com/b", "v1.0.0", "1.21"),
	}
	files := map[string]string{
		"go.mod":  gomod("example.com/main", "1.21", "example.com/a v1.0.0", "example.com/b v1.0.0 // indirect"),
		"main.go": "package main\n\nimport _ \"example.com/a\"\n\nfunc main() {}\n",
	}
	// `go mod vendor` (with a module cache of its own) makes vendor/.
	vendor := func(t *testing.T, dir string, env []string) {
		runGo(t, dir, append(env, "GOMODCACHE="+t.TempDir()), "mod", "vendor")
		if _, err := os.Stat(filepath.Join(dir, "vendor", "modules.txt")); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("mod-download-ignores-vendor", func(t *testing.T) {
		t.Parallel()
		// go mod download always runs as -mod=mod: it downloads as if
		// there were no vendor directory.
		scenario{mods: mods, files: files, prepare: vendor,
			opts: func(o *Options) { o.IgnoreVendor = true }}.run(t)
	})
	t.Run("build-uses-vendor", func(t *testing.T) {
		t.Parallel()
		tree := proxytest.MustBuild(mods...)
		srv := proxytest.New(t, proxytest.Options{FS: tree.FS})
		dir := t.TempDir()
		writeTree(t, dir, files, tree.GoSum(mods...))
		cache := t.TempDir()
		env := append(proxytest.GoEnv(os.Environ(), srv, cache), "GOFLAGS=-modcacherw", "GOPATH="+t.TempDir())
		vendor(t, dir, env)
		opts := optionsFromGoEnv(t, dir, env)
		set, err := Compute(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if !set.Vendor || len(set.Zips)+len(set.Mods)+len(set.Skipped) != 0 {
			t.Errorf("set = %+v, want Vendor and nothing else", set)
		}
		runGo(t, dir, env, "build", "./...")
		if c := listCache(t, cache); len(c.zips)+len(c.mods)+len(c.infos) != 0 {
			t.Errorf("go build in vendor mode downloaded %v %v %v", c.zips, c.mods, c.infos)
		}
		// An explicit -mod=mod turns vendor mode off.
		opts.GOFLAGS = "-mod=mod"
		opts.Fetch = newTreeFetcher(tree)
		if set, err := Compute(context.Background(), opts); err != nil || set.Vendor || len(set.Zips) != 2 {
			t.Errorf("with -mod=mod: %+v, %v", set, err)
		}
	})
}

func TestDifferentialGoSum(t *testing.T) {
	t.Parallel()
	mods := []proxytest.Module{
		mod("example.com/a", "v1.0.0", "1.16", "example.com/b v1.0.0"),
		mod("example.com/b", "v1.0.0", "1.21"),
	}
	t.Run("missing-lines", func(t *testing.T) {
		t.Parallel()
		// With no go.sum line go asks the checksum database and still
		// downloads; the set lists the module and marks it.
		tree := proxytest.MustBuild(mods...)
		scenario{
			mods: mods,
			files: map[string]string{
				"go.mod": gomod("example.com/main", "1.21", "example.com/a v1.0.0"),
				"go.sum": tree.GoSum(mods[0]),
			},
			check: func(t *testing.T, set *Set, f *treeFetcher) {
				want := []Skip{{Module: mv("example.com/b", "v1.0.0"), Reason: ReasonNoSum}}
				if !slices.Equal(set.Skipped, want) {
					t.Errorf("Skipped = %v, want %v", set.Skipped, want)
				}
			},
		}.run(t)
	})
	t.Run("crlf", func(t *testing.T) {
		t.Parallel()
		tree := proxytest.MustBuild(mods...)
		scenario{
			mods: mods,
			files: map[string]string{
				"go.mod": gomod("example.com/main", "1.21", "example.com/a v1.0.0"),
				"go.sum": strings.ReplaceAll(tree.GoSum(mods...), "\n", "\r\n") + "\r\n\r\n",
			},
			check: func(t *testing.T, set *Set, f *treeFetcher) {
				if len(set.Skipped) != 0 {
					t.Errorf("CRLF go.sum lines not recognised: %v", set.Skipped)
				}
			},
		}.run(t)
	})
	t.Run("malformed", func(t *testing.T) {
		t.Parallel()
		scenario{
			mods: mods,
			files: map[string]string{
				"go.mod": gomod("example.com/main", "1.21", "example.com/a v1.0.0"),
				"go.sum": "\nexample.com/a v1.0.0 h1:x= extra\n",
			},
			wantErr: "go.sum:2: wrong number of fields 4",
		}.run(t)
	})
}

func TestDifferentialFailures(t *testing.T) {
	t.Parallel()
	mods := []proxytest.Module{
		mod("example.com/x", "v1.0.0", "1.21"),
		mod("example.com/b", "v1.1.0", "1.21"),
		{Path: "example.com/liar", Version: "v1.0.0", GoMod: gomod("example.com/other", "1.21")},
	}
	for _, tc := range []struct {
		name    string
		files   map[string]string
		dir     string
		wantErr string
	}{
		{
			name: "workspace-module-at-unpublished-version",
			dir:  "a",
			files: map[string]string{
				"go.work":  "go 1.22\n\nuse (\n\t./a\n\t./b\n)\n",
				"a/go.mod": gomod("example.com/ws/a", "1.21", "example.com/x v1.0.0", "example.com/ws/b v1.0.0"),
				"b/go.mod": gomod("example.com/ws/b", "1.22"),
			},
			wantErr: "example.com/ws/b@v1.0.0: reading go.mod",
		},
		{
			name:    "only-version-excluded",
			files:   map[string]string{"go.mod": gomod("example.com/main", "1.21", "example.com/x v1.0.0", "example.com/b v1.1.0") + "exclude example.com/b v1.1.0\n"},
			wantErr: "go.mod:7: module example.com/b: not a known dependency",
		},
		{
			name:    "module-path-mismatch",
			files:   map[string]string{"go.mod": gomod("example.com/main", "1.21", "example.com/liar v1.0.0")},
			wantErr: "example.com/liar@v1.0.0: parsing go.mod: module declares its path as example.com/other",
		},
		{
			name:    "missing-version",
			files:   map[string]string{"go.mod": gomod("example.com/main", "1.21", "example.com/x v1.9.0")},
			wantErr: "example.com/x@v1.9.0: reading go.mod",
		},
		{
			name:    "malformed-go.mod",
			files:   map[string]string{"go.mod": "module example.com/main\n\ngo 1.21\n\nrequire example.com/x\n"},
			wantErr: "go.mod:5: usage: require module/path v1.2.3",
		},
		{
			name: "local-replacement-without-go.mod",
			files: map[string]string{"go.mod": gomod("example.com/main", "1.21", "example.com/x v1.0.0") +
				"replace example.com/x => ./nowhere\n"},
			wantErr: "nowhere/go.mod",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := []string(nil)
			if strings.Contains(tc.name, "workspace") {
				env = []string{"GOWORK="}
			}
			scenario{mods: mods, files: tc.files, dir: tc.dir, env: env, wantErr: tc.wantErr}.run(t)
		})
	}
}
