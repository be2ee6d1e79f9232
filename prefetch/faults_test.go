package prefetch

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
	"github.com/gofastdev/gofast/internal/web"
)

// run prefetches testMods through goproxy (with servers already started)
// into a fresh cache, with short timeouts so fault tests stay fast.
func run(t *testing.T, tree *proxytest.Tree, goproxy string, tweak func(*Options)) (*Report, string) {
	t.Helper()
	cache := newCache(t)
	opts := Options{
		Settings:    settings(cache, goproxy),
		Compute:     fixedSet(tree, testMods),
		IdleTimeout: 500 * time.Millisecond,
	}
	if tweak != nil {
		tweak(&opts)
	}
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep, cache
}

// onlyFirst applies fault f to the first request for each path matching
// suffix, and serves normally afterwards.
func onlyFirst(suffix string, f proxytest.Fault) func(*http.Request) proxytest.Fault {
	var mu sync.Mutex
	seen := map[string]bool{}
	return func(r *http.Request) proxytest.Fault {
		if !strings.HasSuffix(r.URL.Path, suffix) {
			return proxytest.Fault{}
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[r.URL.Path] {
			return proxytest.Fault{}
		}
		seen[r.URL.Path] = true
		return f
	}
}

// always applies fault f to every request whose path ends in suffix.
func always(suffix string, f proxytest.Fault) func(*http.Request) proxytest.Fault {
	return func(r *http.Request) proxytest.Fault {
		if strings.HasSuffix(r.URL.Path, suffix) {
			return f
		}
		return proxytest.Fault{}
	}
}

func TestGOPROXYWalk(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	for _, tc := range []struct {
		name string
		// fault of the first mirror for every .zip request
		fault proxytest.Fault
		sep   string
		// wantSecond: the zips come from the second mirror
		wantSecond bool
		wantFailed bool
		// maxFirst bounds the first mirror's zip requests (no retry of 404)
		maxFirst int
	}{
		{name: "404 comma", fault: proxytest.Fault{Kind: proxytest.Status, Status: 404}, sep: ",", wantSecond: true, maxFirst: 3},
		{name: "410 comma", fault: proxytest.Fault{Kind: proxytest.Status, Status: 410}, sep: ",", wantSecond: true, maxFirst: 3},
		{name: "403 comma fails, no retry", fault: proxytest.Fault{Kind: proxytest.Status, Status: 403}, sep: ",", wantFailed: true, maxFirst: 3},
		{name: "500 comma fails after retries", fault: proxytest.Fault{Kind: proxytest.Status, Status: 500}, sep: ",", wantFailed: true, maxFirst: 3 * (web.RetryMax + 1)},
		{name: "500 pipe falls through", fault: proxytest.Fault{Kind: proxytest.Status, Status: 502}, sep: "|", wantSecond: true, maxFirst: 3 * (web.RetryMax + 1)},
		{name: "stall pipe falls through", fault: proxytest.Fault{Kind: proxytest.StallHeaders}, sep: "|", wantSecond: true, maxFirst: 3},
		{name: "stall mid-body pipe", fault: proxytest.Fault{Kind: proxytest.StallBody, After: 20}, sep: "|", wantSecond: true, maxFirst: 3},
		{name: "trickle pipe falls through", fault: proxytest.Fault{Kind: proxytest.Trickle, After: 10, Every: 20 * time.Millisecond}, sep: "|", wantSecond: true, maxFirst: 3},
		{name: "html comma tries next", fault: proxytest.Fault{Kind: proxytest.Body, Body: []byte("<html><body>portal login</body></html>")}, sep: ",", wantSecond: true, maxFirst: 3},
		{name: "garbage comma tries next", fault: proxytest.Fault{Kind: proxytest.Body, Body: []byte("PK\x03\x04garbage")}, sep: ",", wantSecond: true, maxFirst: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: always(".zip", tc.fault)})
			second := proxytest.New(t, proxytest.Options{FS: tree.FS})
			start := time.Now()
			rep, cache := run(t, tree, first.URL+tc.sep+second.URL, nil)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v: a failing mirror must cost bounded time", d)
			}
			zips := first.Count(".zip")
			if zips > tc.maxFirst {
				t.Errorf("first mirror got %d zip requests, want at most %d", zips, tc.maxFirst)
			}
			gotSecond := second.Count(".zip") > 0
			if gotSecond != tc.wantSecond {
				t.Errorf("second mirror used = %v, want %v", gotSecond, tc.wantSecond)
			}
			if got := rep.Failed > 0; got != tc.wantFailed {
				t.Errorf("failed = %d, want failures %v; %v", rep.Failed, tc.wantFailed, rep.Err())
			}
			for _, m := range testMods {
				if m.ModOnly {
					continue
				}
				_, err := os.Stat(cacheFile(t, cache, m, "zip"))
				if published := err == nil; published == tc.wantFailed {
					t.Errorf("%s zip published = %v with failures expected = %v", m.Path, published, tc.wantFailed)
				}
			}
		})
	}
}

func TestRetriesAndBrokenBodies(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	for _, tc := range []struct {
		name  string
		fault proxytest.Fault
	}{
		{"429 with Retry-After", proxytest.Fault{Kind: proxytest.Status, Status: 429, Header: http.Header{"Retry-After": {"1"}}}},
		{"503", proxytest.Fault{Kind: proxytest.Status, Status: 503}},
		{"reset mid-body", proxytest.Fault{Kind: proxytest.Reset, After: 30}},
		{"short body", proxytest.Fault{Kind: proxytest.Short, After: 30}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: onlyFirst(".zip", tc.fault)})
			rep, _ := run(t, tree, srv.URL, nil)
			if err := rep.Err(); err != nil {
				t.Fatalf("one transient failure per file must be retried: %v", err)
			}
			for _, r := range rep.Modules {
				if strings.Contains(strings.Join(r.Files, ","), "zip") && r.Retries == 0 {
					t.Errorf("%s: 0 retries reported", r.Path)
				}
			}
		})
	}
}

func TestLyingMirrorIsReportedAndBypassed(t *testing.T) {
	good := proxytest.MustBuild(testMods...)
	// The liar serves other, well-formed content for the same versions.
	evilMods := append([]proxytest.Module(nil), testMods...)
	evilMods[0].Files = map[string]string{"dep.go": "package dep\n\nconst X = 666\n"}
	evilMods[1].GoMod += "// tampered\n"
	evil := proxytest.MustBuild(evilMods...)
	// https: credentials are only ever sent over TLS, as go sends them.
	liar := proxytest.New(t, proxytest.Options{FS: evil.FS, TLS: true})
	honest := proxytest.New(t, proxytest.Options{FS: good.FS})
	u, _ := url.Parse(liar.URL)
	u.User = url.UserPassword("alice", "s3cret")
	rep, cache := run(t, good, u.String()+","+honest.URL, func(o *Options) {
		// The graph walk must take the liar's go.mod, then refetch it.
		o.Compute = walkingSet(good, testMods)
		o.Client = trustingClient(liar)
	})
	byMod := byPath(rep)
	dep := byMod["example.com/dep@v1.0.0"]
	if dep.Status != Fetched || len(dep.Rejected) == 0 {
		t.Fatalf("dep: status %s, rejected %q", dep.Status, dep.Rejected)
	}
	msg := strings.Join(dep.Rejected, "\n")
	for _, want := range []string{"SECURITY ERROR", "example.com/dep@v1.0.0", "checksum mismatch", "127.0.0.1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("rejection %q lacks %q", msg, want)
		}
	}
	if other := byMod["example.com/other/v2@v2.3.4"]; len(other.Rejected) == 0 {
		t.Errorf("tampered go.mod not reported: %+v", other)
	}
	if err := rep.Err(); err == nil || !errors.Is(err, ErrChecksum) {
		t.Errorf("Report.Err = %v, want a checksum error", err)
	}
	if strings.Contains(rep.Err().Error(), "s3cret") {
		t.Errorf("password leaked: %v", rep.Err())
	}
	zh, _ := os.ReadFile(cacheFile(t, cache, testMods[0], "ziphash"))
	if string(zh) != good.Sum["example.com/dep v1.0.0"] {
		t.Errorf("published ziphash %q, want the honest one", zh)
	}
	gm, _ := os.ReadFile(cacheFile(t, cache, testMods[1], "mod"))
	if strings.Contains(string(gm), "tampered") {
		t.Error("tampered go.mod published")
	}
}

// walkingSet is fixedSet that also asks the Fetcher for every go.mod, as
// the real graph walk does.
func walkingSet(tree *proxytest.Tree, mods []proxytest.Module) func(context.Context, modsetOptions) (*modsetSet, error) {
	fixed := fixedSet(tree, mods)
	return func(ctx context.Context, o modsetOptions) (*modsetSet, error) {
		for _, m := range mods {
			if _, err := o.Fetch.GoMod(ctx, mv(m)); err != nil {
				return nil, err
			}
		}
		return fixed(ctx, o)
	}
}

func TestOnlyLiarMeansFailureAndNothingPublished(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: always(".zip", proxytest.Fault{Kind: proxytest.Body, Body: []byte("<!DOCTYPE html><html>captive portal</html>")})})
	rep, cache := run(t, tree, srv.URL, nil)
	if rep.Failed != 3 {
		t.Errorf("failed = %d, want 3 (the zips)", rep.Failed)
	}
	if !strings.Contains(rep.Err().Error(), "HTML") {
		t.Errorf("error does not say HTML: %v", rep.Err())
	}
	entries, _ := os.ReadDir(strings.TrimSuffix(cacheFile(t, cache, testMods[0], "zip"), "v1.0.0.zip"))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".zip") {
			t.Errorf("left %s in the cache", e.Name())
		}
	}
}

func TestLeftToGo(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	t.Run("direct and off", func(t *testing.T) {
		for _, goproxy := range []string{"off", "direct"} {
			rep, _ := run(t, tree, goproxy, nil)
			if rep.LeftToGo != len(testMods) || rep.Failed != 0 {
				t.Errorf("GOPROXY=%s: %d left to go, %d failed", goproxy, rep.LeftToGo, rep.Failed)
			}
		}
	})
	t.Run("private paths are never requested", func(t *testing.T) {
		srv := proxytest.New(t, proxytest.Options{FS: tree.FS})
		rep, _ := run(t, tree, srv.URL, func(o *Options) {
			o.Settings.GOPRIVATE = "example.com/other,example.com/Upper"
			o.Compute = walkingSetTolerant(tree, testMods)
		})
		for _, p := range srv.Requests() {
			if strings.Contains(p, "example.com/other") || strings.Contains(p, "!upper") {
				t.Errorf("requested private path %s", p)
			}
		}
		st := byPath(rep)
		if st["example.com/other/v2@v2.3.4"].Status != LeftToGo || st["example.com/Upper@v0.1.0"].Status != LeftToGo {
			t.Errorf("private modules not left to go: %+v %+v", st["example.com/other/v2@v2.3.4"], st["example.com/Upper@v0.1.0"])
		}
	})
	t.Run("no go.sum line", func(t *testing.T) {
		srv := proxytest.New(t, proxytest.Options{FS: tree.FS})
		var calls atomic.Int32
		noSums := &proxytest.Tree{FS: tree.FS, Sum: map[string]string{}}
		rep, cache := run(t, noSums, srv.URL, func(o *Options) { calls.Add(1) })
		if rep.LeftToGo != len(testMods) {
			t.Errorf("left to go = %d", rep.LeftToGo)
		}
		if _, err := os.Stat(cacheFile(t, cache, testMods[0], "zip")); err == nil {
			t.Error("zip without go.sum line published")
		}
		if srv.Count(".zip") != 0 {
			t.Errorf("zips requested without a go.sum line to check them")
		}
	})
}

// walkingSetTolerant is walkingSet that ignores fetch errors (as the real
// walker does for private modules it cannot read).
func walkingSetTolerant(tree *proxytest.Tree, mods []proxytest.Module) func(context.Context, modsetOptions) (*modsetSet, error) {
	fixed := fixedSet(tree, mods)
	return func(ctx context.Context, o modsetOptions) (*modsetSet, error) {
		for _, m := range mods {
			o.Fetch.GoMod(ctx, mv(m))
		}
		return fixed(ctx, o)
	}
}
