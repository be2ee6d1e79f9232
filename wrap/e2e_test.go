package wrap_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// These tests run the real go tool and the gofast binary built from this
// checkout side by side and require identical bytes, exit codes and stdin
// handling: gofast must be invisible on every path that does not fetch.

var (
	// gofastBin is the installed layout: the lean launcher as gofast with
	// gofast-core beside it. coreBin is the full program on its own, as
	// `go install` installs it. Both must be invisible.
	gofastBin string
	coreBin   string
	realGo    string
)

func TestMain(m *testing.M) {
	var err error
	realGo, err = exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "go not on PATH:", err)
		os.Exit(1)
	}
	if r, err := filepath.EvalSymlinks(realGo); err == nil {
		realGo = r
	}
	dir, err := os.MkdirTemp("", "gofast-e2e-")
	if err != nil {
		panic(err)
	}
	gofastBin = filepath.Join(dir, "gofast"+exeSuffix())
	coreBin = filepath.Join(dir, "gofast-core"+exeSuffix())
	for bin, pkg := range map[string]string{gofastBin: "../cmd/gofast-front", coreBin: ".."} {
		build := exec.Command(realGo, "build", "-o", bin, pkg)
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

// baseEnv isolates go from the machine: no proxy (nothing may be
// downloaded), a private module cache, and no gofast settings.
func baseEnv(t *testing.T) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GOFAST_") || k == "GOPROXY" || k == "GOMODCACHE" || k == "GOFLAGS" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GOPROXY=off", "GOMODCACHE="+t.TempDir(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local",
		"XDG_CACHE_HOME="+t.TempDir())
}

type result struct {
	stdout, stderr string
	code           int
}

func run(t *testing.T, bin, dir, stdin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", bin, err)
	}
	return result{out.String(), errb.String(), code}
}

// timings normalises the durations go test prints, the one part of go's
// output that differs between two runs.
var timings = regexp.MustCompile(`\d+\.\d+s`)

func same(t *testing.T, what string, goRes, fastRes result) {
	t.Helper()
	norm := func(s string) string { return timings.ReplaceAllString(s, "T") }
	if norm(goRes.stdout) != norm(fastRes.stdout) {
		t.Errorf("%s: stdout differs\ngo:     %q\ngofast: %q", what, goRes.stdout, fastRes.stdout)
	}
	if norm(goRes.stderr) != norm(fastRes.stderr) {
		t.Errorf("%s: stderr differs\ngo:     %q\ngofast: %q", what, goRes.stderr, fastRes.stderr)
	}
	if goRes.code != fastRes.code {
		t.Errorf("%s: exit code go=%d gofast=%d", what, goRes.code, fastRes.code)
	}
}

func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o777)
		if err := os.WriteFile(p, []byte(body), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const prog = `package main

import (
	"bufio"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "fail" {
		fmt.Println("to stdout before failing")
		fmt.Fprintln(os.Stderr, "to stderr before failing")
		os.Exit(3)
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		fmt.Println("echo:", sc.Text())
	}
}
`

func TestSameAsGo(t *testing.T) {
	mod := writeModule(t, map[string]string{
		"go.mod":           "module example.com/e2e\n\ngo 1.21\n",
		"main.go":          prog,
		"lib/lib.go":       "package lib\n\nfunc Add(a, b int) int { return a + b }\n",
		"lib/ok_test.go":   "package lib\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal(\"math\")\n\t}\n}\n",
		"bad/bad_test.go":  "package bad\n\nimport \"testing\"\n\nfunc TestFails(t *testing.T) { t.Fatal(\"intended failure\") }\n",
		"broken/broken.go": "package broken\n\nfunc x() int { return \"no\" }\n",
	})
	env := baseEnv(t)
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"version", "", []string{"version"}},
		{"env GOPROXY", "", []string{"env", "GOPROXY"}},
		{"help", "", []string{"help", "mod"}},
		{"no args", "", nil},
		{"unknown command", "", []string{"nosuchcommand"}},
		{"run with stdin", "one\ntwo\n", []string{"run", "."}},
		{"run failing program", "", []string{"run", ".", "fail"}},
		{"passing test", "", []string{"test", "-count=1", "./lib"}},
		{"failing test", "", []string{"test", "-count=1", "./bad"}},
		{"compile error", "", []string{"build", "./broken"}},
		{"-C flag", "", []string{"-C", "lib", "vet", "."}},
		{"bad flag", "", []string{"build", "-nosuchflag"}},
		{"mod edit", "", []string{"mod", "edit", "-json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := run(t, realGo, mod, tc.stdin, env, tc.args...)
			for _, bin := range []string{gofastBin, coreBin} {
				f := run(t, bin, mod, tc.stdin, append(env, "GOFAST_GO="+realGo), tc.args...)
				same(t, filepath.Base(bin)+" "+strings.Join(tc.args, " "), g, f)
			}
		})
	}
}

func TestGofastOff(t *testing.T) {
	env := append(baseEnv(t), "GOFAST_OFF=1", "GOFAST_GO="+realGo)
	g := run(t, realGo, t.TempDir(), "", env, "self", "version")
	for _, bin := range []string{gofastBin, coreBin} {
		f := run(t, bin, t.TempDir(), "", env, "self", "version")
		same(t, "GOFAST_OFF=1 self version", g, f)
		if f.code == 0 {
			t.Errorf("with GOFAST_OFF=1, %s must pass even its own commands to go; got exit 0: %q", bin, f.stdout)
		}
	}
}

func TestSymlinkedAsGoFirstOnPath(t *testing.T) {
	realDir := filepath.Dir(realGo)
	mod := writeModule(t, map[string]string{"go.mod": "module example.com/shim\n\ngo 1.21\n", "shim.go": "package shim\n"})
	for _, tc := range []struct{ how, bin string }{
		{"launcher symlinked", gofastBin},
		{"launcher copied", gofastBin},
		{"core symlinked", coreBin},
		{"core copied", coreBin},
	} {
		t.Run(tc.how, func(t *testing.T) {
			shim := t.TempDir()
			goName := filepath.Join(shim, "go"+exeSuffix())
			if strings.HasSuffix(tc.how, "symlinked") {
				if err := os.Symlink(tc.bin, goName); err != nil {
					t.Skip("symlinks unavailable:", err)
				}
			} else {
				data, err := os.ReadFile(tc.bin)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(goName, data, 0o755)
			}
			env := baseEnv(t)
			for i, kv := range env {
				if strings.HasPrefix(kv, "PATH=") {
					env[i] = "PATH=" + shim + string(os.PathListSeparator) + realDir
				}
			}
			if tc.how == "launcher copied" {
				// A copied launcher has no gofast-core beside it.
				env = append(env, "GOFAST_CORE="+coreBin)
			}
			// version never fetches (the launcher execs go); list may
			// (the launcher hands over to gofast-core, which must not
			// take the launcher, named go, for go).
			for _, args := range [][]string{{"version"}, {"list", "-m"}} {
				g := run(t, realGo, mod, "", env, args...)
				done := make(chan result, 1)
				go func() { done <- run(t, goName, mod, "", env, args...) }()
				select {
				case f := <-done:
					same(t, tc.how+" as go: "+strings.Join(args, " "), g, f)
				case <-time.After(60 * time.Second):
					t.Fatalf("gofast installed as go did not finish %v: it may be executing itself", args)
				}
			}
		})
	}
}

func TestNoGoFound(t *testing.T) {
	env := []string{"PATH=" + t.TempDir(), "HOME=" + t.TempDir()}
	f := run(t, gofastBin, t.TempDir(), "", env, "version")
	if f.code != 1 || !strings.HasPrefix(f.stderr, "gofast: ") || !strings.Contains(f.stderr, "no go tool found") || strings.Count(f.stderr, "\n") != 1 {
		t.Errorf("want one gofast: line and exit 1, got %d %q", f.code, f.stderr)
	}
	bad := run(t, gofastBin, t.TempDir(), "", append(env, "GOFAST_GO=/nonexistent/go"), "version")
	if bad.code != 1 || !strings.Contains(bad.stderr, "GOFAST_GO=/nonexistent/go") {
		t.Errorf("bad GOFAST_GO: got %d %q", bad.code, bad.stderr)
	}
}
