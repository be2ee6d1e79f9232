package wrap

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/gofastdev/gofast/internal/environ"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want Invocation
	}{
		{"bare go", nil, Invocation{Rest: []string{}}},
		{"version", []string{"version"}, Invocation{Command: "version", Rest: []string{}}},
		{"env", []string{"env", "-json"}, Invocation{Command: "env", Rest: []string{"-json"}}},
		{"build fetches", []string{"build", "./..."}, Invocation{Command: "build", Rest: []string{"./..."}, MayFetch: true}},
		{"test fetches", []string{"test", "-run", "X"}, Invocation{Command: "test", Rest: []string{"-run", "X"}, MayFetch: true}},
		{"mod download", []string{"mod", "download", "-x"}, Invocation{Command: "mod", Sub: "download", Rest: []string{"-x"}, MayFetch: true}},
		{"mod edit does not", []string{"mod", "edit", "-json"}, Invocation{Command: "mod", Sub: "edit", Rest: []string{"-json"}}},
		{"mod init does not", []string{"mod", "init", "x"}, Invocation{Command: "mod", Sub: "init", Rest: []string{"x"}}},
		{"work sync", []string{"work", "sync"}, Invocation{Command: "work", Sub: "sync", Rest: []string{}, MayFetch: true, Resolves: true}},
		{"work edit", []string{"work", "edit"}, Invocation{Command: "work", Sub: "edit", Rest: []string{}}},
		{"fmt", []string{"fmt", "./..."}, Invocation{Command: "fmt", Rest: []string{"./..."}}},
		{"-C after command", []string{"build", "-C", "sub", "./..."}, Invocation{Command: "build", Dir: "sub", Rest: []string{"./..."}, MayFetch: true}},
		{"-C= after subcommand", []string{"mod", "download", "-C=sub"}, Invocation{Command: "mod", Sub: "download", Dir: "sub", Rest: []string{}, MayFetch: true}},
		{"-C before command", []string{"-C", "sub", "list", "-m", "all"}, Invocation{Command: "list", Dir: "sub", Rest: []string{"-m", "all"}, MayFetch: true, ModsOnly: true}},
		{"--C= before command", []string{"--C=sub", "vet"}, Invocation{Command: "vet", Dir: "sub", Rest: []string{}, MayFetch: true}},
		{"-C not first flag", []string{"build", "-x", "-C", "sub"}, Invocation{Command: "build", Rest: []string{"-x", "-C", "sub"}, MayFetch: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.args)
			if got.Rest == nil {
				got.Rest = []string{}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Classify(%q) = %+v, want %+v", tc.args, got, tc.want)
			}
		})
	}
}

// TestResolves: the commands that look beyond go.mod and go.sum, which a
// warm cache does not make offline.
func TestResolves(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"get", "example.com/a@v1.0.0"}, true},
		{[]string{"get", "-u", "./..."}, true},
		{[]string{"mod", "tidy"}, true},
		{[]string{"-C", "sub", "mod", "tidy"}, true},
		{[]string{"work", "sync"}, true},
		{[]string{"install", "example.com/tool@v1.0.0"}, true},
		{[]string{"install", "-v", "example.com/tool@latest"}, true},
		{[]string{"install", "./cmd/tool"}, false},
		{[]string{"run", "example.com/tool@v1.0.0", "arg"}, true},
		{[]string{"run", ".", "user@host"}, false},
		{[]string{"list", "-m", "-u", "all"}, true},
		{[]string{"list", "-m", "-versions", "example.com/a"}, true},
		{[]string{"list", "-m", "example.com/a@latest"}, true},
		{[]string{"list", "-m", "all"}, false},
		{[]string{"list", "./..."}, false},
		{[]string{"mod", "download"}, false},
		{[]string{"mod", "download", "example.com/a@v1.2.3"}, false},
		{[]string{"mod", "download", "example.com/a@v1.2.3+incompatible"}, false},
		{[]string{"mod", "download", "example.com/a@latest"}, true},
		{[]string{"mod", "download", "example.com/a@v1.2"}, true},
		{[]string{"mod", "graph"}, false},
		{[]string{"build", "./..."}, false},
		{[]string{"version"}, false},
	} {
		if got := Classify(tc.args).Resolves; got != tc.want {
			t.Errorf("Classify(%q).Resolves = %v, want %v", tc.args, got, tc.want)
		}
	}
}

// TestTools: the packages of go install and go run of pkg@version.
func TestTools(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"install", "example.com/tool/cmd/t@v1.0.0"}, []string{"example.com/tool/cmd/t"}},
		{[]string{"install", "-v", "example.com/a@latest", "example.com/b/...@latest"}, []string{"example.com/a", "example.com/b"}},
		{[]string{"run", "example.com/tool@v1.0.0", "x@y"}, []string{"example.com/tool"}},
		{[]string{"-C", "d", "install", "example.com/t@v1"}, []string{"example.com/t"}},
		{[]string{"install", "./cmd/tool"}, nil},
		{[]string{"run", ".", "user@host"}, nil},
		{[]string{"get", "example.com/a@v1.0.0"}, nil},
		{[]string{"install", "@v1"}, nil},
	} {
		if got := Classify(tc.args).Tools(); !slices.Equal(got, tc.want) {
			t.Errorf("Classify(%q).Tools() = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestLocateSkipsSelf(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses Unix executables")
	}
	self := filepath.Join(t.TempDir(), "gofast")
	os.WriteFile(self, []byte("#!/bin/sh\necho gofast\n"), 0o755)

	linkDir, copyDir, realDir, noExecDir := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	os.Symlink(self, filepath.Join(linkDir, "go"))
	data, _ := os.ReadFile(self)
	os.WriteFile(filepath.Join(copyDir, "go"), data, 0o755)
	os.WriteFile(filepath.Join(noExecDir, "go"), []byte("data"), 0o644)
	realGo := filepath.Join(realDir, "go")
	os.WriteFile(realGo, []byte("#!/bin/sh\necho real go\n"), 0o755)

	path := linkDir + string(os.PathListSeparator) + copyDir + string(os.PathListSeparator) +
		noExecDir + string(os.PathListSeparator) + realDir
	got, err := Locate(environ.Environ{"PATH=" + path}, self)
	if err != nil || got != realGo {
		t.Fatalf("Locate = %q, %v; want %q", got, err, realGo)
	}

	if _, err := Locate(environ.Environ{"PATH=" + linkDir}, self); err == nil {
		t.Fatal("Locate found gofast itself as go")
	}
	if _, err := Locate(environ.Environ{"PATH=" + linkDir, "GOFAST_GO=" + filepath.Join(linkDir, "go")}, self); err == nil {
		t.Fatal("GOFAST_GO naming gofast itself was accepted")
	}
	got, err = Locate(environ.Environ{"PATH=" + linkDir, "GOFAST_GO=" + realGo}, self)
	if err != nil || got != realGo {
		t.Fatalf("GOFAST_GO: %q, %v", got, err)
	}
}

// TestModsOnly: the command lines for which go reads go.mod files only.
func TestModsOnly(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"list", "-m", "all"}, true},
		{[]string{"list", "-f", "{{.Path}}", "-m", "all"}, true},
		{[]string{"list", "--m=true", "-u", "all"}, true},
		{[]string{"-C", "sub", "list", "-m"}, true},
		{[]string{"list", "-m=false", "./..."}, false},
		{[]string{"list", "./..."}, false},
		{[]string{"list", "-json", "."}, false},
		{[]string{"mod", "graph"}, true},
		{[]string{"mod", "verify"}, true},
		{[]string{"mod", "why", "example.com/a"}, false},
		{[]string{"mod", "download"}, false},
		{[]string{"build", "-m"}, false},
		{[]string{"version", "-m"}, false},
	} {
		if got := Classify(tc.args).ModsOnly; got != tc.want {
			t.Errorf("Classify(%q).ModsOnly = %v, want %v", tc.args, got, tc.want)
		}
	}
}
