package modproxy

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// TestZipReadAhead: with ReadAheadZips, go being served a version's .info
// starts its zip; go's zip request then takes it without a second mirror
// request. A zip go never asks for is counted as over-fetch, and Close
// removes its spooled file. Without ReadAheadZips no zip is read ahead.
func TestZipReadAhead(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	zipA := tree.FS["example.com/a/@v/v1.0.0.zip"].Data
	zipB := tree.FS["example.com/b/@v/v1.0.0.zip"].Data

	good := proxytest.New(t, proxytest.Options{FS: tree.FS})
	h := &Handler{ReadAheadZips: true}
	h.Sums = sumsOf(t, tree) // go.sum records them: the read-ahead may fetch them
	lb := startWith(t, good.URL, &goenv.Settings{}, time.Minute, h)
	for _, p := range []string{"/example.com/a/@v/v1.0.0.info", "/example.com/b/@v/v1.0.0.info"} {
		if code, _ := get(t, lb.URL+p); code != http.StatusOK {
			t.Fatalf("%s: %d", p, code)
		}
	}
	code, body := get(t, lb.URL+"/example.com/a/@v/v1.0.0.zip")
	if code != http.StatusOK || body != string(zipA) {
		t.Fatalf("zip: %d, %d bytes", code, len(body))
	}
	if n := good.Count("/example.com/a/@v/v1.0.0.zip"); n != 1 {
		t.Errorf("a's zip asked of the mirror %d times, want 1", n)
	}
	// The go.mod of a version whose .info go was served is read ahead too.
	if code, body := get(t, lb.URL+"/example.com/a/@v/v1.0.0.mod"); code != http.StatusOK || body != "module example.com/a\n" {
		t.Errorf("a.mod: %d %q", code, body)
	}
	if n := good.Count("/example.com/a/@v/v1.0.0.mod"); n != 1 {
		t.Errorf("a's go.mod asked of the mirror %d times, want 1", n)
	}
	spool := h.SpoolDir
	h.zips.running.Wait() // b's zip has arrived, unasked
	if err := lb.Close(); err != nil {
		t.Fatal(err)
	}
	used, unused := h.ZipsReadAhead()
	if used != int64(len(zipA)) || unused != int64(len(zipB)) {
		t.Errorf("ZipsReadAhead() = %d, %d; want %d, %d", used, unused, len(zipA), len(zipB))
	}
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Errorf("spool holds %d files after Close", len(left))
	}

	off := proxytest.New(t, proxytest.Options{FS: tree.FS})
	// go.sum records the zips, as above: only ReadAheadZips keeps them
	// from being read ahead.
	h = &Handler{Sums: sumsOf(t, tree)}
	lb = startWith(t, off.URL, &goenv.Settings{}, time.Minute, h)
	if code, _ := get(t, lb.URL+"/example.com/a/@v/v1.0.0.info"); code != http.StatusOK {
		t.Fatalf(".info: %d", code)
	}
	// Whatever the .info started (it starts it before answering) must
	// have reached the mirror before the check: Close would cancel a
	// fetch still queued, and a wrongly started zip would go unseen.
	h.zips.running.Wait()
	h.ahead.await(func(a *readAhead) bool { return a.running == 0 })
	lb.Close()
	if n := off.Count(".zip"); n != 0 {
		t.Errorf("without ReadAheadZips, %d zips were fetched", n)
	}
}
