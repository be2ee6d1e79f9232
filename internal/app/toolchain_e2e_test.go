package app

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
	"github.com/gofastdev/gofast/internal/toolchain"
)

// fakeGo is the go version of the fake toolchain: far above any real one,
// so that `go 1.999.0` in go.mod makes the local go switch.
const fakeGo = "1.999.0"

// meetDeadline bounds how long one zip waits for the other download to
// show up (see zipMeeting): far more than both take when they run side by
// side, so that only downloads run one after the other miss it, and the
// test then fails instead of hanging.
const meetDeadline = 20 * time.Second

// zipMeeting holds the toolchain zip until some module zip has been asked
// for, and every module zip until the toolchain zip has: a toolchain
// downloaded before or after the module prefetch, rather than beside it,
// leaves one of them waiting out meetDeadline.
type zipMeeting struct {
	armed        atomic.Bool
	tc, mod      chan struct{}
	tcOnce, once sync.Once
	missed       atomic.Int32
}

func newZipMeeting() *zipMeeting {
	return &zipMeeting{tc: make(chan struct{}), mod: make(chan struct{})}
}

func (z *zipMeeting) fault(r *http.Request) proxytest.Fault {
	if !z.armed.Load() || !strings.HasSuffix(r.URL.Path, ".zip") {
		return proxytest.Fault{}
	}
	wait := z.tc
	if strings.Contains(r.URL.Path, toolchain.Module+"/") {
		z.tcOnce.Do(func() { close(z.tc) })
		wait = z.mod
	} else {
		z.once.Do(func() { close(z.mod) })
	}
	select {
	case <-wait:
	case <-time.After(meetDeadline):
		z.missed.Add(1)
	case <-r.Context().Done():
	}
	return proxytest.Fault{}
}

// switchingE2E is the end-to-end project with a go.mod asking for the fake
// toolchain (go.sum written by go beforehand), served with it.
func switchingE2E(t *testing.T, fault func(*http.Request) proxytest.Fault) *e2e {
	t.Helper()
	w := newE2EWith(t, []proxytest.Module{proxytest.FakeToolchain(fakeGo)}, fault)
	gomod := filepath.Join(w.dir, "go.mod")
	data, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	switched := bytes.Replace(data, []byte("\ngo 1.21\n"), []byte("\ngo "+fakeGo+"\n"), 1)
	if bytes.Equal(switched, data) {
		t.Fatalf("go.mod has no go 1.21 line:\n%s", data)
	}
	if err := os.WriteFile(gomod, switched, 0o666); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestToolchainBesidePrefetch: for `gofast mod download`, `gofast
// prefetch` and a wrapped `gofast build`, in a module whose go line makes
// go switch toolchains, the toolchain zip and the module zips are asked
// for at the same time: the mirror holds each kind back until the other
// has been asked for.
func TestToolchainBesidePrefetch(t *testing.T) {
	bin := gofastBinary(t)
	for _, tc := range []struct {
		args []string
		// stdout is what the command prints: the fake toolchain's line
		// for a command go runs, nothing for gofast's own.
		stdout string
	}{
		{[]string{"mod", "download"}, proxytest.ToolchainLine(fakeGo, "mod download")},
		{[]string{"build", "./..."}, proxytest.ToolchainLine(fakeGo, "build ./...")},
		{[]string{"prefetch"}, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			meet := newZipMeeting()
			w := switchingE2E(t, meet.fault)
			cache := w.cache("c")
			meet.armed.Store(true)
			cmd := exec.Command(bin, tc.args...)
			cmd.Dir, cmd.Env = w.dir, w.env(cache, "GOTOOLCHAIN=auto")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("gofast %s: %v\n%s", strings.Join(tc.args, " "), err, stderr.String())
			}
			if n := meet.missed.Load(); n > 0 {
				t.Errorf("%d zip requests waited %v for the other download: the toolchain and the modules were not fetched side by side\n%s", n, meetDeadline, stderr.String())
			}
			if stdout.String() != tc.stdout {
				t.Errorf("stdout %q, want %q", stdout.String(), tc.stdout)
			}
			if !toolchain.Cached(cache, "go"+fakeGo, runtime.GOOS, runtime.GOARCH) {
				t.Errorf("toolchain go%s not in the module cache\n%s", fakeGo, stderr.String())
			}
			if w.srv.Count("example.com/dep/@v/v1.1.0.zip") == 0 {
				t.Errorf("no module zip was fetched: %v", w.srv.Requests())
			}
		})
	}
}

// TestToolchainFailureIsGos: a toolchain no mirror has fails the command
// with go's exit code and go's one line, as go alone does.
func TestToolchainFailureIsGos(t *testing.T) {
	w := newE2E(t)
	gomod := filepath.Join(w.dir, "go.mod")
	data, _ := os.ReadFile(gomod)
	os.WriteFile(gomod, bytes.Replace(data, []byte("\ngo 1.21\n"), []byte("\ngo "+fakeGo+"\n"), 1), 0o666)
	bin := gofastBinary(t)
	cmd := exec.Command(bin, "mod", "download")
	cmd.Dir, cmd.Env = w.dir, w.env(w.cache("c"), "GOTOOLCHAIN=auto")
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("gofast mod download: %v, want go's exit status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "go: download go"+fakeGo+" for "+runtime.GOOS+"/"+runtime.GOARCH+": toolchain not available") {
		t.Errorf("output lacks go's message:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(line, "gofast:") && !strings.Contains(line, "prefetched") {
			t.Errorf("gofast added a line of its own: %q", line)
		}
	}
}

// TestOutputDirSwitchesToolchainOffline: `gofast prefetch -o` in a module
// that makes go switch toolchains writes a tree from which a go with no
// network, a fresh module cache and a fresh GOPATH switches to the
// toolchain, verifying it against the checksum database, and builds; the
// modules need no checksum-database lookups (go.sum has them), and the
// tree holds none.
func TestOutputDirSwitchesToolchainOffline(t *testing.T) {
	if exec.Command("unshare", "-rn", "true").Run() != nil {
		t.Skip("unshare -rn does not work here: cannot run go with no network at all")
	}
	w := switchingE2E(t, nil)
	out := filepath.Join(w.base, "bundle")
	// go's own `go mod tidy` wrote go.sum, looking the modules up; what
	// counts is what is asked for from here on.
	setup := len(w.srv.Requests())
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), Options{
		Args:   []string{"gofast", "prefetch", "-C", w.dir, "-o", out},
		Env:    w.env(w.cache("c"), "GOTOOLCHAIN=auto"),
		Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader(""),
	})
	if err != nil {
		t.Fatalf("gofast prefetch -o: %v\n%s", err, stderr.String())
	}
	v := toolchain.ModuleVersion("go"+fakeGo, runtime.GOOS, runtime.GOARCH)
	for _, f := range []string{"zip", "mod", "info"} {
		if _, err := os.Stat(filepath.Join(out, "golang.org", "toolchain", "@v", v+"."+f)); err != nil {
			t.Errorf("bundle lacks the toolchain's .%s: %v", f, err)
		}
	}
	db := filepath.Join(out, "sumdb", "sum.test")
	if _, err := os.Stat(filepath.Join(db, "supported")); err != nil {
		t.Errorf("bundle does not serve the checksum database: %v", err)
	}
	var lookups []string
	filepath.WalkDir(filepath.Join(db, "lookup"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(filepath.Join(db, "lookup"), p)
			lookups = append(lookups, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(lookups)
	if want := []string{"golang.org/toolchain@" + v}; strings.Join(lookups, " ") != strings.Join(want, " ") {
		t.Errorf("bundle lookups %v, want only %v", lookups, want)
	}
	for _, r := range w.srv.Requests()[setup:] {
		if strings.Contains(r, "/lookup/example.com") {
			t.Errorf("a module in go.sum was looked up in the checksum database: %s", r)
		}
	}

	fresh := w.cache("offline")
	offline := func(dir string, extra []string, args ...string) string {
		t.Helper()
		env := w.env(fresh, append([]string{
			"GOPROXY=file://" + filepath.ToSlash(out),
			"GOPATH=" + filepath.Join(w.base, "offline-gopath"),
		}, extra...)...)
		cmd := exec.Command("unshare", append([]string{"-rn", w.goT}, args...)...)
		cmd.Dir, cmd.Env = dir, env
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("offline go %s in %s: %v\n%s%s", strings.Join(args, " "), dir, err, o.String(), e.String())
		}
		return o.String()
	}
	if got, want := offline(w.dir, []string{"GOTOOLCHAIN=auto"}, "build", "./..."), proxytest.ToolchainLine(fakeGo, "build ./..."); got != want {
		t.Errorf("offline go build printed %q, want the switched toolchain's %q", got, want)
	}
	// The fake toolchain builds nothing: the same requirements, built and
	// verified by the local go from the same tree with no network, show
	// that the modules are there and need no lookups.
	sibling := filepath.Join(w.base, "sibling")
	os.MkdirAll(sibling, 0o777)
	for _, name := range []string{"go.mod", "go.sum", "main.go"} {
		data, err := os.ReadFile(filepath.Join(w.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.Replace(data, []byte("\ngo "+fakeGo+"\n"), []byte("\ngo 1.21\n"), 1)
		os.WriteFile(filepath.Join(sibling, name), data, 0o666)
	}
	offline(sibling, []string{"GOTOOLCHAIN=local"}, "build", "./...")
	if got := offline(sibling, []string{"GOTOOLCHAIN=local"}, "mod", "verify"); !strings.Contains(got, "all modules verified") {
		t.Errorf("offline go mod verify: %s", got)
	}
}
