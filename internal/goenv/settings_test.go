package goenv

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gofastdev/gofast/internal/toolchain"
)

func TestSettings(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "go.env"), []byte("# defaults\nGOPROXY=https://proxy.example/,direct\nGOSUMDB=sum.example\n"), 0o644)
	s, err := Parse([]byte(`{"GOPROXY":"https://proxy.example/,direct","GOSUMDB":"sum.example https://sum.example","GOROOT":"` + filepath.ToSlash(root) + `","GOMODCACHE":"/c"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !s.GOPROXYIsDefault() {
		t.Error("GOPROXY equal to go.env's should be the default")
	}
	if def, _ := s.DefaultGOPROXY(); def != "https://proxy.example/,direct" {
		t.Errorf("DefaultGOPROXY = %q", def)
	}
	if db, err := s.SumDB(); err != nil || db == nil || db.Name != "sum.example" || db.URL != "https://sum.example" {
		t.Errorf("SumDB = %+v, %v", db, err)
	}
	s.GOPROXY = "https://corp.example"
	if s.GOPROXYIsDefault() {
		t.Error("a user GOPROXY was taken for the default")
	}
	s.GOSUMDB = "off"
	if db, err := s.SumDB(); db != nil || err != nil {
		t.Errorf("GOSUMDB=off: SumDB = %+v, %v; want none", db, err)
	}
	if _, err := Parse([]byte("not json")); err == nil {
		t.Error("Parse accepted garbage")
	}
}

// goTool returns the go on PATH, or skips the test.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	return p
}

// TestLoadNeverSwitches checks that reading the settings in a module that
// asks for a newer go neither switches nor downloads (GOPROXY=off would make
// a download fail), and that GOTOOLCHAIN is still the user's setting.
func TestLoadNeverSwitches(t *testing.T) {
	tool := goTool(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n\ngo 1.999.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	user := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(user, []byte("GOTOOLCHAIN=go1.21.0+auto\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := Environ(os.Environ()).Without("GOTOOLCHAIN").Without("GOFLAGS").
		With("GOPROXY", "off").With("GOMODCACHE", t.TempDir()).With("PATH", "")
	for _, tc := range []struct {
		name string
		env  Environ
		want string
	}{
		{"environment", base.With("GOENV", "off").With("GOTOOLCHAIN", "auto"), "auto"},
		{"user file", base.With("GOENV", user), "go1.21.0+auto"},
		{"path", base.With("GOENV", user).With("GOTOOLCHAIN", "path"), "path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Load(context.Background(), tool, dir, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if s.GOTOOLCHAIN != tc.want || s.Raw["GOTOOLCHAIN"] != tc.want {
				t.Errorf("GOTOOLCHAIN = %q (Raw %q), want %q", s.GOTOOLCHAIN, s.Raw["GOTOOLCHAIN"], tc.want)
			}
			if s.GOVERSION != runtimeVersion(t, tool) {
				t.Errorf("GOVERSION = %q: not the local go", s.GOVERSION)
			}
		})
	}
}

// runtimeVersion asks tool for its own version without switching.
func runtimeVersion(t *testing.T, tool string) string {
	t.Helper()
	cmd := exec.Command(tool, "env", "GOVERSION")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// TestLoadError checks that a failed go env keeps go's first line as the
// message and its exit status as the cause.
func TestLoadError(t *testing.T) {
	tool := goTool(t)
	env := Environ(os.Environ()).With("GO111MODULE", "bogus")
	_, err := Load(context.Background(), tool, t.TempDir(), env)
	if err == nil {
		t.Fatal("Load succeeded with GO111MODULE=bogus")
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "GO111MODULE=bogus") || !strings.HasPrefix(msg, "reading go settings (go env -json): ") {
		t.Errorf("message %q: want one line with go's complaint", msg)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Errorf("errors.As(%v, *exec.ExitError) failed", err)
	}
	if _, err := Load(context.Background(), filepath.Join(t.TempDir(), "nogo"), "", env); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing go tool: %v, want fs.ErrNotExist", err)
	}
}

// TestGoEnvFileAsGoReadsIt gives the real go a GOROOT whose go.env holds
// what a hand edit leaves (comments, indented and lower-case lines, spaces
// around '=', quotes, a CRLF line, a key twice, no final newline) and checks
// that the defaults Settings reads from it are the values go reports when
// nothing else sets them.
func TestGoEnvFileAsGoReadsIt(t *testing.T) {
	tool := goTool(t)
	goroot := t.TempDir()
	goEnv := "# gofast test defaults\r\n" +
		"\n" +
		" GOPROXY=https://indented.example\n" +
		"GOPROXY=https://crlf.example,direct\r\n" +
		"GOPROXY=https://second.example\n" +
		"GOSUMDB = sum.spaced.example\n" +
		"GOSUMDB=sum.example\n" +
		"GOPRIVATE=  *.corp.example  \n" +
		"GONOSUMDB=\"quoted.example\"\n" +
		"GOINSECURE=a.example=b\n" +
		"gonoproxy=lower.example\n" +
		"GOVCS\n" +
		"GOTOOLCHAIN=local\n" +
		"GONOPROXY=last.example"
	if err := os.WriteFile(filepath.Join(goroot, "go.env"), []byte(goEnv), 0o644); err != nil {
		t.Fatal(err)
	}
	keys := []string{"GOPROXY", "GOSUMDB", "GOPRIVATE", "GONOSUMDB", "GOINSECURE", "GONOPROXY", "GOVCS"}
	env := Environ(os.Environ())
	for _, k := range append(keys, "GOTOOLCHAIN", "GOFLAGS") {
		env = env.Without(k)
	}
	env = env.With("GOROOT", goroot).With("GOENV", "off")
	s, err := Load(context.Background(), tool, t.TempDir(), env)
	if err != nil {
		t.Fatal(err)
	}
	if s.GOROOT != goroot {
		t.Fatalf("go used GOROOT %s, not the test's", s.GOROOT)
	}
	if def, err := s.DefaultGOPROXY(); err != nil || def != s.GOPROXY || !s.GOPROXYIsDefault() {
		t.Errorf("DefaultGOPROXY = %q, %v; go reports GOPROXY %q", def, err, s.GOPROXY)
	}
	if def, err := s.DefaultGOSUMDB(); err != nil || def != s.GOSUMDB {
		t.Errorf("DefaultGOSUMDB = %q, %v; go reports GOSUMDB %q", def, err, s.GOSUMDB)
	}
	defaults, err := toolchain.GoEnv(goroot)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if defaults[k] != s.Raw[k] {
			t.Errorf("go.env's %s = %q; go reports %q", k, defaults[k], s.Raw[k])
		}
	}
}

// TestSumDBReadsGoEnvOnce checks that a Settings reads go.env once, however
// many requests ask for the checksum database at once: a go.env changed
// after the first read changes nothing.
func TestSumDBReadsGoEnvOnce(t *testing.T) {
	root := t.TempDir()
	name := filepath.Join(root, "go.env")
	if err := os.WriteFile(name, []byte("GOSUMDB=sum.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Parse([]byte(`{"GOSUMDB":"sum.example","GOROOT":"` + filepath.ToSlash(root) + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if db, err := s.SumDB(); err != nil || db == nil || db.Name != "sum.example" {
				errs <- fmt.Errorf("SumDB = %+v, %v", db, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := os.WriteFile(name, []byte("GOSUMDB=sum.other.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if db, err := s.SumDB(); err != nil || db == nil || db.Name != "sum.example" {
		t.Errorf("after go.env changed: SumDB = %+v, %v; want sum.example still", db, err)
	}
}
