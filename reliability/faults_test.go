//go:build linux

package reliability_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
	"github.com/gofastdev/gofast/internal/toolchain"
	"golang.org/x/mod/module"
)

// faultMods are the modules of the fault tests: a module with a nested
// package, a major-version module requiring another, and a path that
// needs case escaping.
var faultMods = []proxytest.Module{
	{Path: "example.com/alpha", Version: "v1.0.0", Files: map[string]string{
		"alpha.go":              "package alpha\n\nconst A = 1\n",
		"internal/deep/deep.go": "package deep\n",
		"LICENSE":               strings.Repeat("Permission is hereby granted, free of charge. ", 400),
	}},
	{Path: "example.com/beta/v2", Version: "v2.1.0", GoMod: "module example.com/beta/v2\n\ngo 1.21\n\nrequire example.com/gamma v0.3.0\n"},
	{Path: "example.com/gamma", Version: "v0.3.0"},
	{Path: "example.com/Caps", Version: "v0.1.0"},
}

// evilMods serve other, well-formed content for the same versions: what
// a compromised or confused mirror sends.
var evilMods = func() []proxytest.Module {
	out := append([]proxytest.Module(nil), faultMods...)
	out[0].Files = map[string]string{"alpha.go": "package alpha\n\nconst A = 666\n"}
	out[1].GoMod += "// tampered\n"
	out[2].Files = map[string]string{"gamma.go": "package gamma\n\nfunc init() { panic(\"owned\") }\n"}
	out[3].GoMod = "module example.com/Caps\n\ngo 1.21\n"
	return out
}()

// faultTimeout bounds every run of the fault tests. gofast's own bounds
// are 30s without progress per request and a few seconds of retries: a
// run that needs more than this has hung.
const faultTimeout = 100 * time.Second

// moduleFile reports whether r asks for a file of the project's modules
// (example.com/..., and the fake golang.org/toolchain) with one of the
// extensions (all of them when none is given); the
// neutral module gofast probes mirrors with is never matched.
func moduleFile(r *http.Request, exts ...string) bool {
	if !strings.HasPrefix(r.URL.Path, "/example.com/") && !strings.HasPrefix(r.URL.Path, "/"+toolchain.Module+"/") {
		return false
	}
	if len(exts) == 0 {
		return true
	}
	for _, e := range exts {
		if strings.HasSuffix(r.URL.Path, e) {
			return true
		}
	}
	return false
}

type faultFunc = func(*http.Request) proxytest.Fault

// always applies f to every request for the project's files with exts.
func always(f proxytest.Fault, exts ...string) faultFunc {
	return func(r *http.Request) proxytest.Fault {
		if moduleFile(r, exts...) {
			return f
		}
		return proxytest.Fault{}
	}
}

// sequence answers the k-th request for each matching path with
// faults[k], and serves normally once they are used up: a burst.
func sequence(faults []proxytest.Fault, exts ...string) faultFunc {
	var mu sync.Mutex
	seen := map[string]int{}
	return func(r *http.Request) proxytest.Fault {
		if !moduleFile(r, exts...) {
			return proxytest.Fault{}
		}
		mu.Lock()
		k := seen[r.URL.Path]
		seen[r.URL.Path]++
		mu.Unlock()
		if k < len(faults) {
			return faults[k]
		}
		return proxytest.Fault{}
	}
}

// body answers each matching request with 200 and the bytes data returns
// for its path (nil: serve normally).
func body(data func(path string) []byte, exts ...string) faultFunc {
	return func(r *http.Request) proxytest.Fault {
		if !moduleFile(r, exts...) {
			return proxytest.Fault{}
		}
		if b := data(strings.TrimPrefix(r.URL.Path, "/")); b != nil {
			return proxytest.Fault{Kind: proxytest.Body, Body: b}
		}
		return proxytest.Fault{}
	}
}

// requestTimes records when each path was requested, to check waits.
type requestTimes struct {
	mu    sync.Mutex
	times map[string][]time.Time
}

func (rt *requestTimes) wrap(f faultFunc) faultFunc {
	return func(r *http.Request) proxytest.Fault {
		rt.mu.Lock()
		if rt.times == nil {
			rt.times = map[string][]time.Time{}
		}
		rt.times[r.URL.Path] = append(rt.times[r.URL.Path], time.Now())
		rt.mu.Unlock()
		return f(r)
	}
}

// gaps returns, for every path asked more than once, the time between
// its first two requests.
func (rt *requestTimes) gaps() map[string]time.Duration {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := map[string]time.Duration{}
	for p, ts := range rt.times {
		if len(ts) > 1 {
			out[p] = ts[1].Sub(ts[0])
		}
	}
	return out
}

// faulty is the faulty mirror of one run.
type faulty struct {
	// opts are the server options; FS defaults to the good tree plus the
	// probe module (so that the faulty mirror ranks first in a race).
	opts proxytest.Options
	// env is added to the run's environment (SSL_CERT_FILE).
	env []string
	// after checks the run's effect on the mirror.
	after func(t *testing.T, srv *proxytest.Server)
	// unreachable: the mirror never sees a request (TLS fails first).
	unreachable bool
}

// faultCase is one misbehaviour of a mirror and what gofast must do.
type faultCase struct {
	name  string
	setup func(t *testing.T, w *world, run string) faulty
	// transient: gofast alone gets through with retries.
	transient bool
	// wrongBytes: the mirror answers with bytes that are not the file;
	// gofast moves to the next mirror whatever the GOPROXY separator.
	wrongBytes bool
	// slow: the case costs an idle timeout or a capped Retry-After.
	slow bool
	// goHangs: go alone never finishes against this mirror (it waits
	// forever, or reads forever): gofast must not hand over to it.
	goHangs bool
	// want is in gofast's failure line when no mirror has a good copy.
	want string
	// onlyMirrorLies: every answer of this mirror fails verification, so
	// when it is the only one the module must fail (exit 1), never be
	// left to go.
	onlyMirrorLies bool
	// probeFails: the fault also answers the race's probe, so a chain
	// that may skip the mirror ('|', GOFAST_MIRRORS) leaves it out and
	// it is never asked for a module file.
	probeFails bool
}

func simple(f func() faultFunc) func(*testing.T, *world, string) faulty {
	return func(*testing.T, *world, string) faulty { return faulty{opts: proxytest.Options{Fault: f()}} }
}

var (
	bombsMu sync.Mutex
	bombs   = map[string][]byte{}
)

// bomb returns (building once) a zip for the module file path zipPath
// holding size bytes of zeros declared as declared bytes.
func bomb(t *testing.T, zipPath string, size, declared int64) []byte {
	bombsMu.Lock()
	defer bombsMu.Unlock()
	key := zipPath + " " + time.Duration(size).String() + " " + time.Duration(declared).String()
	if b, ok := bombs[key]; ok {
		return b
	}
	m := moduleOfZip(t, zipPath)
	b, err := proxytest.ZipBomb(m+"/zeros.txt", size, declared)
	if err != nil {
		t.Fatal(err)
	}
	bombs[key] = b
	return b
}

// moduleOfZip turns "<escaped path>/@v/<escaped version>.zip" into the
// "path@version" prefix of the zip's entries.
func moduleOfZip(t *testing.T, zipPath string) string {
	for _, m := range faultMods {
		ep, _ := module.EscapePath(m.Path)
		ev, _ := module.EscapeVersion(m.Version)
		if zipPath == ep+"/@v/"+ev+".zip" {
			return m.Path + "@" + m.Version
		}
	}
	t.Fatalf("no module for %s", zipPath)
	return ""
}

// rawZip returns the module's good files plus extra, with the first good
// file's declared size replaced by lie when lie is not zero.
func rawZip(t *testing.T, zipPath string, lie uint64, extra ...proxytest.RawFile) []byte {
	prefix := moduleOfZip(t, zipPath)
	files := []proxytest.RawFile{{Name: prefix + "/go.mod", Data: []byte("module " + strings.Split(prefix, "@")[0] + "\n"), DeclaredSize: lie}}
	files = append(files, proxytest.RawFile{Name: prefix + "/LICENSE", Data: []byte(strings.Repeat("x", 4096))})
	files = append(files, extra...)
	b, err := proxytest.RawZip(files...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func faultCases() []faultCase {
	status := func(code int, header ...string) proxytest.Fault {
		f := proxytest.Fault{Kind: proxytest.Status, Status: code, Body: []byte(http.StatusText(code))}
		if len(header) == 2 {
			f.Header = http.Header{header[0]: {header[1]}}
		}
		return f
	}
	portal := []byte("<!DOCTYPE html>\n<html><head><title>Sign in to Hotel WiFi</title></head><body><form action=/login>...</form></body></html>\n")
	return []faultCase{
		{name: "stall before headers", slow: true, goHangs: true, want: "stalled",
			setup: simple(func() faultFunc { return always(proxytest.Fault{Kind: proxytest.StallHeaders}, ".zip") })},
		{name: "stall mid-body", slow: true, goHangs: true, want: "stalled",
			setup: simple(func() faultFunc { return always(proxytest.Fault{Kind: proxytest.StallBody, After: 100}, ".zip") })},
		{name: "trickle, one byte a second", slow: true, goHangs: true, want: "stalled",
			setup: simple(func() faultFunc {
				return always(proxytest.Fault{Kind: proxytest.Trickle, After: 10, Every: time.Second}, ".zip")
			})},
		{name: "reset mid-body", want: "zip",
			setup: simple(func() faultFunc { return always(proxytest.Fault{Kind: proxytest.Reset, After: 100}, ".zip") })},
		{name: "reset mid-body once", transient: true,
			setup: simple(func() faultFunc {
				return sequence([]proxytest.Fault{{Kind: proxytest.Reset, After: 100}}, ".zip", ".mod", ".info")
			})},
		{name: "body shorter than Content-Length", want: "EOF",
			setup: simple(func() faultFunc { return always(proxytest.Fault{Kind: proxytest.Short, After: 100}, ".zip") })},
		{name: "body shorter than Content-Length once", transient: true,
			setup: simple(func() faultFunc {
				return sequence([]proxytest.Fault{{Kind: proxytest.Short, After: 100}}, ".zip", ".mod", ".info")
			})},
		{name: "connection closed before headers", want: "EOF",
			setup: simple(func() faultFunc { return always(proxytest.Fault{Kind: proxytest.Drop}, ".zip") })},
		{name: "429 with Retry-After honoured", transient: true,
			setup: func(t *testing.T, w *world, run string) faulty {
				rt := &requestTimes{}
				return faulty{
					opts: proxytest.Options{Fault: rt.wrap(sequence([]proxytest.Fault{status(429, "Retry-After", "2")}, ".zip", ".mod", ".info"))},
					after: func(t *testing.T, srv *proxytest.Server) {
						for p, gap := range rt.gaps() {
							if moduleFile(&http.Request{URL: mustURL(p)}) && gap < 1900*time.Millisecond {
								t.Errorf("%s asked again %v after a 429 with Retry-After: 2", p, gap)
							}
						}
					},
				}
			}},
		{name: "429 with Retry-After capped", transient: true, slow: true,
			setup: func(t *testing.T, w *world, run string) faulty {
				rt := &requestTimes{}
				return faulty{
					opts: proxytest.Options{Fault: rt.wrap(sequence([]proxytest.Fault{status(429, "Retry-After", "3600")}, ".zip"))},
					after: func(t *testing.T, srv *proxytest.Server) {
						for p, gap := range rt.gaps() {
							if moduleFile(&http.Request{URL: mustURL(p)}) && gap > 20*time.Second {
								t.Errorf("%s asked again %v after a 429 with Retry-After: 3600; want the cap (10s)", p, gap)
							}
						}
					},
				}
			}},
		{name: "429 always", want: "429",
			setup: simple(func() faultFunc { return always(status(429, "Retry-After", "1"), ".zip") })},
		{name: "burst of 500 502 503", transient: true,
			setup: simple(func() faultFunc {
				return sequence([]proxytest.Fault{status(500), status(502), status(503)}, ".zip", ".mod", ".info")
			})},
		{name: "503 always", want: "503",
			setup: simple(func() faultFunc { return always(status(503), ".zip") })},
		{name: "captive portal HTML for module files", wrongBytes: true, want: "HTML",
			setup: simple(func() faultFunc {
				return always(proxytest.Fault{Kind: proxytest.Body, Body: portal, Header: http.Header{"Content-Type": {"text/html"}}})
			})},
		{name: "captive portal HTML for everything", wrongBytes: true, want: "HTML", probeFails: true,
			setup: simple(func() faultFunc {
				return func(*http.Request) proxytest.Fault {
					return proxytest.Fault{Kind: proxytest.Body, Body: portal, Header: http.Header{"Content-Type": {"text/html"}}}
				}
			})},
		// go reads .mod and .info answers without a size limit: against
		// an endless one it reads until memory runs out.
		{name: "endless go.mod", wrongBytes: true, goHangs: true, want: "larger than",
			setup: simple(func() faultFunc { return always(proxytest.Fault{Kind: proxytest.Endless}, ".mod") })},
		{name: "endless .info", wrongBytes: true, goHangs: true, want: "larger than",
			setup: simple(func() faultFunc { return always(proxytest.Fault{Kind: proxytest.Endless}, ".info") })},
		{name: "gigantic zip", wrongBytes: true, want: "larger than",
			setup: simple(func() faultFunc {
				return func(r *http.Request) proxytest.Fault {
					if moduleFile(r, "/alpha/@v/v1.0.0.zip") {
						return proxytest.Fault{Kind: proxytest.Endless, Length: 8 << 30}
					}
					return proxytest.Fault{}
				}
			})},
		{name: "redirect loop", want: "redirect",
			setup: simple(func() faultFunc {
				return func(r *http.Request) proxytest.Fault {
					if moduleFile(r, ".zip") {
						return proxytest.Fault{Kind: proxytest.Redirect, Location: r.URL.Path}
					}
					return proxytest.Fault{}
				}
			})},
		{name: "redirect from https to http", want: "redirect",
			setup: func(t *testing.T, w *world, run string) faulty {
				target := proxytest.New(t, proxytest.Options{FS: w.tree.FS})
				return faulty{
					opts: proxytest.Options{TLS: true, Fault: func(r *http.Request) proxytest.Fault {
						if moduleFile(r, ".zip") {
							return proxytest.Fault{Kind: proxytest.Redirect, Location: target.URL + r.URL.Path}
						}
						return proxytest.Fault{}
					}},
					after: func(t *testing.T, srv *proxytest.Server) {
						if n := len(target.Requests()); n > 0 {
							t.Errorf("followed a redirect from https to plain http (%d requests)", n)
						}
					},
				}
			}},
		{name: "bad TLS certificate", want: "certificate",
			setup: func(t *testing.T, w *world, run string) faulty {
				cert, err := proxytest.SelfSignedCertificate()
				if err != nil {
					t.Fatal(err)
				}
				return faulty{opts: proxytest.Options{TLS: true, Certificate: cert}, unreachable: true}
			}},
		{name: "wrong bytes for zip", wrongBytes: true, onlyMirrorLies: true, want: "checksum mismatch",
			setup: func(t *testing.T, w *world, run string) faulty {
				evil := proxytest.MustBuild(evilMods...)
				return faulty{opts: proxytest.Options{Fault: body(func(p string) []byte { return evil.FS[p].Data }, ".zip")}}
			}},
		{name: "wrong bytes for go.mod", wrongBytes: true, want: "checksum mismatch", onlyMirrorLies: true,
			setup: func(t *testing.T, w *world, run string) faulty {
				evil := proxytest.MustBuild(evilMods...)
				return faulty{opts: proxytest.Options{Fault: body(func(p string) []byte { return evil.FS[p].Data }, ".mod")}}
			}},
		{name: "wrong go.mod adding a requirement", wrongBytes: true, want: "checksum mismatch", onlyMirrorLies: true,
			setup: func(t *testing.T, w *world, run string) faulty {
				return faulty{opts: proxytest.Options{Fault: func(r *http.Request) proxytest.Fault {
					if moduleFile(r, "/beta/v2/@v/v2.1.0.mod") {
						return proxytest.Fault{Kind: proxytest.Body, Body: []byte("module example.com/beta/v2\n\ngo 1.21\n\nrequire (\n\texample.com/gamma v0.3.0\n\texample.com/evil v1.0.0\n)\n")}
					}
					return proxytest.Fault{}
				}}}
			}},
		{name: "garbage zip", wrongBytes: true, want: "not a valid module zip",
			setup: simple(func() faultFunc {
				return always(proxytest.Fault{Kind: proxytest.Body, Body: []byte("PK\x03\x04 this is not a zip archive at all")}, ".zip")
			})},
		{name: "zip with ../ paths", wrongBytes: true, want: "not a valid module zip",
			setup: func(t *testing.T, w *world, run string) faulty {
				return faulty{opts: proxytest.Options{Fault: body(func(p string) []byte {
					prefix := moduleOfZip(t, p)
					return rawZip(t, p, 0, proxytest.RawFile{Name: prefix + "/../../../../escaped.txt", Data: []byte("zip slip")})
				}, ".zip")}}
			}},
		{name: "zip bomb declaring 600 MB", wrongBytes: true, want: "not a valid module zip",
			setup: func(t *testing.T, w *world, run string) faulty {
				return faulty{opts: proxytest.Options{Fault: body(func(p string) []byte { return bomb(t, p, 600<<20, 600<<20) }, ".zip")}}
			}},
		{name: "zip bomb hiding its size", wrongBytes: true, onlyMirrorLies: true, want: "zip",
			setup: func(t *testing.T, w *world, run string) faulty {
				return faulty{opts: proxytest.Options{Fault: body(func(p string) []byte { return bomb(t, p, 600<<20, 1<<20) }, ".zip")}}
			}},
		{name: "zip whose sizes lie", wrongBytes: true, onlyMirrorLies: true, want: "zip",
			setup: func(t *testing.T, w *world, run string) faulty {
				return faulty{opts: proxytest.Options{Fault: body(func(p string) []byte { return rawZip(t, p, 3) }, ".zip")}}
			}},
		{name: "info naming another version", wrongBytes: true, want: "v9.9.9",
			setup: simple(func() faultFunc {
				return always(proxytest.Fault{Kind: proxytest.Body, Body: []byte(`{"Version":"v9.9.9","Time":"2024-01-02T03:04:05Z"}`)}, ".info")
			})},
	}
}

// variant is one way of putting the faulty mirror in front of gofast.
type variant struct {
	name string
	// env builds the run's settings from the faulty and good URLs.
	env  func(faulty, good string) []string
	args []string
	// good: a good copy is reachable through the chain as configured.
	good bool
	// comma: the faulty mirror is followed by ',' (only 404/410 and wrong
	// bytes move on).
	comma bool
}

var variants = []variant{
	{name: "mod download, GOPROXY=faulty|good", good: true, args: []string{"mod", "download"},
		env: func(f, g string) []string { return []string{"GOPROXY=" + f + "|" + g} }},
	{name: "prefetch, GOFAST_MIRRORS=faulty,good", good: true, args: []string{"prefetch"},
		env: func(f, g string) []string { return []string{"GOPROXY=" + g, "GOFAST_MIRRORS=" + f + "," + g} }},
	{name: "prefetch, GOPROXY=faulty,good", good: true, comma: true, args: []string{"prefetch"},
		env: func(f, g string) []string { return []string{"GOPROXY=" + f + "," + g} }},
	{name: "prefetch, GOPROXY=faulty", args: []string{"prefetch"},
		env: func(f, g string) []string { return []string{"GOPROXY=" + f} }},
	{name: "mod download, GOPROXY=faulty", args: []string{"mod", "download"},
		env: func(f, g string) []string { return []string{"GOPROXY=" + f} }},
}

// TestFaultyMirrors drives cold `gofast mod download` and `gofast
// prefetch` through every fault, with and without a good mirror behind
// the faulty one. Cases that wait out an idle timeout run all at once;
// the others a few at a time.
func TestFaultyMirrors(t *testing.T) {
	w := newWorld(t, faultMods, proxytest.Options{})
	gofastBin(t)
	var wg sync.WaitGroup
	fast := make(chan struct{}, 3)
	for _, c := range faultCases() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(c.name, func(t *testing.T) {
				var vwg sync.WaitGroup
				for _, v := range variants {
					vwg.Add(1)
					go func() {
						defer vwg.Done()
						if !c.slow {
							fast <- struct{}{}
							defer func() { <-fast }()
						}
						t.Run(v.name, func(t *testing.T) { runFault(t, w, c, v) })
					}()
				}
				vwg.Wait()
			})
		}()
	}
	wg.Wait()
}

// startFaulty starts the case's faulty mirror for one run.
func startFaulty(t *testing.T, w *world, c faultCase, run string) (*proxytest.Server, faulty) {
	f := c.setup(t, w, run)
	if f.opts.FS == nil {
		f.opts.FS = withProbe(w.tree.FS)
	}
	srv := proxytest.New(t, f.opts)
	if f.opts.TLS && f.opts.Certificate == nil {
		pem := filepath.Join(run, "trusted.pem")
		if err := os.WriteFile(pem, srv.CertificatePEM(), 0o666); err != nil {
			t.Fatal(err)
		}
		f.env = append(f.env, "SSL_CERT_FILE="+pem)
	}
	return srv, f
}

func runFault(t *testing.T, w *world, c faultCase, v variant) {
	run := w.scratch(c.name + "-" + v.name)
	srv, f := startFaulty(t, w, c, run)
	env := w.env(run, append(v.env(srv.URL, w.good.URL), f.env...)...)
	r := w.gofast(faultTimeout, env, v.args...)
	requireFinished(t, r)
	checkNoCrash(t, r)
	if f.after != nil {
		f.after(t, srv)
	}
	skippable := c.probeFails && v.good && !v.comma
	if !f.unreachable && !skippable && countModuleRequests(srv) == 0 {
		t.Errorf("the faulty mirror was never asked for a module file: the fault was not exercised\n%s", r)
	}
	succeed := c.transient || v.good && (!v.comma || c.wrongBytes)
	if succeed || v.args[0] == "prefetch" || c.goHangs {
		w.checkCache(t, cacheOf(run))
	}
	if succeed {
		if r.code != 0 {
			t.Fatalf("want success (retries or the next mirror), got:\n%s", r)
		}
		w.verify(t, run)
		return
	}
	line := failureLine(r, srv.URL, c.want)
	if line == "" {
		t.Errorf("no gofast line naming module@version, the mirror %s and %q:\n%s", hostOf(srv.URL), c.want, r)
	}
	if v.args[0] == "prefetch" || c.goHangs {
		// gofast decides alone: 1 for a failure. Where go would hang,
		// gofast must not hand over to it.
		if r.code != 1 {
			t.Errorf("exit %d, want 1\n%s", r.code, r)
		}
		return
	}
	// go ran: its exit code is the one that counts. Compare with go alone
	// against the same misbehaviour.
	goRun := w.scratch(c.name + "-go-alone")
	goSrv, gf := startFaulty(t, w, c, goRun)
	alone := w.goCmd(faultTimeout, w.env(goRun, append(v.env(goSrv.URL, w.good.URL), gf.env...)...), v.args...)
	requireFinished(t, alone)
	// go itself leaves a temporary zip behind when a checksum does not
	// match (it exits before its clean-up runs): gofast may leave what go
	// leaves, nothing more.
	var goLeft []string
	for _, p := range leftovers(cacheOf(goRun)) {
		goLeft = append(goLeft, leftoverKind(p))
	}
	if len(goLeft) > 0 {
		t.Logf("go alone left %q", goLeft)
	}
	w.checkCache(t, cacheOf(run), goLeft...)
	if r.code != alone.code || r.code == 0 {
		t.Errorf("gofast exit %d, go alone exit %d\n%s\ngo alone: %s", r.code, alone.code, r, alone)
	}
}

// failureLine returns the first gofast line that names a module version,
// the mirror and want, or "".
func failureLine(r *result, mirror, want string) string {
	for _, l := range gofastLines(r.stderr) {
		if !strings.Contains(l, hostOf(mirror)) || !strings.Contains(strings.ToLower(l), strings.ToLower(want)) {
			continue
		}
		for _, m := range faultMods {
			if strings.Contains(l, m.Path+"@"+m.Version) {
				return l
			}
		}
	}
	return ""
}

func mustURL(p string) *url.URL {
	u, err := url.Parse(p)
	if err != nil {
		panic(err)
	}
	return u
}

func countModuleRequests(srv *proxytest.Server) int {
	n := 0
	for _, p := range srv.Requests() {
		if strings.HasPrefix(p, "/example.com/") {
			n++
		}
	}
	return n
}

// TestManyFailuresStayReadable fails every zip of a 40-module graph and
// checks that `gofast prefetch` still explains itself in a screenful: the
// first failures, then a count, not one line per module.
func TestManyFailuresStayReadable(t *testing.T) {
	w := newWorld(t, bigGraph(40), proxytest.Options{})
	bad := proxytest.New(t, proxytest.Options{FS: w.tree.FS, Fault: always(proxytest.Fault{Kind: proxytest.Status, Status: 403, Body: []byte("forbidden")}, ".zip")})
	run := w.scratch("many-failures")
	r := w.gofast(faultTimeout, w.env(run, "GOPROXY="+bad.URL), "prefetch")
	requireFinished(t, r)
	checkNoCrash(t, r)
	lines := gofastLines(r.stderr)
	if r.code != 1 || len(lines) > 12 || !strings.Contains(r.stderr, "more") {
		t.Errorf("exit %d with %d gofast lines, want 1 and a screenful ending in a count\n%s", r.code, len(lines), r)
	}
	w.checkCache(t, cacheOf(run))
}
