package prefetch

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
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
		http:     newRetryClient(newHTTPClient(nil, 4), &attemptHooks{}),
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
