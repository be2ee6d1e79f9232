package prefetch

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// The report lists the cache files of the modules it fetched: the .mod of
// every module, the .zip of those with one, as absolute paths.
func TestReportFiles(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS})
	cache := newCache(t)
	var want []string
	for _, m := range testMods {
		want = append(want, cacheFile(t, cache, m, "mod"))
		if !m.ModOnly {
			want = append(want, cacheFile(t, cache, m, "zip"))
		}
	}
	slices.Sort(want)
	opts := Options{Settings: settings(cache, srv.URL), Compute: fixedSet(tree, testMods)}
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(rep.Files)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Files = %q, want %q", got, want)
	}
	for _, f := range got {
		if !filepath.IsAbs(f) {
			t.Errorf("%s is not absolute", f)
		}
	}
}
