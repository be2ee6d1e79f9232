//go:build linux

package reliability_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// The tests of this file drive the go commands that fetch what go.sum
// does not name (`go get m@v`, `go get m@latest`, `go mod tidy` with a new
// import, `go install pkg@v` and `go run pkg@v` outside a module, a
// toolchain switch) through gofast against mirrors that stall, fail a
// share of requests, reset, or lie. gofast serves go those fetches through
// its loopback proxy (SPEC.md, "The loopback proxy"), so each command must
// finish in about the time it takes against a healthy mirror, with go's
// exit code and output, a clean cache and `go mod verify` clean; go alone,
// given the same settings, hangs or fails (the controls show it does).

// fakeGoVersion is the go version of the fake toolchain: far above any
// real one, so that a go.mod saying `go 1.999.0` makes the local go switch.
const fakeGoVersion = "1.999.0"

// proxyMods are the modules of the proxy tests: a module with two
// versions (for @latest), a module requiring another (for a tidy that
// walks the graph), a module with two commands (install, run, stdin), and
// the fake toolchain go switches to.
var proxyMods = []proxytest.Module{
	{Path: "example.com/a", Version: "v1.0.0"},
	{Path: "example.com/a", Version: "v1.1.0"},
	{Path: "example.com/b", Version: "v1.0.0",
		GoMod: "module example.com/b\n\ngo 1.21\n\nrequire example.com/c v1.0.0\n",
		Files: map[string]string{"b.go": "package b\n\nimport \"example.com/c\"\n\n// Version names b and what it builds on.\nconst Version = \"b v1.0.0 on c \" + c.Version\n"}},
	{Path: "example.com/c", Version: "v1.0.0"},
	{Path: "example.com/tool", Version: "v1.0.0",
		GoMod: "module example.com/tool\n\ngo 1.21\n\nrequire example.com/c v1.0.0\n",
		Files: map[string]string{
			"cmd/hello/main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/c\"\n)\n\nfunc main() { fmt.Printf(\"hello from example.com/tool v1.0.0 with c %s\\n\", c.Version) }\n",
			"cmd/cat/main.go":   "package main\n\nimport (\n\t\"io\"\n\t\"os\"\n)\n\nfunc main() {\n\tif _, err := io.Copy(os.Stdout, os.Stdin); err != nil {\n\t\tos.Exit(3)\n\t}\n}\n",
		}},
	proxytest.FakeToolchain(fakeGoVersion),
}

// helloOut is what example.com/tool/cmd/hello prints.
const helloOut = "hello from example.com/tool v1.0.0 with c v1.0.0\n"

const (
	// hardKill is when a run is killed: far past any deadline asserted.
	hardKill = 60 * time.Second
	// smallGraph bounds any command of these tests with a mirror that
	// misbehaves in a way gofast gets around at once (a stall it races
	// past, a 500 it retries, a reset it resumes).
	smallGraph = 15 * time.Second
	// stallCost is what a stalled first mirror may add: the mirror race's
	// probe deadline (1.5s) and a little.
	stallCost = 2 * time.Second
	// noise is the allowance for gofast's own start-up (one `go env`) and
	// a shared two-core machine.
	noise = 2 * time.Second
	// controlTimeout is how long a control gives go alone to show it
	// hangs.
	controlTimeout = 8 * time.Second
	// flakyRate and flakySeed make the 5% mirror: with seed 147 the
	// server's draws 0, 4, 16, 22, 25, 29 and 32 of the first 60 fail, so
	// the very first request of every fresh server is answered 500 and go
	// alone fails at once (the control checks it does).
	flakyRate = 0.05
	flakySeed = 147
)

// proxyCommand is one go command that fetches beyond go.sum, run in its
// own work directory.
type proxyCommand struct {
	name string
	// outside: the work directory has no go.mod (pkg@version commands),
	// and GOFLAGS is empty.
	outside bool
	// files are written to the work directory.
	files map[string]string
	args  []string
	// env adds settings that depend on the work directory.
	env func(work string) []string
	// check returns what is wrong with a finished run's effect.
	check func(work string, r *result) error
	// verify: `go mod verify` in the work directory afterwards.
	verify bool
}

const mainGoMod = "module example.com/main\n\ngo 1.21\n"

// proxyCommands are the commands of case 1 and 2, for world w.
func proxyCommands(w *world) []proxyCommand {
	a100 := proxyMods[0]
	return []proxyCommand{
		{name: "get a@v1.0.0", files: map[string]string{"go.mod": mainGoMod},
			args: []string{"get", "example.com/a@v1.0.0"}, verify: true,
			check: goModRequires("example.com/a v1.0.0")},
		{name: "get a@latest", files: map[string]string{"go.mod": mainGoMod},
			args: []string{"get", "example.com/a@latest"}, verify: true,
			check: goModRequires("example.com/a v1.1.0")},
		{name: "mod tidy with a new import",
			files: map[string]string{
				"go.mod":  mainGoMod + "\nrequire example.com/a v1.0.0\n",
				"go.sum":  w.tree.GoSum(a100),
				"main.go": "package main\n\nimport (\n\t\"example.com/a\"\n\t\"example.com/b\"\n)\n\nfunc main() { println(a.Version, b.Version) }\n",
			},
			args: []string{"mod", "tidy"}, verify: true,
			check: goModRequires("example.com/a v1.0.0", "example.com/b v1.0.0")},
		// With nothing required there is nothing to prefetch: every file
		// go needs is beyond go.sum.
		{name: "mod tidy with a new import, nothing required yet",
			files: map[string]string{
				"go.mod":  mainGoMod,
				"main.go": "package main\n\nimport \"example.com/b\"\n\nfunc main() { println(b.Version) }\n",
			},
			args: []string{"mod", "tidy"}, verify: true,
			check: goModRequires("example.com/b v1.0.0")},
		{name: "install pkg@version outside a module", outside: true,
			args: []string{"install", "example.com/tool/cmd/hello@v1.0.0"},
			env:  func(work string) []string { return []string{"GOBIN=" + filepath.Join(work, "bin")} },
			check: func(work string, r *result) error {
				bin := filepath.Join(work, "bin", "hello")
				out, err := exec.Command(bin).Output()
				if err != nil {
					return fmt.Errorf("running the installed %s: %v", bin, err)
				}
				if string(out) != helloOut {
					return fmt.Errorf("the installed hello printed %q, want %q", out, helloOut)
				}
				return nil
			}},
		{name: "run pkg@version outside a module", outside: true,
			args: []string{"run", "example.com/tool/cmd/hello@v1.0.0"},
			check: func(work string, r *result) error {
				if r.stdout != helloOut {
					return fmt.Errorf("stdout %q, want exactly %q", r.stdout, helloOut)
				}
				return nil
			}},
		// go verifies the toolchain zip against the checksum database, then
		// execs its bin/go; `go mod verify` would switch toolchains itself,
		// so the cache check (the zip and its extraction byte for byte)
		// stands in for it.
		{name: "toolchain switch", files: map[string]string{"go.mod": "module example.com/newer\n\ngo " + fakeGoVersion + "\n"},
			args: []string{"list", "-m"},
			env:  func(string) []string { return []string{"GOTOOLCHAIN=auto"} },
			check: func(work string, r *result) error {
				if want := proxytest.ToolchainLine(fakeGoVersion, "list -m"); r.stdout != want {
					return fmt.Errorf("stdout %q, want the fake toolchain's %q", r.stdout, want)
				}
				return nil
			}},
	}
}

// goModRequires checks that the work directory's go.mod requires each of
// lines ("path version").
func goModRequires(lines ...string) func(string, *result) error {
	return func(work string, r *result) error {
		b, err := os.ReadFile(filepath.Join(work, "go.mod"))
		if err != nil {
			return err
		}
		for _, l := range lines {
			if !bytes.Contains(b, []byte(l)) {
				return fmt.Errorf("go.mod does not require %s:\n%s", l, b)
			}
		}
		return nil
	}
}

// runCommand runs c with bin in a fresh scratch directory and work
// directory, with the world's environment plus extra. It returns the
// result, the scratch directory (its cache is cacheOf(scratch)) and the
// work directory.
func (w *world) runCommand(t *testing.T, c proxyCommand, bin string, timeout time.Duration, extra ...string) (*result, string, string) {
	t.Helper()
	scratch := w.scratch(c.name)
	work := filepath.Join(scratch, "work")
	if err := os.MkdirAll(work, 0o777); err != nil {
		t.Fatal(err)
	}
	for name, content := range c.files {
		if err := os.WriteFile(filepath.Join(work, name), []byte(content), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	if c.outside {
		extra = append(extra, "GOFLAGS=")
	}
	if c.env != nil {
		extra = append(extra, c.env(work)...)
	}
	return run(timeout, work, w.env(scratch, extra...), bin, c.args...), scratch, work
}

// verifyIn returns what `go mod verify`, run offline in work on the
// scratch directory's cache, finds wrong.
func (w *world) verifyIn(scratch, work string) error {
	r := run(2*time.Minute, work, w.env(scratch, "GOPROXY=off"), realGo(w.t), "mod", "verify")
	if r.code != 0 || !strings.Contains(r.stdout, "all modules verified") {
		return fmt.Errorf("go mod verify on the cache left behind:\n%s", r)
	}
	return nil
}

// baseline runs c with go alone against w's mirror, which must be
// healthy: the exit code, output and time every gofast run is held to.
// A baseline that fails the command's own checks is a bug of the test.
func (w *world) baseline(t *testing.T, c proxyCommand) *result {
	t.Helper()
	r, scratch, work := w.runCommand(t, c, realGo(t), hardKill, "GOPROXY="+w.good.URL)
	if r.timedOut {
		t.Fatalf("go alone against a healthy mirror did not finish (a bug of the test)\n%s", r)
	}
	if c.check != nil && r.code == 0 {
		if err := c.check(work, r); err != nil {
			t.Fatalf("go alone against a healthy mirror fails the test's own check (a bug of the test): %v\n%s", err, r)
		}
	}
	if c.verify && r.code == 0 {
		if err := w.verifyIn(scratch, work); err != nil {
			t.Fatalf("go alone against a healthy mirror: %v (a bug of the test)", err)
		}
	}
	return r
}

// expect holds gofast's run r of c to go's healthy run base: finished
// within limit, go's exit code, the command's effect, a clean cache and
// `go mod verify` clean. how says what the mirrors did, for messages.
func (w *world) expect(t *testing.T, c proxyCommand, r, base *result, scratch, work string, limit time.Duration, how string) {
	t.Helper()
	cmd := "gofast " + strings.Join(c.args, " ")
	if r.timedOut {
		t.Fatalf("%s did not finish in %v %s (go alone takes %v against a healthy mirror)\n%s", cmd, hardKill, how, base.elapsed.Round(time.Millisecond), r)
	}
	checkNoCrash(t, r)
	if r.elapsed > limit {
		t.Errorf("%s took %v %s, want under %v (go alone takes %v against a healthy mirror)", cmd, r.elapsed.Round(time.Millisecond), how, limit.Round(time.Millisecond), base.elapsed.Round(time.Millisecond))
	}
	if r.code != base.code {
		t.Errorf("%s exit %d %s; go against a healthy mirror exits %d\n%s\ngo against a healthy mirror: %s", cmd, r.code, how, base.code, r, base)
	} else if c.check != nil && r.code == 0 {
		if err := c.check(work, r); err != nil {
			t.Errorf("%s %s: %v\n%s", cmd, how, err, r)
		}
	}
	w.checkCache(t, cacheOf(scratch))
	if c.verify && r.code == 0 {
		if err := w.verifyIn(scratch, work); err != nil {
			t.Errorf("after %s %s: %v", cmd, how, err)
		}
	}
}

// stallLimit is the deadline for a command behind a stalled first
// mirror: what go takes against a healthy one, plus the race, plus noise,
// and never more than smallGraph.
func stallLimit(base *result) time.Duration {
	return min(smallGraph, base.elapsed+stallCost+noise)
}

// TestProxyStalledFirstMirror runs every command behind a first mirror
// that accepts connections and never answers, GOPROXY="stalled|good",
// with a cold cache and the checksum database served by the good mirror:
// go alone waits forever on the first request (the control shows it);
// gofast must finish within the mirror race's bound of the healthy time.
func TestProxyStalledFirstMirror(t *testing.T) {
	gofastBin(t)
	healthy := newWorld(t, proxyMods, proxytest.Options{})
	w := newWorld(t, proxyMods, proxytest.Options{})
	stalled := proxytest.New(t, proxytest.Options{Stall: true})
	chain := "GOPROXY=" + stalled.URL + "|" + w.good.URL
	cmds := proxyCommands(w)

	t.Run("control: go alone hangs", func(t *testing.T) {
		c := cmds[0]
		r, _, _ := w.runCommand(t, c, realGo(t), controlTimeout, chain)
		if !r.timedOut {
			t.Fatalf("go %s finished behind a stalled first mirror (exit %d after %v): the stall does not stall go, so the test proves nothing\n%s", strings.Join(c.args, " "), r.code, r.elapsed.Round(time.Millisecond), r)
		}
		t.Logf("go %s alone: still waiting after %v, killed", strings.Join(c.args, " "), controlTimeout)
	})
	for _, c := range cmds {
		t.Run(c.name, func(t *testing.T) {
			base := healthy.baseline(t, c)
			r, scratch, work := w.runCommand(t, c, gofastBin(t), hardKill, chain)
			w.expect(t, c, r, base, scratch, work, stallLimit(base), "behind a stalled first mirror (go alone hangs the same way)")
		})
	}
}

// resetOnce resets the connection after after bytes of the first request
// for each module zip, and serves the later ones; resets counts the
// resets sent.
func resetOnce(after int64, resets *atomic.Int64) faultFunc {
	var mu sync.Mutex
	seen := map[string]bool{}
	return func(r *http.Request) proxytest.Fault {
		if !moduleFile(r, ".zip") {
			return proxytest.Fault{}
		}
		mu.Lock()
		first := !seen[r.URL.Path]
		seen[r.URL.Path] = true
		mu.Unlock()
		if !first {
			return proxytest.Fault{}
		}
		resets.Add(1)
		return proxytest.Fault{Kind: proxytest.Reset, After: after}
	}
}

// TestProxyFlakyMirrors runs every command against a single mirror that
// fails in ways go does not survive and a retrying client does: a seeded
// 5% of all requests (checksum database included) answered 500, and each
// module zip reset mid-body on its first request. Each run gets a fresh
// mirror, so the faults fall the same way every time.
func TestProxyFlakyMirrors(t *testing.T) {
	gofastBin(t)
	healthy := newWorld(t, proxyMods, proxytest.Options{})
	flaky := proxytest.Options{ErrorRate: flakyRate, Seed: flakySeed}

	t.Run("5% of requests answered 500", func(t *testing.T) {
		t.Run("control: go alone fails", func(t *testing.T) {
			w := newWorld(t, proxyMods, flaky)
			c := proxyCommands(w)[0]
			r, _, _ := w.runCommand(t, c, realGo(t), hardKill, "GOPROXY="+w.good.URL)
			requireFinished(t, r)
			if r.code == 0 {
				t.Fatalf("go %s succeeded against the mirror failing 5%% of requests with seed %d: pick a seed where it fails, or the test proves nothing\n%s", strings.Join(c.args, " "), flakySeed, r)
			}
			if !strings.Contains(r.stderr, "500") {
				t.Errorf("go alone failed, but not on a 500:\n%s", r)
			}
			t.Logf("go alone: exit %d: %s", r.code, lineWith(r.stderr, "500"))
		})
		for _, c := range proxyCommands(healthy) {
			t.Run(c.name, func(t *testing.T) {
				base := healthy.baseline(t, c)
				w := newWorld(t, proxyMods, flaky)
				r, scratch, work := w.runCommand(t, c, gofastBin(t), hardKill, "GOPROXY="+w.good.URL)
				w.expect(t, c, r, base, scratch, work, smallGraph, fmt.Sprintf("against a mirror answering 5%% of requests with 500 (seed %d; go alone fails)", flakySeed))
			})
		}
	})

	t.Run("each zip reset mid-body once", func(t *testing.T) {
		t.Run("control: go alone fails", func(t *testing.T) {
			var resets atomic.Int64
			w := newWorld(t, proxyMods, proxytest.Options{Fault: resetOnce(100, &resets)})
			c := proxyCommands(w)[0]
			r, _, _ := w.runCommand(t, c, realGo(t), hardKill, "GOPROXY="+w.good.URL)
			requireFinished(t, r)
			if r.code == 0 || resets.Load() == 0 {
				t.Fatalf("go %s succeeded (%d resets sent) against a mirror resetting each zip once: the test proves nothing\n%s", strings.Join(c.args, " "), resets.Load(), r)
			}
			t.Logf("go alone: exit %d: %s", r.code, lineWith(r.stderr, "reset"))
		})
		for _, c := range proxyCommands(healthy) {
			t.Run(c.name, func(t *testing.T) {
				base := healthy.baseline(t, c)
				var resets atomic.Int64
				w := newWorld(t, proxyMods, proxytest.Options{Fault: resetOnce(100, &resets)})
				r, scratch, work := w.runCommand(t, c, gofastBin(t), hardKill, "GOPROXY="+w.good.URL)
				w.expect(t, c, r, base, scratch, work, smallGraph, "against a mirror resetting each zip mid-body once (go alone fails)")
				if resets.Load() == 0 {
					t.Errorf("the mirror never reset a zip: the fault was not exercised\n%s", r)
				}
			})
		}
	})
}

// lineWith is the first line of s containing sub, or the first line.
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return strings.TrimSpace(l)
		}
	}
	return firstLine(s)
}

// firstLine is the first line of s.
func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// TestProxyPrivacy runs `gofast mod tidy` and `gofast get` in a module
// requiring a private module (GOPRIVATE), behind two mirrors: go resolves
// the private module direct (and fails: that is go's business), and no
// request naming it may reach a mirror, checksum database lookups
// included. The exit code is go's with the same settings.
func TestProxyPrivacy(t *testing.T) {
	gofastBin(t)
	const private = "private.example.com"
	w := newWorld(t, proxyMods, proxytest.Options{})
	second := proxytest.New(t, proxytest.Options{FS: w.tree.FS, SumDB: sumdbName, Lookup: w.tree.Lookup})
	a100 := proxyMods[0]
	gomod := mainGoMod + "\nrequire (\n\texample.com/a v1.0.0\n\t" + private + "/x v1.0.0\n)\n"
	files := map[string]string{
		"go.mod":  gomod,
		"go.sum":  w.tree.GoSum(a100),
		"main.go": "package main\n\nimport (\n\t\"example.com/a\"\n\t\"example.com/b\"\n\t\"" + private + "/x\"\n)\n\nfunc main() { println(a.Version, b.Version, x.X) }\n",
	}
	cmds := []proxyCommand{
		{name: "mod tidy", files: files, args: []string{"mod", "tidy"}},
		{name: "get a@v1.1.0", files: files, args: []string{"get", "example.com/a@v1.1.0"}},
		{name: "get the private module", files: files, args: []string{"get", private + "/x@v1.0.0"}},
	}
	settings := []string{"GOPROXY=" + w.good.URL + "|" + second.URL, "GOPRIVATE=" + private}
	for _, c := range cmds {
		t.Run(c.name, func(t *testing.T) {
			base, _, _ := w.runCommand(t, c, realGo(t), hardKill, settings...)
			requireFinished(t, base)
			leaked := func(who string) {
				for _, srv := range []*proxytest.Server{w.good, second} {
					for _, p := range srv.Requests() {
						if strings.Contains(p, private) {
							t.Errorf("%s: the mirror %s was asked for %s, a path matching GOPRIVATE=%s", who, hostOf(srv.URL), p, private)
						}
					}
				}
			}
			// go alone must not leak either, or the test checks nothing
			// gofast could change.
			leaked("go alone")
			before := len(w.good.Requests()) + len(second.Requests())
			r, scratch, _ := w.runCommand(t, c, gofastBin(t), hardKill, settings...)
			if r.timedOut {
				t.Fatalf("gofast %s did not finish in %v (go alone: exit %d after %v)\n%s", strings.Join(c.args, " "), hardKill, base.code, base.elapsed.Round(time.Millisecond), r)
			}
			checkNoCrash(t, r)
			leaked("gofast " + strings.Join(c.args, " "))
			if r.code != base.code {
				t.Errorf("gofast %s exit %d, go alone with the same settings exits %d\n%s\ngo alone: %s", strings.Join(c.args, " "), r.code, base.code, r, base)
			}
			if len(w.good.Requests())+len(second.Requests()) == before {
				t.Logf("gofast %s asked the mirrors nothing", strings.Join(c.args, " "))
			}
			w.checkCache(t, cacheOf(scratch))
		})
	}
}

// TestProxyExitCodesAndStdio checks what a wrapper must not change: go's
// exit code and message for a module that does not exist (with a healthy
// mirror, and behind a stalled one, where the loopback proxy must still
// answer "not found"), stdin passed through to `go run`, and SIGINT ending
// the whole process tree while go waits on a mirror.
func TestProxyExitCodesAndStdio(t *testing.T) {
	gofastBin(t)
	w := newWorld(t, proxyMods, proxytest.Options{})
	stalled := proxytest.New(t, proxytest.Options{Stall: true})

	t.Run("nonexistent module", func(t *testing.T) {
		c := proxyCommand{name: "get nonexistent", files: map[string]string{"go.mod": mainGoMod},
			args: []string{"get", "example.com/nonexistent@v1.0.0"}}
		base := w.baseline(t, c)
		if base.code == 0 || !strings.Contains(base.stderr, "example.com/nonexistent") {
			t.Fatalf("go alone did not fail naming the module (a bug of the test)\n%s", base)
		}
		for _, v := range []struct{ name, proxy string }{
			{"healthy mirror", w.good.URL},
			{"behind a stalled first mirror", stalled.URL + "|" + w.good.URL},
		} {
			t.Run(v.name, func(t *testing.T) {
				r, scratch, _ := w.runCommand(t, c, gofastBin(t), hardKill, "GOPROXY="+v.proxy)
				how := "with GOPROXY=" + strings.ReplaceAll(v.proxy, w.good.URL, "good")
				how = strings.ReplaceAll(how, stalled.URL, "stalled")
				if r.timedOut {
					t.Fatalf("gofast get example.com/nonexistent@v1.0.0 did not finish in %v %s\n%s", hardKill, how, r)
				}
				checkNoCrash(t, r)
				if r.elapsed > stallLimit(base) {
					t.Errorf("gofast took %v %s, want under %v", r.elapsed.Round(time.Millisecond), how, stallLimit(base).Round(time.Millisecond))
				}
				if r.code != base.code {
					t.Errorf("gofast exit %d %s; go alone against a healthy mirror exits %d\n%s", r.code, how, base.code, r)
				}
				if !strings.Contains(r.stderr, "example.com/nonexistent") {
					t.Errorf("stderr does not name example.com/nonexistent %s\n%s", how, r)
				}
				w.checkCache(t, cacheOf(scratch))
			})
		}
	})

	t.Run("stdin passed to go run", func(t *testing.T) {
		c := proxyCommand{name: "run cat", outside: true, args: []string{"run", "example.com/tool/cmd/cat@v1.0.0"}}
		rng := rand.New(rand.NewPCG(1, 2))
		input := make([]byte, 256<<10)
		for i := range input {
			input[i] = byte(rng.IntN(256))
		}
		copy(input, "first line\nsecond line\n")
		for _, bin := range []string{realGo(t), gofastBin(t)} {
			scratch := w.scratch(c.name)
			work := filepath.Join(scratch, "work")
			os.MkdirAll(work, 0o777)
			env := w.env(scratch, "GOPROXY="+w.good.URL, "GOFLAGS=")
			r := runInput(hardKill, work, env, bytes.NewReader(input), bin, c.args...)
			name := filepath.Base(bin)
			if r.timedOut {
				t.Fatalf("%s run example.com/tool/cmd/cat@v1.0.0 with stdin piped did not finish in %v\n%s", name, hardKill, r)
			}
			checkNoCrash(t, r)
			if r.code != 0 {
				t.Errorf("%s exit %d, want 0\n%s", name, r.code, r)
			}
			if r.stdout != string(input) {
				t.Errorf("%s: the program's stdout is %d bytes, not the %d bytes piped to its stdin (first difference at byte %d)", name, len(r.stdout), len(input), firstDiff(r.stdout, string(input)))
			}
			w.checkCache(t, cacheOf(scratch))
		}
	})

	t.Run("SIGINT while go waits on a mirror", func(t *testing.T) {
		c := proxyCommand{name: "get a@v1.0.0 interrupted", files: map[string]string{"go.mod": mainGoMod},
			args: []string{"get", "example.com/a@v1.0.0"}}
		goAlone := interruptWhileWaiting(t, w, c, realGo(t))
		if goAlone.timedOut {
			t.Fatalf("go alone did not end within %v of SIGINT: the test cannot hold gofast to it\n%s", signalDeadline, goAlone.stderr)
		}
		t.Logf("go alone, sent SIGINT while waiting on the zip: %v after %v, left %q in the cache", goAlone.state, goAlone.ended.Round(time.Millisecond), goAlone.leftKinds)
		r := interruptWhileWaiting(t, w, c, gofastBin(t))
		if r.timedOut {
			t.Fatalf("gofast %s did not end within %v of SIGINT while go waited on a slow mirror (go alone ends in %v)\n%s", strings.Join(c.args, " "), signalDeadline, goAlone.ended.Round(time.Millisecond), r.stderr)
		}
		if len(r.procs) > 0 {
			t.Errorf("processes of gofast's group still alive after it ended on SIGINT: %s", strings.Join(r.procs, "; "))
		}
		if r.state.String() != goAlone.state.String() {
			t.Errorf("gofast ended with %q on SIGINT, go alone with %q\n%s", r.state, goAlone.state, r.stderr)
		}
		// go itself may leave the temporary zip it was writing when the
		// signal killed it (it removes such files on its next download of
		// that version): gofast may leave what go leaves, nothing more.
		w.checkCache(t, cacheOf(r.scratch), goAlone.leftKinds...)
	})
}

// infoWritten reports whether go has put a complete .info file into the
// module cache (written to a temporary file, then renamed).
func infoWritten(cache string) bool {
	found := false
	filepath.WalkDir(filepath.Join(cache, "cache", "download"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".info") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// firstDiff is the index of the first byte where a and b differ.
func firstDiff(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// signalDeadline is how soon after SIGINT the process tree must be gone.
const signalDeadline = 5 * time.Second

// interrupted is a run sent SIGINT while go waited on a mirror.
type interrupted struct {
	scratch string
	state   *os.ProcessState
	stderr  string
	// ended is the time from SIGINT to the process's exit.
	ended    time.Duration
	timedOut bool
	// procs are the processes of its group still alive once it exited.
	procs []string
	// leftKinds are the kinds of the leftovers in its cache.
	leftKinds []string
}

// interruptWhileWaiting runs c with bin against a fresh mirror of w's tree
// that never answers a request for a module zip, sends SIGINT to the
// process (only to it, not to its group: gofast must forward it) once the
// mirror has been asked for a zip, and waits signalDeadline for it to end.
func interruptWhileWaiting(t *testing.T, w *world, c proxyCommand, bin string) *interrupted {
	t.Helper()
	asked := make(chan struct{})
	var once sync.Once
	slow := proxytest.New(t, proxytest.Options{FS: w.tree.FS, SumDB: sumdbName, Lookup: w.tree.Lookup,
		Fault: func(r *http.Request) proxytest.Fault {
			if moduleFile(r, ".zip") {
				once.Do(func() { close(asked) })
				return proxytest.Fault{Kind: proxytest.StallHeaders}
			}
			return proxytest.Fault{}
		}})
	res := &interrupted{scratch: w.scratch(c.name)}
	work := filepath.Join(res.scratch, "work")
	os.MkdirAll(work, 0o777)
	for name, content := range c.files {
		os.WriteFile(filepath.Join(work, name), []byte(content), 0o666)
	}
	env := w.env(res.scratch, "GOPROXY="+slow.URL, "GOSUMDB="+slow.GOSUMDB+" "+slow.URL+"/sumdb/"+sumdbName)
	cmd := exec.Command(bin, c.args...)
	cmd.Dir, cmd.Env = work, env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	defer syscall.Kill(-pgid, syscall.SIGKILL)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	wait := time.NewTimer(hardKill)
	defer wait.Stop()
	select {
	case <-asked:
	case <-done:
		t.Fatalf("%s %s ended (%v) before the mirror was asked for a zip\n%s", filepath.Base(bin), strings.Join(c.args, " "), cmd.ProcessState, stderr.String())
	case <-wait.C:
		t.Fatalf("%s %s: the mirror was not asked for a zip within %v\n%s", filepath.Base(bin), strings.Join(c.args, " "), hardKill, stderr.String())
	}
	// go asks for a zip once it has written the version's .info; gofast's
	// proxy reads the zip ahead as soon as it has served the .info, which
	// can be before go has written it. The signal goes when go itself is
	// at the same point, for both, so that what each leaves behind is
	// compared at the same moment.
	for !infoWritten(cacheOf(res.scratch)) {
		select {
		case <-done:
			t.Fatalf("%s %s ended (%v) before go wrote an .info\n%s", filepath.Base(bin), strings.Join(c.args, " "), cmd.ProcessState, stderr.String())
		case <-wait.C:
			t.Fatalf("%s %s: go wrote no .info within %v\n%s", filepath.Base(bin), strings.Join(c.args, " "), hardKill, stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	start := time.Now()
	if err := syscall.Kill(pgid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	deadline := time.NewTimer(signalDeadline)
	defer deadline.Stop()
	select {
	case <-done:
		res.ended = time.Since(start)
		// What is still in the group now outlived the process.
		res.procs = groupMembers(pgid)
	case <-deadline.C:
		res.timedOut = true
		res.procs = groupMembers(pgid)
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	res.state, res.stderr = cmd.ProcessState, stderr.String()
	for _, p := range leftovers(cacheOf(res.scratch)) {
		res.leftKinds = append(res.leftKinds, leftoverKind(p))
	}
	return res
}

// groupMembers lists the live (not zombie) processes of process group
// pgid, from /proc.
func groupMembers(pgid int) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || closing < open {
			continue
		}
		f := strings.Fields(string(b[closing+1:]))
		if len(f) < 3 || f[0] == "Z" || f[2] != strconv.Itoa(pgid) {
			continue
		}
		out = append(out, fmt.Sprintf("pid %s (%s, state %s, parent %s)", e.Name(), b[open+1:closing], f[0], f[1]))
	}
	return out
}

// evilProxyMods serve other, well-formed content for the same versions.
var evilProxyMods = func() []proxytest.Module {
	out := append([]proxytest.Module(nil), proxyMods...)
	out[0].Files = map[string]string{"a.go": "package a\n\nconst Version = \"owned\"\n"}
	return out
}()

// TestProxyFaults puts a mirror with one of the suite's faults first in
// GOPROXY="faulty|good" for `gofast get example.com/a@v1.0.0` (a module
// go.sum does not name): a stall mid-body (go alone hangs), a burst of
// 503s, and wrong bytes for the zip. No run may hang past its deadline,
// nothing wrong may reach the cache, and `go mod verify` is clean.
func TestProxyFaults(t *testing.T) {
	gofastBin(t)
	w := newWorld(t, proxyMods, proxytest.Options{})
	evil := proxytest.MustBuild(evilProxyMods...)
	status := func(code int) proxytest.Fault {
		return proxytest.Fault{Kind: proxytest.Status, Status: code, Body: []byte(http.StatusText(code))}
	}
	c := proxyCommands(w)[0]
	base := w.baseline(t, c)
	cases := []struct {
		name  string
		fault func() faultFunc
		// limit is the deadline: a stall costs gofast's idle timeout (30s).
		limit time.Duration
		// wrongBytes: the mirror lies; the proxy must catch it and get
		// the good copy, and nothing wrong may be published.
		wrongBytes bool
	}{
		{name: "stall mid-body", limit: 45 * time.Second, fault: func() faultFunc {
			return func(r *http.Request) proxytest.Fault {
				if moduleFile(r, ".zip") {
					return proxytest.Fault{Kind: proxytest.StallBody, After: 100}
				}
				return proxytest.Fault{}
			}
		}},
		{name: "burst of 503", limit: smallGraph, fault: func() faultFunc {
			return sequence([]proxytest.Fault{status(503), status(503), status(503)}, ".info", ".mod", ".zip", "/@v/list", "/@latest")
		}},
		{name: "wrong bytes for zip", limit: smallGraph, wrongBytes: true, fault: func() faultFunc {
			return func(r *http.Request) proxytest.Fault {
				if moduleFile(r, ".zip") {
					return proxytest.Fault{Kind: proxytest.Body, Body: evil.FS[strings.TrimPrefix(r.URL.Path, "/")].Data}
				}
				return proxytest.Fault{}
			}
		}},
	}
	for _, fc := range cases {
		t.Run(fc.name, func(t *testing.T) {
			faulty := proxytest.New(t, proxytest.Options{FS: withProbe(w.tree.FS), Fault: fc.fault()})
			chain := "GOPROXY=" + faulty.URL + "|" + w.good.URL
			how := "with GOPROXY=" + fc.name + "|good"
			r, scratch, work := w.runCommand(t, c, gofastBin(t), hardKill, chain)
			if fc.wrongBytes {
				expectVerified(t, w, c, r, base, scratch, work, how)
			} else {
				w.expect(t, c, r, base, scratch, work, fc.limit, how)
			}
			if countModuleRequests(faulty) == 0 {
				t.Errorf("the faulty mirror was never asked for a module file: the fault was not exercised")
			}
		})
	}
}

// expectVerified holds a run against a mirror serving wrong bytes: the
// proxy catches them against the checksum database and the good copy
// comes from the next mirror (exit as healthy, `go mod verify` clean),
// where go alone stops at its SECURITY ERROR; never wrong bytes in the
// cache.
func expectVerified(t *testing.T, w *world, c proxyCommand, r, base *result, scratch, work, how string) {
	t.Helper()
	cmd := "gofast " + strings.Join(c.args, " ")
	if r.timedOut {
		t.Fatalf("%s did not finish in %v %s\n%s", cmd, hardKill, how, r)
	}
	checkNoCrash(t, r)
	if r.elapsed > smallGraph {
		t.Errorf("%s took %v %s, want under %v", cmd, r.elapsed.Round(time.Millisecond), how, smallGraph)
	}
	w.checkCache(t, cacheOf(scratch))
	if r.code != base.code {
		t.Fatalf("%s exit %d %s, want %d: the next mirror has the right bytes\n%s", cmd, r.code, how, base.code, r)
	}
	if err := c.check(work, r); err != nil {
		t.Errorf("%s %s: %v\n%s", cmd, how, err, r)
	}
	if err := w.verifyIn(scratch, work); err != nil {
		t.Errorf("after %s %s: %v", cmd, how, err)
	}
}
