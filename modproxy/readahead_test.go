package modproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
	"golang.org/x/mod/module"
)

// chain returns modules example.com/ra/<name> v1.0.0, each of names
// requiring the next, the first one also requiring extra (path version
// pairs), with go lines of goVersion.
func chain(goVersion string, names []string, extra ...string) []proxytest.Module {
	var out []proxytest.Module
	for i, n := range names {
		gomod := "module example.com/ra/" + n + "\n\ngo " + goVersion + "\n"
		var req []string
		if i+1 < len(names) {
			req = append(req, "\texample.com/ra/"+names[i+1]+" v1.0.0\n")
		}
		if i == 0 {
			for j := 0; j+1 < len(extra); j += 2 {
				req = append(req, "\t"+extra[j]+" "+extra[j+1]+"\n")
			}
		}
		if len(req) > 0 {
			gomod += "\nrequire (\n" + strings.Join(req, "") + ")\n"
		}
		out = append(out, proxytest.Module{Path: "example.com/ra/" + n, Version: "v1.0.0", GoMod: gomod})
	}
	return out
}

func modPath(name string) string { return "/example.com/ra/" + name + "/@v/v1.0.0.mod" }

// arrive waits for a request the mirror signals on c, failing the test
// (rather than hanging it) if none comes.
func arrive(t *testing.T, c <-chan struct{}) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(30 * time.Second):
		t.Fatal("the mirror was never asked")
	}
}

// running returns how many read-ahead fetches of h are running.
func running(h *Handler) int {
	h.ahead.mu.Lock()
	defer h.ahead.mu.Unlock()
	return h.ahead.running
}

// idle reports whether no read-ahead fetch is running.
func idle(a *readAhead) bool { return a.running == 0 }

// TestReadAheadChain: go asking for A's go.mod makes the proxy fetch B's
// (A's requirement) before go asks for it, and only that, one level ahead,
// with no checksum-database lookup (go may never ask for B); go's request
// for B's go.mod makes the lookup go then makes itself, and go's lookup
// and its request for B's go.mod then cost no mirror request, and start
// C's read-ahead. Private and GONOSUMDB paths are never read ahead, and
// what go never asks for is counted as over-fetch.
func TestReadAheadChain(t *testing.T) {
	mods := chain("1.16", []string{"a", "b", "c", "d"},
		"example.com/ra/x", "v1.0.0",
		"nosum.example.com/n", "v1.0.0",
		"private.example.com/p", "v1.0.0")
	mods = append(mods,
		proxytest.Module{Path: "example.com/ra/x", Version: "v1.0.0"},
		proxytest.Module{Path: "nosum.example.com/n", Version: "v1.0.0"},
		proxytest.Module{Path: "private.example.com/p", Version: "v1.0.0"})
	tree := proxytest.MustBuild(mods...)
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup, Latency: 5 * time.Millisecond})
	h := &Handler{}
	lb := startWith(t, good.URL, &goenv.Settings{GOSUMDB: good.GOSUMDB, GOPRIVATE: "private.example.com", GONOSUMDB: "nosum.example.com"}, time.Minute, h)
	file := func(p string) string { return string(tree.FS[strings.TrimPrefix(p, "/")].Data) }

	if code, body := get(t, lb.URL+modPath("a")); code != http.StatusOK || body != file(modPath("a")) {
		t.Fatalf("a.mod: %d %q", code, body)
	}
	h.ahead.await(idle)
	for p, want := range map[string]int{
		modPath("b"): 1, "/lookup/example.com/ra/b@v1.0.0": 0,
		modPath("x"): 1, "/nosum.example.com/n/@v/v1.0.0.mod": 0, "/lookup/nosum.example.com/n@v1.0.0": 0,
		modPath("c"): 0, "/lookup/example.com/ra/c@v1.0.0": 0,
	} {
		if n := good.Count(p); n != want {
			t.Errorf("after a.mod, %s asked %d times, want %d", p, n, want)
		}
	}

	if code, body := get(t, lb.URL+modPath("b")); code != http.StatusOK || body != file(modPath("b")) {
		t.Fatalf("b.mod: %d %q", code, body)
	}
	if code, body := get(t, lb.URL+"/sumdb/sum.test/lookup/example.com/ra/b@v1.0.0"); code != http.StatusOK || !strings.Contains(body, "example.com/ra/b v1.0.0/go.mod h1:") {
		t.Errorf("b's lookup: %d %q", code, body)
	}
	if n, m := good.Count(modPath("b")), good.Count("/lookup/example.com/ra/b@v1.0.0"); n != 1 || m != 1 {
		t.Errorf("b.mod asked of the mirror %d times, its lookup %d; want 1 each (the read-ahead's, and the proxy's check once go asked)", n, m)
	}
	h.ahead.await(idle)
	if n := good.Count(modPath("c")); n != 1 {
		t.Errorf("after b.mod, c.mod asked %d times, want 1", n)
	}
	if n := good.Count(modPath("d")); n != 0 {
		t.Errorf("d.mod read ahead two levels below what go asked for")
	}
	for _, r := range good.Requests() {
		if strings.Contains(r, "private.example.com") {
			t.Errorf("mirror received %s", r)
		}
	}

	lenOf := func(names ...string) (n int64) {
		for _, p := range names {
			n += int64(len(file(p)))
		}
		return n
	}
	used, unused := h.ReadAhead()
	wantUnused := lenOf(modPath("x"), modPath("c"))
	if used != lenOf(modPath("b")) || unused != wantUnused {
		t.Errorf("ReadAhead() = %d, %d; want %d, %d", used, unused, lenOf(modPath("b")), wantUnused)
	}
	lb.Close()
	if u, un := h.ReadAhead(); u != used || un != unused {
		t.Errorf("after Close, ReadAhead() = %d, %d; want %d, %d", u, un, used, unused)
	}
	h.ahead.mu.Lock()
	if len(h.ahead.byRel) != 0 || h.ahead.held != 0 {
		t.Errorf("Close left %d entries, %d bytes held", len(h.ahead.byRel), h.ahead.held)
	}
	h.ahead.mu.Unlock()
}

// TestReadAheadInFlightIsWaitedFor: go asking for a go.mod the read-ahead
// is still fetching waits for that fetch rather than sending a second
// request.
func TestReadAheadInFlightIsWaitedFor(t *testing.T) {
	tree := proxytest.MustBuild(chain("1.16", []string{"a", "b"})...)
	arrived, release := make(chan struct{}), make(chan struct{})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: func(r *http.Request) proxytest.Fault {
		if r.URL.Path == modPath("b") {
			close(arrived)
			<-release
		}
		return proxytest.Fault{}
	}})
	h := &Handler{}
	h.Sums = sumsOf(t, tree) // go.sum records them: the read-ahead may fetch them
	lb := startWith(t, good.URL, nil, time.Minute, h)
	if code, _ := get(t, lb.URL+modPath("a")); code != http.StatusOK {
		t.Fatalf("a.mod: %d", code)
	}
	arrive(t, arrived)
	type answer struct {
		code int
		body string
	}
	got := make(chan answer)
	go func() {
		resp, err := http.Get(lb.URL + modPath("b"))
		if err != nil {
			got <- answer{}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- answer{resp.StatusCode, string(b)}
	}()
	h.ahead.await(func(a *readAhead) bool { return a.waits == 1 })
	close(release)
	a := <-got
	if a.code != http.StatusOK || a.body != string(tree.FS[strings.TrimPrefix(modPath("b"), "/")].Data) {
		t.Errorf("b.mod: %d %q", a.code, a.body)
	}
	if n := good.Count(modPath("b")); n != 1 {
		t.Errorf("b.mod asked of the mirror %d times, want 1", n)
	}
}

// TestReadAheadWrongBytesNotKept: a go.mod read ahead passes the checks
// go's own request would, so wrong bytes from one mirror are never served:
// against go.sum as they arrive (the next mirror's are kept), against the
// checksum database once go asks for them (the read-ahead makes no
// lookup of its own), when go's request goes on to the next mirror.
func TestReadAheadWrongBytesNotKept(t *testing.T) {
	tree := proxytest.MustBuild(chain("1.16", []string{"a", "b"})...)
	evil := proxytest.MustBuild(append(chain("1.16", []string{"a"}), proxytest.Module{Path: "example.com/ra/b", Version: "v1.0.0", GoMod: "module example.com/ra/b\n\nrequire example.com/evil v1.0.0\n"})...)
	liar := proxytest.New(t, proxytest.Options{FS: evil.FS})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	for _, c := range []struct {
		name      string
		sums      bool
		liarAsked int
	}{{"go.sum", true, 1}, {"checksum database", false, 2}} {
		t.Run(c.name, func(t *testing.T) {
			before, beforeGood := liar.Count(modPath("b")), good.Count(modPath("b"))
			h := &Handler{}
			if c.sums {
				h.Sums = sumsOf(t, tree)
			}
			lb := startWith(t, liar.URL+","+good.URL, &goenv.Settings{GOSUMDB: good.GOSUMDB}, time.Minute, h)
			if code, _ := get(t, lb.URL+modPath("a")); code != http.StatusOK {
				t.Fatalf("a.mod: %d", code)
			}
			h.ahead.await(idle)
			code, body := get(t, lb.URL+modPath("b"))
			if code != http.StatusOK || body != string(tree.FS[strings.TrimPrefix(modPath("b"), "/")].Data) {
				t.Errorf("b.mod: %d %q", code, body)
			}
			if l, g := liar.Count(modPath("b"))-before, good.Count(modPath("b"))-beforeGood; l != c.liarAsked || g != 1 {
				t.Errorf("b.mod asked %d times of the liar, %d of the good mirror; want %d and 1", l, g, c.liarAsked)
			}
		})
	}
}

// TestReadAheadCloseCancels: Close cancels the read-ahead's requests in
// flight and returns once its goroutines have; a Handler closed reads
// nothing ahead.
func TestReadAheadCloseCancels(t *testing.T) {
	tree := proxytest.MustBuild(chain("1.16", []string{"a", "b"}, "example.com/ra/x", "v1.0.0")...)
	arrived, cancelled := make(chan struct{}, 2), make(chan struct{}, 2)
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: func(r *http.Request) proxytest.Fault {
		if r.URL.Path != modPath("a") {
			arrived <- struct{}{}
			<-r.Context().Done()
			cancelled <- struct{}{}
		}
		return proxytest.Fault{}
	}})
	h := &Handler{}
	h.Sums = sumsOf(t, tree) // go.sum records them: the read-ahead may fetch them
	h.Sums.Add(module.Version{Path: "example.com/ra/x", Version: "v1.0.0"}, true, "h1:x")
	lb := startWith(t, good.URL, nil, time.Minute, h)
	if code, _ := get(t, lb.URL+modPath("a")); code != http.StatusOK {
		t.Fatalf("a.mod: %d", code)
	}
	arrive(t, arrived)
	arrive(t, arrived)
	if running(h) != 2 {
		t.Errorf("%d read-ahead fetches running, want 2", running(h))
	}
	lb.Close()
	if running(h) != 0 {
		t.Errorf("Close returned with %d read-ahead fetches running", running(h))
	}
	for range 2 {
		select {
		case <-cancelled:
		case <-time.After(30 * time.Second):
			t.Fatal("the mirror's requests were not cancelled")
		}
	}
	if used, unused := h.ReadAhead(); used != 0 || unused != 0 {
		t.Errorf("ReadAhead() = %d, %d; want nothing", used, unused)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/example.com/ra/a/@v/v1.0.0.mod", nil))
	if rec.Code != http.StatusOK || running(h) != 0 {
		t.Errorf("after Close: %d, %d read-ahead fetches running", rec.Code, running(h))
	}
}

// TestRealGoWithReadAhead: the real go tool walks an unpruned chain
// through the proxy with read-ahead on, verifying with the checksum
// database: it succeeds, every go.mod below the first is served from
// memory, and none is fetched twice.
func TestRealGoWithReadAhead(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	names := []string{"a", "b", "c", "d", "e"}
	tree := proxytest.MustBuild(chain("1.16", names)...)
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	cache := t.TempDir()
	h := &Handler{}
	lb := startWith(t, good.URL, &goenv.Settings{GOMODCACHE: cache, GOSUMDB: good.GOSUMDB}, 300*time.Millisecond, h)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/main\n\ngo 1.21\n"), 0o666)
	env := proxytest.GoEnv(os.Environ(), good, cache)
	env = append(env, "GOPROXY="+lb.URL, "GOFLAGS=-modcacherw")
	for _, args := range [][]string{
		{"get", "example.com/ra/a@v1.0.0"},
		{"mod", "download", "-json", "all"},
		{"mod", "verify"},
	} {
		cmd := exec.Command(goTool, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, n := range names {
		if c := good.Count(modPath(n)); c != 1 {
			t.Errorf("%s.mod asked of the mirror %d times, want 1", n, c)
		}
	}
	var want int64
	for _, n := range names[1:] {
		want += int64(len(tree.FS[strings.TrimPrefix(modPath(n), "/")].Data))
	}
	if used, unused := h.ReadAhead(); used != want || unused != 0 {
		t.Errorf("ReadAhead() = %d, %d; want %d, 0", used, unused, want)
	}
}

// TestReadAheadSkipsPrunedModules: below a go 1.17 or later go.mod, go
// does not read the requirements' go.mod files while it loads the graph,
// so nothing is read ahead there (it would all be over-fetch).
func TestReadAheadSkipsPrunedModules(t *testing.T) {
	tree := proxytest.MustBuild(chain("1.21", []string{"a", "b", "c"})...)
	good := proxytest.New(t, proxytest.Options{FS: tree.FS})
	h := &Handler{}
	h.Sums = sumsOf(t, tree) // go.sum records them: the read-ahead may fetch them
	lb := startWith(t, good.URL, &goenv.Settings{}, time.Minute, h)
	if code, _ := get(t, lb.URL+modPath("a")); code != http.StatusOK {
		t.Fatalf("a.mod: %d", code)
	}
	h.ahead.await(idle)
	if n := good.Count(modPath("b")); n != 0 {
		t.Errorf("b.mod read ahead below a pruned module (%d requests)", n)
	}
	if used, unused := h.ReadAhead(); used != 0 || unused != 0 {
		t.Errorf("ReadAhead() = %d, %d; want 0, 0", used, unused)
	}
}

// TestReadAheadGraph: with ReadAheadGraph, go being served an unpruned
// go.mod starts the whole walk below it, each go.mod once, as go's graph
// loader walks it (everything below an unpruned module, a pruned
// descendant's requirements too); without it only one level is read.
func TestReadAheadGraph(t *testing.T) {
	mods := chain("1.16", []string{"a", "b", "c", "d", "e"})
	// c is at go 1.21: below an unpruned module go still walks its
	// requirements.
	mods[2].GoMod = strings.Replace(mods[2].GoMod, "go 1.16", "go 1.21", 1)
	tree := proxytest.MustBuild(mods...)
	good := proxytest.New(t, proxytest.Options{FS: tree.FS})
	h := &Handler{ReadAheadGraph: true}
	h.Sums = sumsOf(t, tree) // go.sum records them: the read-ahead may fetch them
	lb := startWith(t, good.URL, &goenv.Settings{}, time.Minute, h)
	if code, _ := get(t, lb.URL+modPath("a")); code != http.StatusOK {
		t.Fatalf("a.mod: %d", code)
	}
	h.ahead.await(idle)
	for _, n := range []string{"b", "c", "d", "e"} {
		if c := good.Count(modPath(n)); c != 1 {
			t.Errorf("%s.mod read ahead %d times, want 1", n, c)
		}
	}
	for _, n := range []string{"b", "c", "d", "e"} {
		if code, _ := get(t, lb.URL+modPath(n)); code != http.StatusOK {
			t.Fatalf("%s.mod: %d", n, code)
		}
		if c := good.Count(modPath(n)); c != 1 {
			t.Errorf("%s.mod asked of the mirror %d times after go's request, want 1", n, c)
		}
	}
}
