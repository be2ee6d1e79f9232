package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/mod/module"
)

func TestSumIndexLookup(t *testing.T) {
	x := newSumIndex(fstest.MapFS{
		"example.com/tree/@v/v1.0.0.ziphash": {Data: []byte("h1:treezip=\n")},
		"example.com/tree/@v/v1.0.0.mod":     {Data: []byte("module example.com/tree\n")},
	})
	sum := "example.com/a v1.2.0 h1:zipA=\nexample.com/a v1.2.0/go.mod h1:modA=\n\nexample.com/b v0.1.0/go.mod h1:modB=\n"
	if err := x.addGoSum("go.sum", []byte(sum)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, version, want string
	}{
		{"example.com/a", "v1.2.0", "example.com/a v1.2.0 h1:zipA=\nexample.com/a v1.2.0/go.mod h1:modA=\n"},
		{"example.com/b", "v0.1.0", "example.com/b v0.1.0/go.mod h1:modB=\n"},
		// Hashes no go.sum line gives come from the tree: the .ziphash go
		// wrote, and the go.mod's computed from the .mod file.
		{"example.com/tree", "v1.0.0", "example.com/tree v1.0.0 h1:treezip=\nexample.com/tree v1.0.0/go.mod h1:"},
	}
	for _, tt := range tests {
		got, err := x.lookup(tt.path, tt.version)
		if err != nil || !strings.HasPrefix(string(got), tt.want) {
			t.Errorf("lookup(%s, %s) = %q, %v; want %q", tt.path, tt.version, got, err, tt.want)
		}
	}
	if _, err := x.lookup("example.com/none", "v1.0.0"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("lookup of an unknown module: %v, want not found", err)
	}
	if err := x.addGoSum("bad/go.sum", []byte("example.com/a v1.0.0\n")); err == nil || !strings.Contains(err.Error(), "bad/go.sum:1") {
		t.Errorf("malformed line: %v", err)
	}
}

func TestSumIndexTreeModHashIsGo(t *testing.T) {
	// dirhash of a go.mod holding "module example.com/m\n", as go.sum has it.
	x := newSumIndex(fstest.MapFS{"example.com/m/@v/v1.0.0.mod": {Data: []byte("module example.com/m\n")}})
	got, err := x.lookup("example.com/m", "v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if want := "example.com/m v1.0.0/go.mod h1:"; !strings.HasPrefix(string(got), want) || strings.Count(string(got), "\n") != 1 {
		t.Errorf("lookup = %q", got)
	}
}

func TestListingFS(t *testing.T) {
	l := listingFS{fstest.MapFS{
		"example.com/!big/@v/v1.0.0.zip":    {},
		"example.com/!big/@v/v1.0.0.mod":    {},
		"example.com/!big/@v/v0.9.0.mod":    {},
		"example.com/!big/@v/v1.1.0.zip":    {},
		"example.com/!big/@v/v1.1.0.info":   {},
		"example.com/modonly/@v/v1.0.0.mod": {},
	}}
	data, err := fs.ReadFile(l, "example.com/!big/@v/list")
	if err != nil || string(data) != "v1.0.0\nv1.1.0\n" {
		t.Errorf("list = %q, %v", data, err)
	}
	if _, err := fs.ReadFile(l, "example.com/modonly/@v/list"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("list of a module without zips: %v, want not found", err)
	}
	if _, err := fs.ReadFile(l, "example.com/!big/@v/v1.0.0.mod"); err != nil {
		t.Errorf("other files: %v", err)
	}
}

func TestGetModules(t *testing.T) {
	tree := t.TempDir()
	for _, p := range []string{"example.com/!a/@v/v1.0.0.zip", "github.com/sassoftware/relic/@v/v7.2.1+incompatible.zip", "example.com/c/@v/v0.1.0.zip"} {
		if err := os.MkdirAll(filepath.Join(tree, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gomod := "module example.com/root\n\ngo 1.22\n\nrequire (\n\texample.com/A v1.0.0\n\texample.com/b v1.0.0 // no zip\n\tgithub.com/sassoftware/relic v7.2.1+incompatible // indirect\n)\n\nrequire example.com/c v0.1.0 // indirect\n"
	got, err := getModules([]byte(gomod), tree)
	if err != nil {
		t.Fatal(err)
	}
	want := []module.Version{{Path: "example.com/A", Version: "v1.0.0"}, {Path: "example.com/c", Version: "v0.1.0"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("getModules = %v, want %v", got, want)
	}
}

func TestMissingRequires(t *testing.T) {
	gomod := []byte("module m\n\ngo 1.26\n\nrequire (\n\texample.com/a v1.0.0 // indirect\n\texample.com/b v1.2.0\n)\n")
	want := []module.Version{{Path: "example.com/a", Version: "v1.0.0"}, {Path: "example.com/b", Version: "v1.2.0"}}
	if msg := missingRequires(gomod, want); msg != "" {
		t.Errorf("all present: %q", msg)
	}
	want = append(want, module.Version{Path: "example.com/b", Version: "v1.3.0"})
	if msg := missingRequires(gomod, want); !strings.Contains(msg, "1 requirements (example.com/b@v1.3.0)") {
		t.Errorf("missing: %q", msg)
	}
}

func TestInstallsBin(t *testing.T) {
	out := []byte("mkdir -p $WORK/b001/exe/\ncd .\n/go/pkg/tool/link -o $WORK/b001/exe/a.out\nmv $WORK/b001/exe/a.out /run/home/gopath/bin/go-md2man\n")
	if !installsBin(out, "go-md2man") {
		t.Error("mv line not recognised")
	}
	if installsBin(out, "md2man") || installsBin([]byte("go: error\n"), "go-md2man") {
		t.Error("wrong binary or no mv line accepted")
	}
}

func TestBinName(t *testing.T) {
	for pkg, want := range map[string]string{
		"github.com/cpuguy83/go-md2man/v2":       "go-md2man",
		"golang.org/x/tools/cmd/stringer":        "stringer",
		"github.com/google/go-containerregistry": "go-containerregistry",
	} {
		if got := binName(pkg); got != want {
			t.Errorf("binName(%s) = %q, want %q", pkg, got, want)
		}
	}
}
