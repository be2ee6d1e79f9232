package warmstamp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/environ"
)

func write(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o666); err != nil {
		t.Fatal(err)
	}
}

// touch moves a file's modification time, as an edit would.
func touch(t *testing.T, p string, at time.Time) {
	t.Helper()
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
}

func TestPathFollowsWhatDecides(t *testing.T) {
	base := t.TempDir()
	mod := filepath.Join(base, "m")
	write(t, filepath.Join(mod, "go.mod"), "module example.com/m\n\ngo 1.21\n")
	write(t, filepath.Join(mod, "go.sum"), "")
	goTool := filepath.Join(base, "go")
	write(t, goTool, "go")
	env := environ.Environ{"XDG_CACHE_HOME=" + filepath.Join(base, "cache"), "HOME=" + base, "GOWORK="}
	sub := filepath.Join(mod, "sub")
	os.MkdirAll(sub, 0o777)

	p := Path(env, mod, goTool)
	if p == "" || !strings.HasPrefix(p, filepath.Join(base, "cache", "gofast", "warm")) {
		t.Fatalf("Path = %q", p)
	}
	if got := Path(env, sub, goTool); got != p {
		t.Errorf("a subdirectory of the module has another record: %s", got)
	}
	later := time.Now().Add(time.Hour)
	changes := []struct {
		name   string
		change func() (environ.Environ, string)
	}{
		{"go.sum edited", func() (environ.Environ, string) { touch(t, filepath.Join(mod, "go.sum"), later); return env, goTool }},
		{"vendor appears", func() (environ.Environ, string) {
			write(t, filepath.Join(mod, "vendor", "modules.txt"), "")
			return env, goTool
		}},
		{"GOFLAGS", func() (environ.Environ, string) { return env.With("GOFLAGS", "-mod=mod"), goTool }},
		{"GOPROXY", func() (environ.Environ, string) { return env.With("GOPROXY", "off"), goTool }},
		{"another go", func() (environ.Environ, string) { return env, filepath.Join(base, "other-go") }},
		{"go env file", func() (environ.Environ, string) {
			write(t, filepath.Join(base, ".config", "go", "env"), "GOPROXY=off\n")
			return env, goTool
		}},
	}
	seen := map[string]string{p: "start"}
	for _, c := range changes {
		e, tool := c.change()
		got := Path(e, mod, tool)
		if got == "" {
			t.Fatalf("%s: no record path", c.name)
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("%s: same record as %s", c.name, prev)
		}
		seen[got] = c.name
	}
	if got := Path(env, base, goTool); got != "" {
		t.Errorf("outside any module: %q, want none", got)
	}
	if got := Path(environ.Environ{}, mod, goTool); got != "" {
		t.Errorf("no cache directory: %q, want none", got)
	}
}

func TestPathInWorkspace(t *testing.T) {
	base := t.TempDir()
	write(t, filepath.Join(base, "a", "go.mod"), "module example.com/a\n\ngo 1.21\n")
	write(t, filepath.Join(base, "b", "go.mod"), "module example.com/b\n\ngo 1.21\n")
	write(t, filepath.Join(base, "go.work"), "go 1.21\n\nuse (\n\t./a\n\t./b\n)\n")
	goTool := filepath.Join(base, "go")
	write(t, goTool, "go")
	env := environ.Environ{"XDG_CACHE_HOME=" + filepath.Join(base, "cache")}

	p := Path(env, filepath.Join(base, "a"), goTool)
	if p == "" {
		t.Fatal("no record in a workspace")
	}
	if got := Path(env, filepath.Join(base, "b"), goTool); got != p {
		t.Error("two modules of one workspace have different records")
	}
	if got := Path(env.With("GOWORK", "off"), filepath.Join(base, "a"), goTool); got == p || got == "" {
		t.Errorf("GOWORK=off: %q, want module a's own record", got)
	}
	write(t, filepath.Join(base, "b", "go.sum"), "")
	if got := Path(env, filepath.Join(base, "a"), goTool); got == p {
		t.Error("a used module's new go.sum left the record unchanged")
	}
	write(t, filepath.Join(base, "go.work"), "go 1.21\n\nuse ((\n")
	if got := Path(env, filepath.Join(base, "a"), goTool); got != "" {
		t.Errorf("unparsable go.work: %q, want none", got)
	}
}

func TestValidAndWrite(t *testing.T) {
	dir := t.TempDir()
	present := filepath.Join(dir, "x.zip")
	write(t, present, "")
	rec := filepath.Join(dir, "warm", "r.txt")
	if Valid(rec) || Valid("") {
		t.Fatal("a missing record is valid")
	}
	if err := Write(rec, []string{present}); err != nil {
		t.Fatal(err)
	}
	if !Valid(rec) {
		t.Fatal("a fresh record is not valid")
	}
	if err := Write(rec, []string{present, filepath.Join(dir, "gone.zip")}); err != nil {
		t.Fatal(err)
	}
	if Valid(rec) {
		t.Error("a record listing a missing file is valid")
	}
	write(t, rec, `{"files":[]}`)
	if Valid(rec) {
		t.Error("a record of another format is valid")
	}
	if err := Write(rec, []string{"a\nb"}); err == nil {
		t.Error("a file name with a newline was recorded")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "warm", "*.tmp")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}
