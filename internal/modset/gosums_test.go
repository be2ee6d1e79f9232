package modset

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/mod/module"
)

// TestGoSumFiles: the go.sum files go checks downloads against are the one
// beside the main go.mod (or -modfile's), and in workspace mode go.work.sum
// and every workspace module's go.sum; ReadGoSums reads them into one set,
// a missing file holding nothing.
func TestGoSumFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) string {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o666); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gomodA := write("a/go.mod", "module example.com/a\n\ngo 1.21\n")
	write("a/go.sum", "example.com/x v1.0.0 h1:x=\nexample.com/x v1.0.0/go.mod h1:xmod=\n")
	write("a/alt.mod", "module example.com/a\n\ngo 1.21\n")
	write("b/go.mod", "module example.com/b\n\ngo 1.21\n")
	work := write("go.work", "go 1.21\n\nuse (\n\t./a\n\t./b\n)\n")
	write("go.work.sum", "example.com/y v1.0.0/go.mod h1:ymod=\n")

	for _, c := range []struct {
		name string
		opts Options
		want []string
	}{
		{"module", Options{Dir: filepath.Dir(gomodA), GOMOD: gomodA}, []string{filepath.Join(dir, "a", "go.sum")}},
		{"-modfile", Options{Dir: filepath.Dir(gomodA), GOMOD: filepath.Join(dir, "a", "alt.mod"), GOFLAGS: "-modfile=alt.mod"}, []string{filepath.Join(dir, "a", "alt.sum")}},
		{"workspace", Options{Dir: dir, GOMOD: gomodA, GOWORK: work}, []string{work + ".sum", filepath.Join(dir, "a", "go.sum"), filepath.Join(dir, "b", "go.sum")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := GoSumFiles(c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("GoSumFiles = %q, want %q", got, c.want)
			}
		})
	}
	files, err := GoSumFiles(Options{Dir: dir, GOMOD: gomodA, GOWORK: work})
	if err != nil {
		t.Fatal(err)
	}
	sums, err := ReadGoSums(files)
	if err != nil {
		t.Fatal(err)
	}
	x, y := module.Version{Path: "example.com/x", Version: "v1.0.0"}, module.Version{Path: "example.com/y", Version: "v1.0.0"}
	if !slices.Equal(sums.Zip(x), []string{"h1:x="}) || !slices.Equal(sums.Mod(x), []string{"h1:xmod="}) || !slices.Equal(sums.Mod(y), []string{"h1:ymod="}) || sums.Zip(y) != nil {
		t.Errorf("ReadGoSums: x %v %v, y %v %v", sums.Zip(x), sums.Mod(x), sums.Zip(y), sums.Mod(y))
	}
}
