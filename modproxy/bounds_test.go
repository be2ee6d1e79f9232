package modproxy

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/note"
)

// unaskedSumDB returns a GOSUMDB naming a database with a fresh key. The
// proxy reads ahead only what something will verify, so the read-ahead
// tests need a database go would consult; read-ahead never asks it.
func unaskedSumDB(t *testing.T) string {
	t.Helper()
	_, vkey, err := note.GenerateKey(rand.Reader, "sum.test")
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}

// TestReadAheadWorkersBounded: a go.mod with a thousand requirements, and
// a thousand zips to read ahead, cost ReadAheadJobs workers each, not a
// goroutine per requirement waiting for its turn. The mirror never
// answers, so every fetch started stays in flight until Close.
func TestReadAheadWorkersBounded(t *testing.T) {
	const n, jobs = 1000, 4
	stalled := proxytest.New(t, proxytest.Options{Stall: true})
	h := &Handler{ReadAheadJobs: jobs, ReadAheadZips: true}
	lb := startWith(t, stalled.URL, &goenv.Settings{GOSUMDB: unaskedSumDB(t)}, time.Minute, h)
	var b strings.Builder
	b.WriteString("module example.com/root\n\ngo 1.16\n\nrequire (\n")
	var deps []module.Version
	for i := range n {
		m := module.Version{Path: fmt.Sprintf("example.com/many/m%d", i), Version: "v1.0.0"}
		deps = append(deps, m)
		fmt.Fprintf(&b, "\t%s %s\n", m.Path, m.Version)
	}
	b.WriteString(")\n")

	before := runtime.NumGoroutine()
	h.readAheadFrom(module.Version{Path: "example.com/root", Version: "v1.0.0"}, []byte(b.String()))
	for _, m := range deps {
		h.zipAhead(m)
	}
	after := runtime.NumGoroutine()
	if running(h) != n {
		t.Fatalf("%d go.mod fetches queued or running, want %d", running(h), n)
	}
	// Each fetch in flight has a few goroutines of its own (transport,
	// the test mirror's handler): 2×jobs of them, far below n.
	if d := after - before; d > 2*jobs*10 {
		t.Errorf("reading %d go.mod files and %d zips ahead started %d goroutines", n, n, d)
	}
	if w := h.ahead.fetches.maxWorkers(); w > jobs {
		t.Errorf("%d go.mod workers, want at most %d", w, jobs)
	}
	if w := h.zips.fetches.maxWorkers(); w > jobs {
		t.Errorf("%d zip workers, want at most %d", w, jobs)
	}
	lb.Close()
	if running(h) != 0 {
		t.Errorf("%d fetches left after Close", running(h))
	}
}

// TestSpoolCap: zips read ahead stop at SpoolMax on disk; go's own
// requests for the zips left out are still served, from the mirror.
func TestSpoolCap(t *testing.T) {
	var ms []proxytest.Module
	for i := range 5 {
		ms = append(ms, proxytest.Module{Path: fmt.Sprintf("example.com/z%d", i), Version: "v1.0.0"})
	}
	tree := proxytest.MustBuild(ms...)
	zip := func(i int) []byte { return tree.FS[fmt.Sprintf("example.com/z%d/@v/v1.0.0.zip", i)].Data }
	good := proxytest.New(t, proxytest.Options{FS: tree.FS})
	// One worker: the zips arrive in order, and the first two fill the
	// spool exactly.
	h := &Handler{ReadAheadJobs: 1, ReadAheadZips: true, SpoolMax: int64(len(zip(0)) + len(zip(1)))}
	lb := startWith(t, good.URL, &goenv.Settings{GOSUMDB: unaskedSumDB(t)}, time.Minute, h)
	for i := range ms {
		h.zipAhead(module.Version{Path: ms[i].Path, Version: ms[i].Version})
	}
	h.zips.running.Wait()
	var spooled int64
	files, _ := os.ReadDir(h.SpoolDir)
	for _, f := range files {
		if info, err := f.Info(); err == nil {
			spooled += info.Size()
		}
	}
	if spooled > h.SpoolMax || len(files) != 2 {
		t.Errorf("spool holds %d files, %d bytes; want 2 files within SpoolMax %d", len(files), spooled, h.SpoolMax)
	}
	if h.zips.skipped != 3 {
		t.Errorf("%d zips left out over the cap, want 3", h.zips.skipped)
	}
	for i := range ms {
		p := fmt.Sprintf("/example.com/z%d/@v/v1.0.0.zip", i)
		if code, body := get(t, lb.URL+p); code != http.StatusOK || body != string(zip(i)) {
			t.Errorf("%s: %d, %d bytes", p, code, len(body))
		}
		if n := good.Count(p); n != 1 {
			t.Errorf("%s asked of the mirror %d times, want 1", p, n)
		}
	}
}

// TestSpoolMaxDefault: without SpoolMax the bound is twice what go has
// been served, between 256 MiB and 2 GiB; a negative SpoolMax reads no
// zip ahead.
func TestSpoolMaxDefault(t *testing.T) {
	for _, tc := range []struct{ served, want int64 }{
		{0, 256 << 20},
		{500 << 20, 1000 << 20},
		{10 << 30, 2 << 30},
	} {
		h := &Handler{}
		h.served.Store(tc.served)
		if got := h.spoolMax(); got != tc.want {
			t.Errorf("served %d: spoolMax %d, want %d", tc.served, got, tc.want)
		}
	}
	if got := (&Handler{SpoolMax: -1}).spoolMax(); got != 0 {
		t.Errorf("SpoolMax -1: %d", got)
	}
}
