//go:build linux

package reliability_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var longFlag = flag.Bool("long", false, "run the long variants (about 100 crash trials); GOFAST_LONG=1 does the same")

// long reports whether the long variants run.
func long() bool { return *longFlag || os.Getenv("GOFAST_LONG") == "1" }

// binDir holds the gofast binaries built for this test binary.
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "gofast-reliability-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build is one gofast binary, built on first use.
type build struct {
	once sync.Once
	path string
	err  error
}

var plainBuild, raceBuild build

// gofastBin returns the gofast binary, built once per test binary.
func gofastBin(t testing.TB) string { return buildGofast(t, &plainBuild, false) }

// gofastRaceBin returns gofast built with the race detector.
func gofastRaceBin(t testing.TB) string { return buildGofast(t, &raceBuild, true) }

// binEnv names, for each build, a variable that makes the suite test an
// existing binary (a release, another checkout) instead of building one.
var binEnv = map[bool]string{false: "GOFAST_TEST_BIN", true: "GOFAST_TEST_RACE_BIN"}

func buildGofast(t testing.TB, b *build, race bool) string {
	t.Helper()
	goTool := realGo(t)
	b.once.Do(func() {
		if p := os.Getenv(binEnv[race]); p != "" {
			b.path, b.err = filepath.Abs(p)
			return
		}
		name := "gofast"
		args := []string{"build", "-o"}
		if race {
			name += "-race"
		}
		b.path = filepath.Join(binDir, name)
		args = append(args, b.path)
		if race {
			args = append(args, "-race")
		}
		args = append(args, "github.com/gofastdev/gofast")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, goTool, args...).CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if b.err != nil {
		t.Fatalf("building gofast: %v", b.err)
	}
	return b.path
}

var (
	goOnce  sync.Once
	goPath  string
	goCache string
	goErr   error
)

// realGo returns the go tool the tests run behind gofast (the first go on
// PATH), skipping the test when there is none.
func realGo(t testing.TB) string {
	t.Helper()
	goOnce.Do(func() {
		goPath, goErr = exec.LookPath("go")
		if goErr != nil {
			return
		}
		goPath, goErr = filepath.Abs(goPath)
		if goErr != nil {
			return
		}
		out, err := exec.Command(goPath, "env", "GOCACHE").Output()
		if err == nil {
			goCache = strings.TrimSpace(string(out))
		}
	})
	if goErr != nil {
		t.Skipf("no go tool: %v", goErr)
	}
	return goPath
}

// buildCache is the go build cache the child processes share: tests
// isolate everything else, but recompiling nothing is what keeps them
// fast. `go mod download` and `go mod verify` do not build.
func buildCache(t testing.TB) string {
	realGo(t)
	if goCache == "" {
		return filepath.Join(binDir, "gocache")
	}
	return goCache
}

// result is one finished process.
type result struct {
	args     []string
	stdout   string
	stderr   string
	code     int
	elapsed  time.Duration
	timedOut bool
}

func (r *result) String() string {
	return fmt.Sprintf("%s: exit %d after %v\n--- stderr:\n%s--- stdout:\n%s", strings.Join(r.args, " "), r.code, r.elapsed.Round(time.Millisecond), r.stderr, limitText(r.stdout, 4000))
}

func limitText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "...\n"
	}
	return s
}

// run runs bin with args in dir and env, killing its whole process group
// when timeout passes (gofast replaces itself with go, which keeps its
// pid; go may start children). It never fails the test itself.
func run(timeout time.Duration, dir string, env []string, bin string, args ...string) *result {
	return runInput(timeout, dir, env, nil, bin, args...)
}

// runInput is run with stdin read from stdin (nil: no input).
func runInput(timeout time.Duration, dir string, env []string, stdin io.Reader, bin string, args ...string) *result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, env, stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err := cmd.Run()
	r := &result{args: append([]string{filepath.Base(bin)}, args...), elapsed: time.Since(start)}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	r.timedOut = ctx.Err() != nil
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		r.code = -1
		r.stderr += "\n(run: " + err.Error() + ")"
	}
	return r
}

// requireFinished fails the test if r hit its deadline.
func requireFinished(t testing.TB, r *result) {
	t.Helper()
	if r.timedOut {
		t.Fatalf("HUNG: killed after %v\n%s", r.elapsed.Round(time.Millisecond), r)
	}
}

// checkNoCrash fails the test when a Go panic or a data race shows in
// the output.
func checkNoCrash(t testing.TB, r *result) {
	t.Helper()
	for _, out := range []string{r.stderr, r.stdout} {
		for _, bad := range []string{"panic:", "goroutine ", "WARNING: DATA RACE", "fatal error:"} {
			if strings.Contains(out, bad) {
				t.Errorf("output contains %q\n%s", bad, r)
				return
			}
		}
	}
}

// gofastLines returns the lines gofast itself printed on stderr.
func gofastLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "gofast: ") {
			out = append(out, l)
		}
	}
	return out
}
