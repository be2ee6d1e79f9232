package modproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
	"github.com/gofastdev/gofast/mirrors"
	"github.com/gofastdev/gofast/prefetch"
)

// start serves a Handler over goproxy (walked as written, no race) on
// loopback for the test, and returns its base URL.
func start(t *testing.T, goproxy string, st *goenv.Settings) *Loopback {
	t.Helper()
	return startWith(t, goproxy, st, 300*time.Millisecond, &Handler{})
}

// startWith is start for h (its Fetcher, Settings and SpoolDir filled in),
// with the fetcher's idle timeout idle.
func startWith(t testing.TB, goproxy string, st *goenv.Settings, idle time.Duration, h *Handler) *Loopback {
	t.Helper()
	if st == nil {
		st = &goenv.Settings{}
	}
	st.GOPROXY = goproxy
	if st.GOMODCACHE == "" {
		st.GOMODCACHE = t.TempDir()
	}
	if st.GOSUMDB == "" {
		st.GOSUMDB = "off"
	}
	f, err := prefetch.NewFetcher(prefetch.FetcherOptions{
		Settings:    st,
		IdleTimeout: idle,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Fetcher, h.Settings, h.SpoolDir = f, st, t.TempDir()
	lb, err := Listen(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Close() })
	return lb
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

var mods = []proxytest.Module{
	{Path: "example.com/a", Version: "v1.0.0"},
	{Path: "example.com/a", Version: "v1.1.0"},
	{Path: "example.com/b", Version: "v1.0.0", GoMod: "module example.com/b\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n"},
}

// TestRealGoThroughStalledAndFlakyChain runs the real go tool through the
// proxy standing in for "stalled|flaky": the stalled mirror costs one
// short idle timeout, the flaky one's 500s are retried, and go resolves
// queries, downloads and verifies every file with the checksum database
// through the proxy.
func TestRealGoThroughStalledAndFlakyChain(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	tree := proxytest.MustBuild(mods...)
	stalled := proxytest.New(t, proxytest.Options{Stall: true})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup, ErrorRate: 0.2, Seed: 3})
	cache := t.TempDir()
	lb := start(t, stalled.URL+"|"+good.URL, &goenv.Settings{GOMODCACHE: cache, GOSUMDB: good.GOSUMDB})

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/main\n\ngo 1.21\n"), 0o666)
	env := proxytest.GoEnv(os.Environ(), good, cache)
	env = append(env, "GOPROXY="+lb.URL, "GOFLAGS=-modcacherw")
	for _, args := range [][]string{
		{"get", "example.com/b@v1.0.0"},
		{"get", "example.com/a@latest"},
		{"mod", "verify"},
	} {
		cmd := exec.Command(goTool, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	gomod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	if !strings.Contains(string(gomod), "example.com/a v1.1.0") {
		t.Errorf("go get @latest did not resolve v1.1.0:\n%s", gomod)
	}
	if len(stalled.Requests()) == 0 {
		t.Errorf("the stalled mirror was never asked: the test proves nothing")
	}
	if good.Count("/lookup/example.com/b@v1.0.0") == 0 {
		t.Errorf("checksum database lookups did not go through the proxy to the mirror: %v", good.Requests())
	}
}

// TestNotFoundAndFailure: a file every mirror lacks is 404 (so go's own
// ",direct" applies); a mirror's 503 after retries reaches go as the 503
// go alone would have got; a mirror that stalls is a 502 whose one-line
// body names the module, the mirror and the cause.
func TestNotFoundAndFailure(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	good := proxytest.New(t, proxytest.Options{FS: tree.FS})
	lb := start(t, good.URL, nil)
	if code, body := get(t, lb.URL+"/example.com/missing/@v/list"); code != http.StatusNotFound {
		t.Errorf("missing module: %d %s", code, body)
	}
	if code, body := get(t, lb.URL+"/example.com/a/@v/list"); code != http.StatusOK || !strings.Contains(body, "v1.1.0") {
		t.Errorf("list: %d %q", code, body)
	}

	broken := proxytest.New(t, proxytest.Options{Fault: func(*http.Request) proxytest.Fault {
		return proxytest.Fault{Kind: proxytest.Status, Status: http.StatusServiceUnavailable}
	}})
	lb = start(t, broken.URL, nil)
	if code, body := get(t, lb.URL+"/example.com/a/@v/v1.0.0.info"); code != http.StatusServiceUnavailable {
		t.Errorf("failing mirror: %d %q, want its 503", code, body)
	}
	stalled := proxytest.New(t, proxytest.Options{Stall: true})
	lb = start(t, stalled.URL, nil)
	code, body := get(t, lb.URL+"/example.com/a/@v/v1.0.0.info")
	if code != http.StatusBadGateway || strings.Count(strings.TrimSpace(body), "\n") != 0 ||
		!strings.Contains(body, "example.com/a@v1.0.0") || !strings.Contains(body, stalled.URL) || !strings.Contains(body, "stalled") {
		t.Errorf("stalled mirror: %d %q", code, body)
	}

	// After '|' the next mirror is used; after ',' a failure is final.
	lb = start(t, broken.URL+"|"+good.URL, nil)
	if code, body := get(t, lb.URL+"/example.com/a/@v/v1.0.0.mod"); code != http.StatusOK {
		t.Errorf("broken|good: %d %q", code, body)
	}
	lb = start(t, broken.URL+","+good.URL, nil)
	if code, _ := get(t, lb.URL+"/example.com/a/@v/v1.0.0.mod"); code != http.StatusServiceUnavailable {
		t.Errorf("broken,good: %d, want the 503 as go stops at a ',' after an error", code)
	}
}

// TestWrongBytesGoToTheNextMirror: an HTML page for a go.mod is never
// relayed; the next mirror answers.
func TestWrongBytesGoToTheNextMirror(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	portal := proxytest.New(t, proxytest.Options{Fault: func(*http.Request) proxytest.Fault {
		return proxytest.Fault{Kind: proxytest.Body, Body: []byte("<html><body>log in</body></html>")}
	}})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS})
	lb := start(t, portal.URL+","+good.URL, nil)
	code, body := get(t, lb.URL+"/example.com/b/@v/v1.0.0.mod")
	if code != http.StatusOK || !strings.HasPrefix(body, "module example.com/b") {
		t.Errorf("got %d %q", code, body)
	}
}

// TestPrivatePathsNeverLeave: a GOPRIVATE path is refused, for module
// files and checksum-database lookups alike, and no mirror sees it.
func TestPrivatePathsNeverLeave(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	lb := start(t, good.URL, &goenv.Settings{GOPRIVATE: "private.example.com", GOSUMDB: good.GOSUMDB})
	for _, p := range []string{
		"/private.example.com/x/@v/list",
		"/private.example.com/x/@latest",
		"/private.example.com/x/@v/v1.0.0.zip",
		"/sumdb/sum.test/lookup/private.example.com/x@v1.0.0",
	} {
		if code, _ := get(t, lb.URL+p); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, code)
		}
	}
	for _, r := range good.Requests() {
		if strings.Contains(r, "private.example.com") {
			t.Errorf("mirror received %s", r)
		}
	}
	if code, _ := get(t, lb.URL+"/sumdb/sum.test/supported"); code != http.StatusOK {
		t.Errorf("supported: %d", code)
	}
	if code, _ := get(t, lb.URL+"/sumdb/other.test/supported"); code != http.StatusNotFound {
		t.Errorf("another database's supported: %d, want 404", code)
	}
}

// TestCacheServed: what the module cache holds is served without asking
// any mirror.
func TestCacheServed(t *testing.T) {
	cache := t.TempDir()
	dir := filepath.Join(cache, "cache", "download", "example.com", "a", "@v")
	os.MkdirAll(dir, 0o777)
	os.WriteFile(filepath.Join(dir, "v1.0.0.mod"), []byte("module example.com/a\n"), 0o666)
	mirror := proxytest.New(t, proxytest.Options{})
	lb := start(t, mirror.URL, &goenv.Settings{GOMODCACHE: cache})
	if code, body := get(t, lb.URL+"/example.com/a/@v/v1.0.0.mod"); code != http.StatusOK || body != "module example.com/a\n" {
		t.Errorf("got %d %q", code, body)
	}
	if n := len(mirror.Requests()); n != 0 {
		t.Errorf("mirror asked %d times: %v", n, mirror.Requests())
	}
}

// TestResumeWithRange: a zip whose body breaks off is continued with a
// Range request from where it stopped, not downloaded again.
func TestResumeWithRange(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	zip := tree.FS["example.com/a/@v/v1.0.0.zip"].Data
	var mu sync.Mutex
	var ranges []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, ".zip") {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		first := len(ranges) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Content-Length", itoa(len(zip)))
			w.WriteHeader(http.StatusOK)
			w.Write(zip[:len(zip)/2])
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		http.ServeContent(w, r, "a.zip", time.Time{}, strings.NewReader(string(zip)))
	}))
	defer srv.Close()
	lb := start(t, srv.URL, nil)
	code, body := get(t, lb.URL+"/example.com/a/@v/v1.0.0.zip")
	if code != http.StatusOK || body != string(zip) {
		t.Fatalf("got %d, %d bytes, want %d", code, len(body), len(zip))
	}
	if len(ranges) != 2 || ranges[1] != "bytes="+itoa(len(zip)/2)+"-" {
		t.Errorf("requests' Range headers: %q", ranges)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestGOPROXY: the value go runs with keeps the user's tail and the
// separator before it.
func TestGOPROXY(t *testing.T) {
	for _, tc := range []struct {
		user, want string
		ok         bool
	}{
		{"https://a.example,direct", "L,direct", true},
		{"https://a.example|https://b.example|direct", "L|direct", true},
		{"https://a.example|https://b.example,off", "L,off", true},
		{"https://a.example", "L", true},
		{"https://a.example|https://b.example", "L", true},
		{"direct", "", false},
		{"off", "", false},
		{"direct,https://a.example", "", false},
		// A ',' before the proxies' '|' tail: the loopback is named twice.
		{"https://a.example,https://b.example|direct", "L,L/.tail|direct", true},
		{"https://a.example,https://b.example|https://c.example|off", "L,L/.tail|off", true},
		{"https://a.example,https://b.example,direct", "L,direct", true},
		{"https://a.example,https://b.example|https://c.example", "L", true},
	} {
		list, err := mirrors.ParseList(tc.user)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := GOPROXY("L", list)
		if got != tc.want || ok != tc.ok {
			t.Errorf("GOPROXY(%q) = %q, %v; want %q, %v", tc.user, got, ok, tc.want, tc.ok)
		}
	}
}

// BenchmarkStart measures what starting and stopping the proxy costs a go
// command: the fetcher (HTTP client, no connection yet) and the listener.
func BenchmarkStart(b *testing.B) {
	st := &goenv.Settings{GOPROXY: "https://mirror.invalid", GOMODCACHE: b.TempDir(), GOSUMDB: "off"}
	for b.Loop() {
		f, err := prefetch.NewFetcher(prefetch.FetcherOptions{Settings: st})
		if err != nil {
			b.Fatal(err)
		}
		lb, err := Listen(&Handler{Fetcher: f, Settings: st})
		if err != nil {
			b.Fatal(err)
		}
		lb.Close()
	}
}

// TestExplicitSumDBURL: with GOSUMDB naming the database's URL, go reads
// it there and never through a mirror; the proxy stands in for that URL
// and reads the same one.
func TestExplicitSumDBURL(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	mirror := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	db := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	gosumdb := db.GOSUMDB + " " + db.URL + "/sumdb/sum.test"
	lb := start(t, mirror.URL, &goenv.Settings{GOSUMDB: gosumdb})
	if code, body := get(t, lb.URL+"/sumdb/sum.test/lookup/example.com/a@v1.0.0"); code != http.StatusOK || !strings.Contains(body, "example.com/a v1.0.0") {
		t.Fatalf("lookup: %d %q", code, body)
	}
	if mirror.Count("/lookup/example.com/a@v1.0.0") != 0 || db.Count("/lookup/example.com/a@v1.0.0") != 1 {
		t.Errorf("mirror requests %v, database requests %v", mirror.Requests(), db.Requests())
	}
}

func TestGOSUMDB(t *testing.T) {
	for _, tc := range []struct {
		gosumdb, defaultName, want string
		changed                    bool
	}{
		{"sum.default.test", "sum.default.test", "sum.default.test", false},
		{"off", "sum.default.test", "off", false},
		{"sum.default.test https://db.example/x", "sum.default.test", "sum.default.test L/sumdb/sum.default.test", true},
		{"sum.golang.google.cn", "sum.default.test", "sum.default.test L/sumdb/sum.default.test", true},
	} {
		db, err := goenv.ParseSumDB(tc.gosumdb, tc.defaultName)
		if err != nil {
			t.Fatal(err)
		}
		got, changed := GOSUMDB("L", tc.gosumdb, db)
		if got != tc.want || changed != tc.changed {
			t.Errorf("GOSUMDB(%q) = %q, %v; want %q, %v", tc.gosumdb, got, changed, tc.want, tc.changed)
		}
	}
}

// TestWrongZipChecksumDatabase: a mirror serving a well-formed zip with
// the wrong contents is caught against the checksum database and the next
// mirror answers; go's own lookup for the module is then served from
// memory, so the check costs no extra round trip.
func TestWrongZipChecksumDatabase(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	evil := proxytest.MustBuild(proxytest.Module{Path: "example.com/a", Version: "v1.0.0", Files: map[string]string{"a.go": "package a\n\nvar Evil = 1\n"}})
	liar := proxytest.New(t, proxytest.Options{FS: evil.FS})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	lb := start(t, liar.URL+","+good.URL, &goenv.Settings{GOSUMDB: good.GOSUMDB})
	code, body := get(t, lb.URL+"/example.com/a/@v/v1.0.0.zip")
	if code != http.StatusOK || body != string(tree.FS["example.com/a/@v/v1.0.0.zip"].Data) {
		t.Fatalf("got %d, %d bytes: not the good mirror's zip", code, len(body))
	}
	if liar.Count("/example.com/a/@v/v1.0.0.zip") != 1 {
		t.Errorf("the lying mirror was not asked first: %v", liar.Requests())
	}
	if code, body := get(t, lb.URL+"/sumdb/sum.test/lookup/example.com/a@v1.0.0"); code != http.StatusOK || !strings.Contains(body, "example.com/a v1.0.0 h1:") {
		t.Errorf("lookup: %d %q", code, body)
	}
	if n := good.Count("/lookup/example.com/a@v1.0.0"); n != 1 {
		t.Errorf("the database was asked %d times for the lookup, want 1", n)
	}
}
