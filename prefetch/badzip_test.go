package prefetch

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// TestZipWhoseContentsLieIsWrongBytes checks that a zip whose directory
// is valid but whose contents cannot be read back (an entry larger than
// its recorded size: a zip bomb hiding its size) counts as wrong bytes,
// like a checksum mismatch: never published, reported, and the next
// mirror tried whatever the GOPROXY separator.
func TestZipWhoseContentsLieIsWrongBytes(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	liar := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: func(r *http.Request) proxytest.Fault {
		if !strings.HasSuffix(r.URL.Path, "/example.com/dep/@v/v1.0.0.zip") {
			return proxytest.Fault{}
		}
		data, err := proxytest.RawZip(
			proxytest.RawFile{Name: "example.com/dep@v1.0.0/go.mod", Data: []byte("module example.com/dep\n")},
			proxytest.RawFile{Name: "example.com/dep@v1.0.0/big.txt", Data: []byte(strings.Repeat("x", 64<<10)), DeclaredSize: 10},
		)
		if err != nil {
			t.Error(err)
		}
		return proxytest.Fault{Kind: proxytest.Body, Body: data}
	}})
	honest := proxytest.New(t, proxytest.Options{FS: tree.FS})
	rep, cache := run(t, tree, liar.URL+","+honest.URL, nil)
	dep := byPath(rep)["example.com/dep@v1.0.0"]
	if dep.Status != Fetched || len(dep.Rejected) == 0 || !strings.Contains(dep.Rejected[0], "not a valid module zip") {
		t.Fatalf("dep: status %s, rejected %q, error %q", dep.Status, dep.Rejected, dep.Error)
	}
	if honest.Count("/example.com/dep/@v/v1.0.0.zip") != 1 {
		t.Errorf("the next mirror was not asked: %v", honest.Requests())
	}
	zh, _ := readFile(cacheFile(t, cache, testMods[0], "ziphash"))
	if zh != tree.Sum["example.com/dep v1.0.0"] {
		t.Errorf("published ziphash %q, want the honest one", zh)
	}
}

func readFile(name string) (string, error) {
	b, err := os.ReadFile(name)
	return string(b), err
}
