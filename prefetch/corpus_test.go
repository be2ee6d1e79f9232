package prefetch

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// corpusDir holds the corpus projects' go.mod and go.sum files.
const corpusDir = "../../shared/corpus"

// TestCorpus serves each corpus project's GOPROXY tree (the cache/download
// a plain `go mod download` filled, under $GOFAST_CORPUS_PROXY/<name>) on
// loopback and checks that a prefetch into an empty cache puts exactly the
// same zips and .mod files in cache/download as go did.
func TestCorpus(t *testing.T) {
	proxyRoot := os.Getenv("GOFAST_CORPUS_PROXY")
	if proxyRoot == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("GOFAST_CORPUS_PROXY is not set; CI must provide the corpus trees (<dir>/<name>/cache/download)")
		}
		t.Skip("GOFAST_CORPUS_PROXY is not set: no corpus trees (<dir>/<name>/cache/download from `go mod download`) to compare with")
	}
	for _, name := range []string{"gin", "etcd", "cli"} {
		t.Run(name, func(t *testing.T) {
			tree := filepath.Join(proxyRoot, name, "cache", "download")
			if _, err := os.Stat(tree); err != nil {
				t.Fatalf("corpus tree for %s: %v", name, err)
			}
			src := filepath.Join(corpusDir, name)
			if _, err := os.Stat(src); err != nil {
				t.Fatalf("corpus %s: %v", name, err)
			}
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
			srv := proxytest.New(t, proxytest.Options{FS: os.DirFS(tree)})
			cache := newCache(t)
			st := settings(cache, srv.URL)
			st.GOMOD = filepath.Join(dir, "go.mod")
			st.GOVERSION = runtime.Version()
			start := time.Now()
			rep, err := Run(context.Background(), Options{Dir: dir, Settings: st, Extract: true, IgnoreVendor: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s (%v)", name, rep.Summary(), time.Since(start))
			if err := rep.Err(); err != nil {
				t.Errorf("report: %v", err)
			}
			want := proxyFiles(t, tree, ".zip", ".mod")
			got := proxyFiles(t, filepath.Join(cache, "cache", "download"), ".zip", ".mod")
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("cache/download differs from go's: %s", diffSets(got, want))
			}
		})
	}
}

// proxyFiles lists the files below root with the given extensions.
func proxyFiles(t *testing.T, root string, exts ...string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, e := range exts {
			if filepath.Ext(p) == e {
				rel, _ := filepath.Rel(root, p)
				out = append(out, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// diffSets describes the difference of two sorted lists.
func diffSets(got, want []string) string {
	in := func(list []string) map[string]bool {
		m := map[string]bool{}
		for _, s := range list {
			m[s] = true
		}
		return m
	}
	g, w := in(got), in(want)
	var extra, missing []string
	for _, s := range got {
		if !w[s] {
			extra = append(extra, s)
		}
	}
	for _, s := range want {
		if !g[s] {
			missing = append(missing, s)
		}
	}
	return "extra " + strings.Join(extra, " ") + "; missing " + strings.Join(missing, " ")
}
