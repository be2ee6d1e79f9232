package modset

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/mod/module"
)

// corpusDir is where the real go.mod/go.sum files of the benchmark corpus
// live.
const corpusDir = "../../../shared/corpus"

// dirFetcher reads .mod files from a GOPROXY tree on disk (a module
// cache's cache/download), counting calls.
type dirFetcher struct {
	root  string
	calls chan module.Version
}

func (f *dirFetcher) GoMod(ctx context.Context, m module.Version) ([]byte, error) {
	ep, err := module.EscapePath(m.Path)
	if err != nil {
		return nil, err
	}
	ev, err := module.EscapeVersion(m.Version)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(f.root, filepath.FromSlash(ep), "@v", ev+".mod"))
	if err != nil {
		return nil, fmt.Errorf("corpus tree: %w", err)
	}
	return data, nil
}

// TestCorpus compares Compute with what the real `go mod download` put in
// the corpus trees: GOFAST_CORPUS_PROXY/<name>/cache/download, filled by the
// benchmark harness (or by hand, see the corpus README) from
// /work/shared/corpus/<name>.
func TestCorpus(t *testing.T) {
	proxyDir := os.Getenv("GOFAST_CORPUS_PROXY")
	if proxyDir == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("GOFAST_CORPUS_PROXY is not set; CI must provide the corpus trees (<dir>/<name>/cache/download)")
		}
		t.Skip("GOFAST_CORPUS_PROXY is not set: no corpus trees (<dir>/<name>/cache/download from `go mod download`) to compare with")
	}
	for _, name := range []string{"gin", "cli", "etcd", "prometheus"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tree := filepath.Join(proxyDir, name)
			if _, err := os.Stat(filepath.Join(tree, "cache", "download")); err != nil {
				if name == "prometheus" {
					t.Skipf("no tree for %s", name)
				}
				t.Fatalf("corpus tree for %s: %v", name, err)
			}
			src := filepath.Join(corpusDir, name)
			if _, err := os.Stat(src); err != nil {
				t.Skipf("corpus %s: %v", name, err)
			}
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
			opts := Options{
				Dir:       dir,
				GOMOD:     filepath.Join(dir, "go.mod"),
				GOFLAGS:   "-mod=mod",
				GOVERSION: runtime.Version(),
				Fetch:     &dirFetcher{root: filepath.Join(tree, "cache", "download")},
				Jobs:      8,
			}
			set, err := Compute(context.Background(), opts)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			checkOrderIndependent(t, opts, opts.Fetch, set)
			real := listCache(t, tree)
			zd := diffSets("zip", real.zips, setOf(set.Zips))
			md := diffSets("mod", real.mods, setOf(set.Mods))
			for _, d := range append(zd, md...) {
				t.Error(d)
			}
			t.Logf("%s: go fetched %d zips, %d mods; set: %d zips, %d mods; %d zips and %d mods differ; %d skipped",
				name, len(real.zips), len(real.mods), len(set.Zips), len(set.Mods), len(zd), len(md), len(set.Skipped))
			for _, s := range set.Skipped {
				if s.Reason != ReasonLocal {
					t.Errorf("unexpected skip %v", s)
				}
			}
		})
	}
}
