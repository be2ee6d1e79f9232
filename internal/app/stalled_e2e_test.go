package app

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// TestModDownloadStalledFirstMirror is issue 8's end-to-end case: the first
// mirror accepts connections and never answers, which stalls plain go
// forever even with '|' fallback. With GOFAST_MIRRORS="<stalled>,<good>",
// a cold gofast mod download must race past it, complete, and leave a cache
// that go mod verify accepts.
func TestModDownloadStalledFirstMirror(t *testing.T) {
	w := newE2E(t)
	bin := gofastBinary(t)
	stalled := proxytest.New(t, proxytest.Options{Stall: true})
	cache := w.cache("stalled-first")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "mod", "download")
	cmd.Dir = w.dir
	cmd.Env = w.env(cache,
		"GOPROXY="+stalled.URL+"|"+w.srv.URL,
		"GOFAST_MIRRORS="+stalled.URL+","+w.srv.URL,
		"GOFAST_VERBOSE=1") // the summary line shows that gofast prefetched
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("gofast mod download did not finish within 90 s with a stalled first mirror:\n%s", out)
	}
	if err != nil {
		t.Fatalf("gofast mod download: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "gofast: prefetched") {
		t.Errorf("gofast did not prefetch: %s", out)
	}
	if n := stalled.Count(".zip"); n != 0 {
		t.Errorf("the stalled mirror was asked for %d zips; the chain should leave it out", n)
	}
	if v := w.goRun(cache, []string{"GOPROXY=off"}, "mod", "verify"); !strings.Contains(v, "all modules verified") {
		t.Errorf("go mod verify: %s", v)
	}
}
