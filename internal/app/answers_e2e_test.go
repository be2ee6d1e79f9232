package app

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// loopbackURL matches the loopback proxy's base URL as go prints it (with
// or without a path prefix, or credentials go has redacted).
var loopbackURL = regexp.MustCompile(`http://([^/@\s]+@)?127\.0\.0\.1:[0-9]+(/[0-9a-f]{32})?(/\.tail)?`)

// TestMirrorAnswersAsGo: when the only mirror answers something go judges
// itself (a zip breaking the module zip rules, an @latest that is not
// JSON, a zip whose hash is not the checksum database's) or refuses (403, 404 with a body), gofast's stderr and exit code
// are go alone's: go is handed the mirror's answer and prints its own
// error, "server response:" lines included. The one difference allowed is
// the proxy URL go prints, the mirror's with go alone and the loopback's
// through gofast: both are replaced by $GOPROXY before the comparison.
func TestMirrorAnswersAsGo(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	bin := gofastBinary(t)
	tree := proxytest.MustBuild(
		proxytest.Module{Path: "example.com/badzip", Version: "v1.0.0"},
		proxytest.Module{Path: "example.com/m", Version: "v1.0.0"},
	)
	// cmd/go's mod_load_badzip: a file outside path@version/.
	badzip, err := proxytest.RawZip(
		proxytest.RawFile{Name: "example.com/badzip@v1.0.0/go.mod", Data: []byte("module example.com/badzip\n")},
		proxytest.RawFile{Name: "example.com/badzip@v1.0.0.txt", Data: []byte("not in the module\n")},
	)
	if err != nil {
		t.Fatal(err)
	}
	// A mirror serving other bytes than those the checksum database has
	// for example.com/m@v1.0.0.
	evil := proxytest.MustBuild(proxytest.Module{Path: "example.com/m", Version: "v1.0.0", Files: map[string]string{"m.go": "package m\n\nvar Evil = 1\n"}})
	plain := http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
	base := t.TempDir()
	for _, tc := range []struct {
		name  string
		fault func(*http.Request) proxytest.Fault
		// opts, when set, is the mirror instead of tree with fault.
		opts *proxytest.Options
		args []string
		// go alone's stderr must hold this (else the test is wrong).
		stderr string
	}{
		{"garbage zip", func(r *http.Request) proxytest.Fault {
			if strings.HasSuffix(r.URL.Path, "/badzip/@v/v1.0.0.zip") {
				return proxytest.Fault{Kind: proxytest.Body, Body: badzip}
			}
			return proxytest.Fault{}
		}, nil, []string{"get", "example.com/badzip@v1.0.0"}, "has unexpected file"},
		{"checksum mismatch", nil, &proxytest.Options{FS: evil.FS, SumDB: "sum.test", Lookup: tree.Lookup},
			[]string{"get", "example.com/m@v1.0.0"}, "verifying module: checksum mismatch"},
		{"invalid latest", func(r *http.Request) proxytest.Fault {
			return proxytest.Fault{Kind: proxytest.Body, Body: []byte("invalid\n")}
		}, nil, []string{"list", "-m", "example.com/m@latest"}, "invalid response from proxy"},
		{"403", func(r *http.Request) proxytest.Fault {
			return proxytest.Fault{Kind: proxytest.Status, Status: http.StatusForbidden, Body: []byte("this mirror does not serve you\n"), Header: plain}
		}, nil, []string{"get", "example.com/m@v1.0.0"}, "403 Forbidden\n\tserver response: this mirror does not serve you"},
		{"404 body", func(r *http.Request) proxytest.Fault {
			return proxytest.Fault{Kind: proxytest.Status, Status: http.StatusNotFound, Body: []byte("404 page not found\n"), Header: plain}
		}, nil, []string{"get", "example.com/m@v1.0.0"}, "404 Not Found\n\tserver response: 404 page not found\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := proxytest.Options{FS: tree.FS, Fault: tc.fault}
			if tc.opts != nil {
				opts = *tc.opts
			}
			srv := proxytest.New(t, opts)
			type outcome struct {
				stderr string
				code   int
			}
			runOne := func(name, tool string) outcome {
				dir := filepath.Join(base, tc.name, name)
				work := filepath.Join(dir, "work")
				cache := filepath.Join(dir, "modcache")
				os.MkdirAll(work, 0o777)
				os.MkdirAll(cache, 0o777)
				t.Cleanup(func() { modcache.RemoveAll(cache) })
				os.WriteFile(filepath.Join(work, "go.mod"), []byte("module example.com/main\n\ngo 1.21\n"), 0o666)
				cmd := exec.Command(tool, tc.args...)
				cmd.Dir = work
				cmd.Env = append(proxytest.GoEnv(os.Environ(), srv, cache),
					"XDG_CACHE_HOME="+filepath.Join(dir, "xdg"), "GOFAST_TTL=0", "GOCACHE="+goCache(t))
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				err := cmd.Run()
				o := outcome{stderr: stderr.String()}
				if ee, ok := err.(*exec.ExitError); ok {
					o.code = ee.ExitCode()
				} else if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				o.stderr = strings.ReplaceAll(o.stderr, cache, "$GOMODCACHE")
				return o
			}
			g := runOne("go", goTool)
			g.stderr = strings.ReplaceAll(g.stderr, srv.URL, "$GOPROXY")
			if g.code == 0 || !strings.Contains(g.stderr, tc.stderr) {
				t.Fatalf("go alone: exit %d, stderr lacks %q (a bug of the test): %s", g.code, tc.stderr, g.stderr)
			}
			f := runOne("gofast", bin)
			f.stderr = loopbackURL.ReplaceAllString(f.stderr, "$$GOPROXY")
			if f.code != g.code {
				t.Errorf("exit %d, go alone %d", f.code, g.code)
			}
			if f.stderr != g.stderr {
				t.Errorf("stderr differs\ngo:     %q\ngofast: %q", g.stderr, f.stderr)
			}
		})
	}
}

// TestStopBeforeTail: with GOPROXY "A,B|direct", a 403 from A stops go's
// walk (',' falls through on 404 and 410 only), so go alone reports A's
// 403 and never fetches direct. gofast's GOPROXY must say the same,
// though its loopback stands in for A and B before a '|' tail: it names
// the loopback twice (modproxy.NeedsTailEntry). A direct fetch would go
// through HTTPS_PROXY, a loopback proxy here that records it and refuses.
// With "A,B|off", A answering 404 and B 500, go's walk goes on past '|'
// (and reports B's 500), through gofast too.
func TestStopBeforeTail(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	bin := gofastBinary(t)
	tree := proxytest.MustBuild(proxytest.Module{Path: "example.com/m", Version: "v1.0.0"})
	plain := http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
	// Only the module's files fail: a mirror failing the mirror race's
	// probe too would be left out of the chain, and go told less.
	status := func(code int) func(*http.Request) proxytest.Fault {
		return func(r *http.Request) proxytest.Fault {
			if !strings.HasPrefix(r.URL.Path, "/example.com/") {
				return proxytest.Fault{}
			}
			return proxytest.Fault{Kind: proxytest.Status, Status: code, Body: []byte("no\n"), Header: plain}
		}
	}
	base := t.TempDir()
	for _, tc := range []struct {
		name   string
		a, b   func(*http.Request) proxytest.Fault
		tail   string
		stderr string // go alone's stderr must hold this
	}{
		{"403 stops", status(http.StatusForbidden), nil, "direct", "403 Forbidden"},
		{"404 then 500 go on", status(http.StatusNotFound), status(http.StatusInternalServerError), "off", "500 Internal Server Error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: tc.a})
			b := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: tc.b})
			var mu sync.Mutex
			var direct []string
			httpsProxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				direct = append(direct, r.Method+" "+r.Host)
				mu.Unlock()
				http.Error(w, "no", http.StatusForbidden)
			}))
			defer httpsProxy.Close()
			run := func(name, tool string) (string, int) {
				dir := filepath.Join(base, tc.name, name)
				work, cache := filepath.Join(dir, "work"), filepath.Join(dir, "modcache")
				os.MkdirAll(work, 0o777)
				os.MkdirAll(cache, 0o777)
				t.Cleanup(func() { modcache.RemoveAll(cache) })
				os.WriteFile(filepath.Join(work, "go.mod"), []byte("module example.com/main\n\ngo 1.21\n"), 0o666)
				cmd := exec.Command(tool, "get", "example.com/m@v1.0.0")
				cmd.Dir = work
				cmd.Env = append(proxytest.GoEnv(os.Environ(), nil, cache), "GOPROXY="+a.URL+","+b.URL+"|"+tc.tail, "HTTPS_PROXY="+httpsProxy.URL,
					"XDG_CACHE_HOME="+filepath.Join(dir, "xdg"), "GOFAST_TTL=0", "GOCACHE="+goCache(t))
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				code := 0
				if err := cmd.Run(); err != nil {
					ee, ok := err.(*exec.ExitError)
					if !ok {
						t.Fatalf("%s: %v", name, err)
					}
					code = ee.ExitCode()
				}
				return stderr.String(), code
			}
			g, gcode := run("go", goTool)
			g = strings.ReplaceAll(strings.ReplaceAll(g, a.URL, "$GOPROXY"), b.URL, "$GOPROXY")
			if gcode == 0 || !strings.Contains(g, tc.stderr) {
				t.Fatalf("go alone: exit %d, stderr lacks %q (a bug of the test): %s", gcode, tc.stderr, g)
			}
			mu.Lock()
			if len(direct) > 0 {
				t.Fatalf("go alone fetched direct (a bug of the test): %v", direct)
			}
			mu.Unlock()
			f, fcode := run("gofast", bin)
			f = loopbackURL.ReplaceAllString(f, "$$GOPROXY")
			if fcode != gcode || f != g {
				t.Errorf("exit %d, stderr %q; go alone: exit %d, %q", fcode, f, gcode, g)
			}
			mu.Lock()
			if len(direct) > 0 {
				t.Errorf("through gofast, go fetched direct, which go alone does not: %v", direct)
			}
			mu.Unlock()
		})
	}
}
