//go:build linux

package reliability_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// TestConcurrentGofastAndGo starts three gofast built with the race
// detector and three go processes, all `mod download`, at the same moment
// on one empty module cache. Every one must succeed, the race detector
// must stay silent, and the cache must verify with nothing left behind:
// gofast takes go's locks and publishes as go does, so neither side ever
// sees the other's half-written files.
func TestConcurrentGofastAndGo(t *testing.T) {
	w := newWorld(t, bigGraph(60), proxytest.Options{})
	// A little latency so that the six processes overlap on every module.
	mirror := proxytest.New(t, proxytest.Options{FS: w.tree.FS, Latency: 5 * time.Millisecond, Bandwidth: 64 << 20})
	race := gofastRaceBin(t)
	shared := w.scratch("shared")
	env := w.env(shared, "GOPROXY="+mirror.URL)

	const each = 3
	results := make([]*result, 2*each)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if i%2 == 0 {
				results[i] = run(3*time.Minute, w.dir, env, race, "mod", "download")
			} else {
				results[i] = w.goCmd(3*time.Minute, env, "mod", "download")
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		t.Run(fmt.Sprintf("%s %d", r.args[0], i/2), func(t *testing.T) {
			requireFinished(t, r)
			checkNoCrash(t, r)
			if r.code != 0 {
				t.Errorf("failed:\n%s", r)
			}
			t.Logf("%v: %s", r.elapsed.Round(time.Millisecond), strings.Join(gofastLines(r.stderr), " | "))
			// go removes <version>.zip*.tmp and <dir>.tmp-* leftovers
			// while holding the version lock. A gofast whose in-flight
			// staging went that way must notice that go published the
			// module (or fetch it again), never report it as a failure or
			// as wrong bytes from a healthy mirror.
			for _, l := range gofastLines(r.stderr) {
				if strings.Contains(l, "not prefetched") || strings.Contains(l, "no such file") || strings.Contains(l, "not a valid module zip") || strings.Contains(l, "SECURITY") {
					t.Errorf("gofast lost work to go's clean-up: %s", l)
				}
			}
		})
	}
	w.checkCache(t, cacheOf(shared))
	w.verify(t, shared)
}
