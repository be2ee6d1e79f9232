package main

import (
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/mod/module"
)

func TestTidyMain(t *testing.T) {
	imports := []string{"example.com/a", "example.com/b/v2/pkg"}
	src := tidyMain(imports)
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", src, parser.ImportsOnly)
	if err != nil {
		t.Fatalf("main.go does not parse: %v\n%s", err, src)
	}
	if f.Name.Name != "main" || len(f.Imports) != len(imports) {
		t.Fatalf("package %s with %d imports:\n%s", f.Name.Name, len(f.Imports), src)
	}
	for i, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p != imports[i] || im.Name == nil || im.Name.Name != "_" {
			t.Errorf("import %d: %s %s", i, im.Name, im.Path.Value)
		}
	}
	if !strings.Contains(string(src), "func main() {}") {
		t.Errorf("no main function:\n%s", src)
	}
}

func TestLatestListed(t *testing.T) {
	tests := []struct {
		name     string
		versions []string
		want     string
	}{
		{"highest release", []string{"v1.2.0", "v1.10.0", "v1.9.9"}, "v1.10.0"},
		{"release over a higher pre-release", []string{"v1.2.0", "v1.3.0-rc.1"}, "v1.2.0"},
		{"pre-release when no release", []string{"v0.1.0-alpha", "v0.1.0-beta"}, "v0.1.0-beta"},
		{"a tag over a newer pseudo-version", []string{"v0.0.0-20240101000000-abcdefabcdef", "v0.1.0"}, "v0.1.0"},
		{"the newest commit when nothing is tagged", []string{"v0.0.0-20240101000000-abcdefabcdef", "v0.0.0-20221029100920-c4a7e501810d"}, "v0.0.0-20240101000000-abcdefabcdef"},
		{"invalid lines", []string{"latest", "v1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := latestListed(tt.versions); got != tt.want {
				t.Errorf("latestListed(%v) = %q, want %q", tt.versions, got, tt.want)
			}
		})
	}
}

func TestTidyRequires(t *testing.T) {
	zip := &fstest.MapFile{Data: []byte("zip")}
	tree := fstest.MapFS{
		"example.com/a/@v/v1.0.0.zip":                                  zip,
		"example.com/a/@v/v1.1.0.zip":                                  zip,
		"example.com/a/@v/v1.1.0.mod":                                  zip,
		"example.com/a/sub/@v/v0.2.0.zip":                              zip,
		"github.com/!burnt!sushi/toml/@v/v1.3.2.zip":                   zip,
		"example.com/pseudo/@v/v0.0.0-20240101000000-abcdefabcdef.zip": zip,
		"example.com/old/@v/v2.0.0+incompatible.zip":                   zip,
	}
	got, err := tidyRequires(tree, []string{"example.com/a/x", "example.com/a/y/z", "example.com/a/sub/pkg", "github.com/BurntSushi/toml"})
	if err != nil {
		t.Fatal(err)
	}
	want := []module.Version{{Path: "example.com/a", Version: "v1.1.0"}, {Path: "example.com/a/sub", Version: "v0.2.0"}, {Path: "github.com/BurntSushi/toml", Version: "v1.3.2"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
	if got, err := tidyRequires(tree, []string{"example.com/pseudo"}); err != nil || got[0].Version != "v0.0.0-20240101000000-abcdefabcdef" {
		t.Errorf("untagged module: %v, %v", got, err)
	}
	for _, bad := range []string{"example.com/none/pkg", "example.com/old/pkg"} {
		if _, err := tidyRequires(tree, []string{bad}); err == nil {
			t.Errorf("tidyRequires(%s): no error", bad)
		}
	}
}

func TestSumIndexLookups(t *testing.T) {
	record := "69478030\ngolang.org/toolchain v0.0.1-go1.27.3.linux-amd64 h1:zip=\ngolang.org/toolchain v0.0.1-go1.27.3.linux-amd64/go.mod h1:mod=\n\ngo.sum database tree\n70835252\nroot=\n\n— sum.example.test sig=\n"
	x := newSumIndex(nil)
	tree := fstest.MapFS{"sumdb/sum.example.test/lookup/golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64": {Data: []byte(record)}}
	if err := x.addLookups(tree); err != nil {
		t.Fatal(err)
	}
	got, err := x.lookup("golang.org/toolchain", "v0.0.1-go1.27.3.linux-amd64")
	want := "golang.org/toolchain v0.0.1-go1.27.3.linux-amd64 h1:zip=\ngolang.org/toolchain v0.0.1-go1.27.3.linux-amd64/go.mod h1:mod=\n"
	if err != nil || string(got) != want {
		t.Errorf("lookup = %q, %v; want %q", got, err, want)
	}
	if err := x.addLookups(fstest.MapFS{}); err != nil {
		t.Errorf("a tree without lookups: %v", err)
	}
}

func TestToolSpecs(t *testing.T) {
	a, b := installSpec("example.com/cmd/x@v1.0.0"), installSpec("example.com/cmd/x@v1.0.1")
	if a.Name == b.Name || a.digest() == b.digest() {
		t.Errorf("two versions share a tree: %s %s", a.Name, b.Name)
	}
	tc := toolchainSpec("go1.27.3")
	if tc.Output != "go1.27.3" || tc.digest() == toolchainSpec("go1.27.4").digest() || !strings.Contains(strings.Join(tc.Env, " "), "GOTOOLCHAIN=go1.27.3") {
		t.Errorf("toolchain spec %+v", tc)
	}
}
