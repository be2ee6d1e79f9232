//go:build linux

package reliability_test

import (
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// badTimeout bounds every run of the bad-input tests.
const badTimeout = 90 * time.Second

// badCase is one malformed input. The main module's go.mod and go.sum
// are the good ones unless gomod or gosum replace them.
type badCase struct {
	name string
	// gomod and gosum, when not nil, return the file's content ("" for
	// no file at all when remove is set).
	gomod, gosum func(w *world) string
	remove       string // "go.mod" or "go.sum": delete the file
	// env returns the variables to set (later entries win).
	env func(w *world, run string) []string
	// args are gofast's arguments; nil means both `mod download` (go runs:
	// its exit code stands) and `prefetch` (gofast alone).
	args []string
	// prefetchCode is gofast prefetch's exit code (0, 1 or 2).
	prefetchCode int
	// line is in a gofast line of the prefetch run ("" for none needed).
	line string
	// readOnlyCache runs gofast with the module cache mounted read-only.
	readOnlyCache bool
	// fetches: the input is accepted and a failing prefetch gets as far
	// as downloading (taking locks, publishing what verifies). Otherwise
	// a failing run must leave the module cache exactly as it was.
	fetches bool
	// onlyMirrorLies: every mirror's answer fails verification, so
	// prefetch must exit 1 (asserted through prefetchCode).
	onlyMirrorLies bool
	// goRefusesArgs: go rejects the command line itself (GOFLAGS), which
	// gofast does not model: it prefetches anyway (verified files only)
	// before go refuses to run. Reported, not fixed.
	goRefusesArgs bool
}

// closedPort returns a loopback URL nothing listens on.
func closedPort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

func badCases(t *testing.T) []badCase {
	goodMod := func(w *world) string {
		b, _ := os.ReadFile(filepath.Join(w.dir, "go.mod"))
		return string(b)
	}
	goodSum := func(w *world) string {
		b, _ := os.ReadFile(filepath.Join(w.dir, "go.sum"))
		return string(b)
	}
	crlf := func(f func(*world) string) func(*world) string {
		return func(w *world) string { return strings.ReplaceAll(f(w), "\n", "\r\n") }
	}
	setEnv := func(kv ...string) func(*world, string) []string {
		return func(*world, string) []string { return kv }
	}
	garbage := func(n int) string {
		rng := rand.New(rand.NewPCG(1, 2))
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	}
	betaLine := func(w *world) string {
		return "example.com/beta/v2 v2.1.0 " + w.tree.Sum["example.com/beta/v2 v2.1.0"]
	}
	closed := closedPort(t)
	return []badCase{
		// go.mod
		{name: "go.mod require without version", prefetchCode: 1, line: "go.mod",
			gomod: func(w *world) string { return goodMod(w) + "require example.com/alpha\n" }},
		{name: "go.mod unknown directive", prefetchCode: 1, line: "go.mod",
			gomod: func(w *world) string { return goodMod(w) + "frobnicate example.com/alpha v1.0.0\n" }},
		{name: "go.mod invalid module path", prefetchCode: 1, line: "go.mod",
			gomod: func(w *world) string {
				return strings.Replace(goodMod(w), "module example.com/main", "module ../../evil", 1)
			}},
		{name: "go.mod non-canonical version", prefetchCode: 0,
			gomod: func(w *world) string {
				return strings.Replace(goodMod(w), "example.com/alpha v1.0.0", "example.com/alpha v1", 1)
			}},
		{name: "go.mod binary garbage", prefetchCode: 1, line: "go.mod",
			gomod: func(*world) string { return garbage(4096) }},
		{name: "go.mod empty", prefetchCode: 1, line: "go.mod",
			gomod: func(*world) string { return "" }},
		{name: "go.mod missing", prefetchCode: 1, line: "no main module", remove: "go.mod"},
		{name: "go.mod with CRLF line endings", prefetchCode: 0, gomod: crlf(goodMod)},
		{name: "go.mod huge (20 MB of comments)", prefetchCode: 0,
			gomod: func(w *world) string {
				return goodMod(w) + strings.Repeat("// "+strings.Repeat("x", 97)+"\n", 200_000)
			}},

		// go.sum
		{name: "go.sum line with two fields", prefetchCode: 1, line: "go.sum",
			gosum: func(w *world) string { return goodSum(w) + "example.com/alpha v1.0.0\n" }},
		{name: "go.sum line with four fields", prefetchCode: 1, line: "go.sum",
			gosum: func(w *world) string { return goodSum(w) + "example.com/alpha v1.0.0 h1:x= extra\n" }},
		{name: "go.sum bad hash", onlyMirrorLies: true, fetches: true, prefetchCode: 1, line: "checksum mismatch",
			gosum: func(w *world) string {
				return strings.Replace(goodSum(w), betaLine(w), "example.com/beta/v2 v2.1.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1)
			}},
		{name: "go.sum hash not base64", onlyMirrorLies: true, fetches: true, prefetchCode: 1, line: "checksum mismatch",
			gosum: func(w *world) string {
				return strings.Replace(goodSum(w), betaLine(w), "example.com/beta/v2 v2.1.0 h1:not*base64!", 1)
			}},
		{name: "go.sum conflicting lines, wrong one first", onlyMirrorLies: true, fetches: true, prefetchCode: 1, line: "checksum mismatch",
			gosum: func(w *world) string {
				return strings.Replace(goodSum(w), betaLine(w), "example.com/beta/v2 v2.1.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"+betaLine(w), 1)
			}},
		{name: "go.sum conflicting lines, right one first", prefetchCode: 0,
			gosum: func(w *world) string {
				return strings.Replace(goodSum(w), betaLine(w), betaLine(w)+"\nexample.com/beta/v2 v2.1.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1)
			}},
		{name: "go.sum with CRLF line endings", prefetchCode: 0, gosum: crlf(goodSum)},
		{name: "go.sum huge (200k unrelated lines)", prefetchCode: 0,
			gosum: func(w *world) string {
				var b strings.Builder
				b.WriteString(goodSum(w))
				for i := range 100_000 {
					fmt.Fprintf(&b, "example.org/filler%d v1.0.%d h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", i, i)
					fmt.Fprintf(&b, "example.org/filler%d v1.0.%d/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", i, i)
				}
				return b.String()
			}},
		{name: "go.sum binary garbage", prefetchCode: 1, line: "go.sum",
			gosum: func(*world) string { return garbage(4096) }},
		{name: "go.sum missing", prefetchCode: 0, remove: "go.sum"},

		// GOPROXY
		{name: `GOPROXY=""`, fetches: true, prefetchCode: 1, env: setEnv("GOPROXY=")},
		{name: `GOPROXY=","`, prefetchCode: 1, line: "GOPROXY", env: setEnv("GOPROXY=,")},
		{name: `GOPROXY=" , | "`, prefetchCode: 1, line: "GOPROXY", env: setEnv("GOPROXY= , | ")},
		{name: "GOPROXY=off", prefetchCode: 1, line: "GOPROXY entry off", env: setEnv("GOPROXY=off")},
		{name: "GOPROXY=direct,x", prefetchCode: 1, line: "GOPROXY entry direct", env: setEnv("GOPROXY=direct,x")},
		{name: "GOPROXY=a|b,direct", fetches: true, prefetchCode: 1,
			env: func(*world, string) []string {
				a, b := strings.TrimPrefix(closed, "http://"), strings.TrimPrefix(closedPort(t), "http://")
				return []string{"GOPROXY=" + a + "|" + b + ",direct"}
			}},
		{name: "GOPROXY ftp scheme", prefetchCode: 1, line: "GOPROXY", env: setEnv("GOPROXY=ftp://127.0.0.1/proxy")},
		{name: "GOPROXY javascript scheme", prefetchCode: 1, line: "GOPROXY", env: setEnv("GOPROXY=javascript:alert(1)")},
		{name: "GOPROXY missing host", prefetchCode: 1, line: "GOPROXY", env: setEnv("GOPROXY=http://")},
		{name: "GOPROXY file URL to nowhere", fetches: true, prefetchCode: 1, env: setEnv("GOPROXY=file:///nonexistent/gofast/proxy")},
		{name: "GOPROXY with credentials over http", prefetchCode: 1, line: "refusing to pass credentials", fetches: true,
			env: func(w *world, _ string) []string {
				return []string{"GOPROXY=" + strings.Replace(w.good.URL, "http://", "http://user:hunter2@", 1)}
			}},
		{name: "GOPROXY with spaces", prefetchCode: 0,
			env: func(w *world, _ string) []string { return []string{"GOPROXY=  " + w.good.URL + "  ,  off  "} }},
		{name: "GOPROXY with 1000 entries", prefetchCode: 0,
			env: func(w *world, _ string) []string {
				var parts []string
				for i := range 999 {
					parts = append(parts, fmt.Sprintf("%s/dead%d", closed, i))
				}
				return []string{"GOPROXY=" + strings.Join(parts, "|") + "|" + w.good.URL}
			}},

		// GOPRIVATE
		{name: "GOPRIVATE bad glob", prefetchCode: 0, env: setEnv("GOPRIVATE=[")},
		{name: "GOPRIVATE only separators", prefetchCode: 0, env: setEnv("GOPRIVATE=,,, ,")},
		{name: "GOPRIVATE=*", prefetchCode: 0, env: setEnv("GOPRIVATE=*")},
		{name: "GOPRIVATE 5000 patterns", prefetchCode: 0,
			env: func(*world, string) []string {
				var p []string
				for i := range 5_000 {
					p = append(p, fmt.Sprintf("corp%d.example/*", i))
				}
				return []string{"GOPRIVATE=" + strings.Join(p, ",")}
			}},

		// GOMODCACHE
		{name: "GOMODCACHE relative", prefetchCode: 1, line: "GOMODCACHE", env: setEnv("GOMODCACHE=rel/modcache")},
		{name: "GOMODCACHE read-only", prefetchCode: 1, line: "read-only file system", readOnlyCache: true},

		// gofast's own settings
		{name: "GOFAST_JOBS=garbage", prefetchCode: 0, line: "GOFAST_JOBS", env: setEnv("GOFAST_JOBS=garbage")},
		{name: "GOFAST_JOBS=-3", prefetchCode: 0, line: "GOFAST_JOBS", env: setEnv("GOFAST_JOBS=-3")},
		{name: "GOFAST_JOBS overflowing", prefetchCode: 0, line: "GOFAST_JOBS", env: setEnv("GOFAST_JOBS=99999999999999999999999")},
		{name: "GOFAST_JOBS=1000000", prefetchCode: 0, env: setEnv("GOFAST_JOBS=1000000")},
		{name: "GOFAST_TTL=garbage", prefetchCode: 0, line: "GOFAST_TTL", env: setEnv("GOFAST_TTL=garbage")},
		{name: "GOFAST_TTL=-5m", prefetchCode: 0, line: "GOFAST_TTL", env: setEnv("GOFAST_TTL=-5m")},
		{name: "GOFAST_TTL overflowing", prefetchCode: 0, line: "GOFAST_TTL", env: setEnv("GOFAST_TTL=9999999999999999h")},
		{name: "GOFAST_MIRRORS bad scheme", prefetchCode: 1, line: "GOFAST_MIRRORS", env: setEnv("GOFAST_MIRRORS=gopher://127.0.0.1/")},
		{name: "GOFLAGS unknown flag", prefetchCode: 0, goRefusesArgs: true, env: setEnv("GOFLAGS=-no-such-flag")},
		{name: "prefetch -j garbage", prefetchCode: 2, args: []string{"prefetch", "-j", "garbage"}},
		{name: "prefetch -j -1", prefetchCode: 2, args: []string{"prefetch", "-j", "-1"}},
		{name: "prefetch unexpected argument", prefetchCode: 2, args: []string{"prefetch", "all"}},
	}
}

// TestBadInput feeds malformed files and settings to `gofast mod download`
// (its exit code must be go's own) and `gofast prefetch` (0, 1, or 2 for a
// usage error). Neither may panic, hang, print more than a few one-line
// messages, or touch the module cache when go itself would not.
func TestBadInput(t *testing.T) {
	w := newWorld(t, faultMods, proxytest.Options{})
	gofastBin(t)
	// A cache that already holds two of the four modules: what a run that
	// should have stopped must leave exactly as it was.
	template := w.scratch("template")
	r := w.goCmd(badTimeout, w.env(template), "mod", "download", "example.com/alpha@v1.0.0", "example.com/gamma@v0.3.0")
	if r.code != 0 {
		t.Fatalf("preparing the template cache:\n%s", r)
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, 3)
	for _, c := range badCases(t) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			t.Run(c.name, func(t *testing.T) { runBad(t, w, template, c) })
		}()
	}
	wg.Wait()
}

func runBad(t *testing.T, w *world, template string, c badCase) {
	if c.readOnlyCache && exec.Command("unshare", "-rm", "true").Run() != nil {
		t.Skip("needs unshare -rm for a read-only bind mount (root ignores permission bits, so chmod cannot make the cache read-only)")
	}
	// Each run gets its own copy of the main module and of the cache.
	prepare := func(name string) (dir, run string) {
		run = w.scratch(c.name + "-" + name)
		dir = filepath.Join(run, "main")
		copyTree(t, w.dir, dir)
		if c.gomod != nil {
			os.WriteFile(filepath.Join(dir, "go.mod"), []byte(c.gomod(w)), 0o666)
		}
		if c.gosum != nil {
			os.WriteFile(filepath.Join(dir, "go.sum"), []byte(c.gosum(w)), 0o666)
		}
		if c.remove != "" {
			os.Remove(filepath.Join(dir, c.remove))
		}
		copyTree(t, template, run)
		return dir, run
	}
	envFor := func(run string) []string {
		var extra []string
		if c.env != nil {
			extra = c.env(w, run)
		}
		return w.env(run, extra...)
	}
	variants := [][]string{{"mod", "download"}, {"prefetch"}}
	if c.args != nil {
		variants = [][]string{c.args}
	}
	for _, args := range variants {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir, run := prepare("gofast")
			cache := cacheOf(run)
			before := takeSnapshot(cache)
			r := runMaybeReadOnly(t, c.readOnlyCache, cache, dir, envFor(run), gofastBin(t), args...)
			requireFinished(t, r)
			checkNoCrash(t, r)
			checkLines(t, r)
			changed := before.diff(takeSnapshot(cache))
			if filepath.Base(dir) == "main" {
				if _, err := os.Stat(filepath.Join(dir, "rel")); err == nil {
					t.Errorf("a relative GOMODCACHE was created in the module directory")
				}
			}

			if args[0] != "mod" {
				if r.code != c.prefetchCode {
					t.Errorf("exit %d, want %d\n%s", r.code, c.prefetchCode, r)
				}
				if c.line != "" && !hasLine(r, c.line) {
					t.Errorf("no gofast line mentions %q\n%s", c.line, r)
				}
				if r.code != 0 && !c.fetches && len(changed) > 0 {
					t.Errorf("failed, yet changed the module cache: %q", changed)
				}
				w.checkCache(t, cache)
				return
			}
			// go ran: compare with go alone on the same input.
			goDir, goRun := prepare("go")
			goCache := cacheOf(goRun)
			goBefore := takeSnapshot(goCache)
			alone := runMaybeReadOnly(t, c.readOnlyCache, goCache, goDir, envFor(goRun), realGo(t), args...)
			requireFinished(t, alone)
			if r.code != alone.code {
				t.Errorf("exit %d, go alone exit %d\n%s\ngo alone: %s", r.code, alone.code, r, alone)
			}
			if goChanged := goBefore.diff(takeSnapshot(goCache)); len(goChanged) == 0 && len(changed) > 0 && !c.goRefusesArgs {
				t.Errorf("go alone left the module cache untouched, gofast changed it: %q", changed)
			}
			var goLeft []string
			for _, p := range leftovers(goCache) {
				goLeft = append(goLeft, leftoverKind(p))
			}
			w.checkCache(t, cache, goLeft...)
			if r.code == 0 {
				w.verify(t, run)
			}
		})
	}
}

// runMaybeReadOnly runs bin, in a mount namespace where cache is a
// read-only bind mount when readOnly is set.
func runMaybeReadOnly(t *testing.T, readOnly bool, cache, dir string, env []string, bin string, args ...string) *result {
	if !readOnly {
		return run(badTimeout, dir, env, bin, args...)
	}
	script := `mount --bind -o ro "$1" "$1" && shift && exec "$@"`
	return run(badTimeout, dir, env, "unshare", append([]string{"-rm", "sh", "-c", script, "sh", cache, bin}, args...)...)
}

// checkLines fails the test when gofast's messages are not one clear line
// each: a handful at most, none of them a wall of text.
func checkLines(t *testing.T, r *result) {
	t.Helper()
	lines := gofastLines(r.stderr)
	if len(lines) > 6 {
		t.Errorf("%d gofast lines, want a few\n%s", len(lines), r)
	}
	for _, l := range lines {
		if len(l) > 600 {
			t.Errorf("a gofast line of %d bytes: %.300s...", len(l), l)
		}
	}
}

// hasLine reports whether a gofast line contains s.
func hasLine(r *result, s string) bool {
	for _, l := range gofastLines(r.stderr) {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// copyTree copies src into dst, keeping modes and modification times
// (go's read-only directories are made read-only again after filling).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	type dirMode struct {
		path string
		mode fs.FileMode
		mod  time.Time
	}
	var dirs []dirMode
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, dirMode{target, fi.Mode().Perm(), fi.ModTime()})
			return os.MkdirAll(target, 0o777)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fi.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
		return os.Chtimes(target, fi.ModTime(), fi.ModTime())
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Chmod(dirs[i].path, dirs[i].mode)
		os.Chtimes(dirs[i].path, dirs[i].mod, dirs[i].mod)
	}
}
