//go:build linux

package reliability_test

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// bigGraph returns n modules with sizeable, moderately compressible zips
// of several files each; module i requires module i+1 for i below n/2, so
// the graph walk has work to do too. Content is seeded: every run builds
// the same tree.
func bigGraph(n int) []proxytest.Module {
	words := strings.Fields("module proxy mirror cache zip hash verify lock rename partial extract download stall retry deadline checksum")
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	text := func(size int) string {
		var b strings.Builder
		for b.Len() < size {
			b.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(12) == 0 {
				b.WriteString("\n")
			} else {
				b.WriteString(" ")
			}
		}
		return b.String()
	}
	path := func(i int) string { return fmt.Sprintf("example.com/crash/m%03d", i) }
	version := func(i int) string { return fmt.Sprintf("v1.%d.0", i%7) }
	mods := make([]proxytest.Module, n)
	for i := range mods {
		gomod := "module " + path(i) + "\n\ngo 1.21\n"
		if i < n/2 {
			gomod += "\nrequire " + path(i+1) + " " + version(i+1) + "\n"
		}
		files := map[string]string{
			fmt.Sprintf("m%03d.go", i): fmt.Sprintf("package m%03d\n\nconst N = %d\n", i, i),
		}
		nfiles := 4 + rng.IntN(8)
		for f := range nfiles {
			files[fmt.Sprintf("data/part%02d.txt", f)] = text(8<<10 + rng.IntN(48<<10))
		}
		mods[i] = proxytest.Module{Path: path(i), Version: version(i), GoMod: gomod, Files: files}
	}
	return mods
}

// TestCrashSafety kills `gofast mod download` with SIGKILL at random
// points of a large cold prefetch (mid-download, mid-extraction, or after
// it handed over to go) and checks that the real go tool then completes
// the download and verifies the cache: nothing gofast leaves when killed
// may confuse go or carry wrong bytes.
func TestCrashSafety(t *testing.T) {
	trials := 8
	if long() {
		trials = 100
	}
	w := newWorld(t, bigGraph(150), proxytest.Options{})
	// gofast downloads over an emulated link, slow enough that kills land
	// inside the work; go recovers from the fast mirror.
	slow := proxytest.New(t, proxytest.Options{FS: w.tree.FS, Latency: 15 * time.Millisecond, Bandwidth: 12 << 20})
	bin := gofastBin(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("GOFAST_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("GOFAST_CRASH_SEED=%s: %v", s, err)
		}
		seed = n
	}
	t.Logf("seed %d (%d trials; GOFAST_CRASH_SEED=%d draws the same kill points again)", seed, trials, seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	// Calibrate: one uninterrupted run gives the window kills are drawn
	// from, and shows the whole run verifies.
	run0 := w.scratch("crash-calibrate")
	r := run(5*time.Minute, w.dir, w.env(run0, "GOPROXY="+slow.URL), bin, "mod", "download")
	requireFinished(t, r)
	checkNoCrash(t, r)
	if r.code != 0 {
		t.Fatalf("uninterrupted run failed:\n%s", r)
	}
	w.checkCache(t, cacheOf(run0))
	w.verify(t, run0)
	window := r.elapsed
	t.Logf("uninterrupted gofast mod download: %v", window.Round(time.Millisecond))

	kinds := map[string]int{}
	for i := range trials {
		trigger := []string{"time", "download", "extraction"}[i%3]
		at := time.Duration(rng.Int64N(int64(window)))
		nth := 1 + rng.IntN(40)
		ok := t.Run(fmt.Sprintf("trial %d %s", i, trigger), func(t *testing.T) {
			dir := w.scratch(fmt.Sprintf("crash-%d", i))
			what := killDuring(t, bin, w.dir, w.env(dir, "GOPROXY="+slow.URL), cacheOf(dir), trigger, at, nth, 2*window+10*time.Second)
			kind, _, _ := strings.Cut(what, " after")
			kinds[kind]++
			t.Logf("killed %s", what)
			// The real go tool must finish the job on this cache and
			// verify it; nothing gofast left may carry wrong bytes.
			rec := w.goCmd(5*time.Minute, w.env(dir), "mod", "download")
			requireFinished(t, rec)
			if rec.code != 0 {
				t.Fatalf("go mod download after the kill:\n%s", rec)
			}
			w.verify(t, dir)
			// go repairs what a killed download or extraction left under
			// the version lock (zip temp files, .partial markers, temp
			// directories); a .mod or .info temp file whose rename never
			// came is harmless, and nothing ever cleans it up, as for go.
			w.checkCache(t, cacheOf(dir), leftoverKind("x.mod1.tmp"), leftoverKind("x.info1.tmp"))
		})
		if !ok {
			break
		}
	}
	t.Logf("kill points: %v", kinds)
}

// killDuring starts gofast mod download and kills its process group when
// trigger fires: "time" after at, "download" once nth zip temp files have
// been seen, "extraction" once a .partial marker has been seen nth times
// (each with at as a fallback, so a trial always kills). It says where
// the kill landed.
func killDuring(t *testing.T, bin, dir string, env []string, cache, trigger string, at time.Duration, nth int, deadline time.Duration) string {
	t.Helper()
	cmd := exec.Command(bin, "mod", "download")
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	start := time.Now()
	fallback := time.NewTimer(at)
	defer fallback.Stop()
	limit := time.NewTimer(deadline)
	defer limit.Stop()
	tick := time.NewTicker(3 * time.Millisecond)
	defer tick.Stop()
	seen := 0
	kill := func(what string) string {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		state := observe(cache)
		return fmt.Sprintf("%s after %v (%s)", what, time.Since(start).Round(time.Millisecond), state)
	}
	for {
		select {
		case err := <-done:
			return fmt.Sprintf("never: gofast finished first (%v) after %v", err, time.Since(start).Round(time.Millisecond))
		case <-limit.C:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			t.Fatalf("HUNG: gofast mod download still running after %v", deadline)
		case <-fallback.C:
			if trigger == "time" {
				return kill("at a random time")
			}
			// Give the watched event a while longer before settling for
			// a random point.
			fallback.Reset(at + 50*time.Millisecond)
			trigger = "time"
		case <-tick.C:
			if trigger == "time" {
				continue
			}
			tmp, partial := countInFlight(cache)
			if trigger == "download" && tmp > 0 || trigger == "extraction" && partial > 0 {
				seen++
			}
			if seen >= nth {
				return kill("mid-" + trigger)
			}
		}
	}
}

// countInFlight counts zip temp files and .partial markers in a cache.
func countInFlight(cache string) (tmp, partial int) {
	filepath.WalkDir(filepath.Join(cache, "cache", "download"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		switch n := d.Name(); {
		case strings.HasSuffix(n, ".partial"):
			partial++
		case strings.HasSuffix(n, ".tmp") && strings.Contains(n, ".zip"):
			tmp++
		}
		return nil
	})
	return tmp, partial
}

// observe describes a cache's state after a kill.
func observe(cache string) string {
	zips, dirs := 0, 0
	filepath.WalkDir(filepath.Join(cache, "cache", "download"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(d.Name(), ".zip") {
			zips++
		}
		return nil
	})
	matches, _ := filepath.Glob(filepath.Join(cache, "example.com", "crash", "m*@*"))
	dirs = len(matches)
	tmp, partial := countInFlight(cache)
	return fmt.Sprintf("%d zips, %d extracted dirs, %d zip temp files, %d .partial", zips, dirs, tmp, partial)
}
