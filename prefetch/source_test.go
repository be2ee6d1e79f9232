package prefetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
	"github.com/gofastdev/gofast/internal/web"
	"github.com/gofastdev/gofast/mirrors"
)

func testSource(t *testing.T, goproxy string) *source {
	t.Helper()
	chain, err := mirrors.ParseList(goproxy)
	if err != nil {
		t.Fatal(err)
	}
	return &source{
		chainFn:  func(context.Context) (mirrors.List, error) { return chain, nil },
		http:     newRetryClient(web.NewClient(web.Options{})),
		idle:     500 * time.Millisecond,
		deadline: 5 * time.Second,
		failures: map[string]int{},
		used:     map[string]int{},
	}
}

func discard(_ context.Context, r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }

// TestRefusalsDoNotTakeMirrorOut: a mirror that refuses zips (403) but
// serves go.mod files still gets asked for the go.mod files after many
// refusals; one that fails with 5xx through its retries is taken out
// after brokenAfter failures, and the line then says why.
func TestRefusalsDoNotTakeMirrorOut(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	ctx := context.Background()

	refusing := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: always(".zip", proxytest.Fault{Kind: proxytest.Status, Status: 403, Body: []byte("not redistributable")})})
	src := testSource(t, refusing.URL)
	for i := 0; i < 2*brokenAfter; i++ {
		if _, err := src.fetch(ctx, mv(testMods[0]), "zip", "", discard); err == nil || !strings.Contains(err.Error(), "403") {
			t.Fatalf("zip %d: %v, want the 403", i, err)
		}
	}
	for _, m := range testMods {
		if _, err := src.fetch(ctx, mv(m), "mod", "", discard); err != nil {
			t.Fatalf("%s .mod after refused zips: %v", m.Path, err)
		}
	}

	failing := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: always(".zip", proxytest.Fault{Kind: proxytest.Status, Status: 502, Body: []byte("bad gateway")})})
	src = testSource(t, failing.URL)
	for i := 0; i < brokenAfter; i++ {
		src.fetch(ctx, mv(testMods[0]), "zip", "", discard)
	}
	before := len(failing.Requests())
	_, err := src.fetch(ctx, mv(testMods[1]), "mod", "", discard)
	var me *ModuleError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "skipped after") || !strings.Contains(err.Error(), "502") {
		t.Fatalf("after %d failures: %v, want a skip naming the last failure (502)", brokenAfter, err)
	}
	if len(failing.Requests()) != before {
		t.Fatal("a mirror taken out was still asked")
	}
}

// failFirst answers the first n requests for the path ending in suffix
// with status, and serves normally afterwards.
func failFirst(suffix string, n int, status int) func(*http.Request) proxytest.Fault {
	var mu sync.Mutex
	seen := 0
	return func(r *http.Request) proxytest.Fault {
		if !strings.HasSuffix(r.URL.Path, suffix) {
			return proxytest.Fault{}
		}
		mu.Lock()
		defer mu.Unlock()
		if seen++; seen <= n {
			return proxytest.Fault{Kind: proxytest.Status, Status: status, Body: []byte("injected")}
		}
		return proxytest.Fault{}
	}
}

// TestFlakyButServingMirror: a file whose failures outlast the client's
// retries gets more rounds from a mirror that serves other files, when
// GOPROXY has no mirror to fall back to on errors; with '|' the next
// mirror is asked instead.
func TestFlakyButServingMirror(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	zip := "/example.com/dep/@v/v1.0.0.zip"
	attempts := web.RetryMax + 1

	flaky := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: failFirst(zip, attempts+1, 503)})
	rep, _ := run(t, tree, flaky.URL, nil)
	if err := rep.Err(); err != nil {
		t.Fatalf("a mirror failing one file %d times in a row: %v", attempts+1, err)
	}
	if n := flaky.Count(".zip"); n < attempts+2 {
		t.Errorf("%d zip requests, want the failing zip asked again after its first round", n)
	}

	flaky = proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: failFirst(zip, attempts, 503)})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS})
	rep, _ = run(t, tree, flaky.URL+"|"+good.URL, nil)
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if got := byPath(rep)["example.com/dep@v1.0.0"].Mirror; got != good.URL {
		t.Errorf("with '|', the file came from %s, want the next mirror %s", got, good.URL)
	}

	// A mirror that fails every request gets no extra rounds.
	broken := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: func(*http.Request) proxytest.Fault {
		return proxytest.Fault{Kind: proxytest.Status, Status: 500}
	}})
	rep, _ = run(t, tree, broken.URL, nil)
	if rep.Err() == nil {
		t.Fatal("a broken mirror: no failure")
	}
	for _, p := range broken.Requests() {
		if n := broken.Count(p); n > attempts {
			t.Fatalf("%s asked %d times of a mirror that serves nothing, want at most %d", p, n, attempts)
		}
	}
}
