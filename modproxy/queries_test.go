package modproxy

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// infoFile is an .info answer naming version.
func infoFile(version string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(`{"Version":"` + version + `","Time":"2024-01-02T03:04:05Z"}`)}
}

// infoVersion returns the Version an .info answer names.
func infoVersion(t *testing.T, body string) string {
	t.Helper()
	var info struct{ Version string }
	if err := json.Unmarshal([]byte(body), &info); err != nil {
		t.Fatalf("not an .info: %q", body)
	}
	return info.Version
}

// TestInfoQueries: go sends a branch, a commit hash or a version with
// +meta as <query>.info, and the mirror answers with the version it
// resolves to, which go then asks for: the proxy serves such answers (go
// alone accepts them), reads ahead the resolved version's zip and never
// the query's, and sends the mirror the query escaped as go escapes it.
func TestInfoQueries(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	tree.FS["example.com/a/@v/master.info"] = infoFile("v1.1.0")
	tree.FS["example.com/a/@v/0123456789ab.info"] = infoFile("v1.0.0")
	tree.FS["example.com/a/@v/!feature.info"] = infoFile("v1.0.0")
	tree.FS["example.com/a/@v/v1.1.0+meta.info"] = infoFile("v1.1.0")
	tree.FS["example.com/a/@v/x#y.info"] = infoFile("v1.0.0")
	tree.FS["example.com/a/@v/x%y.info"] = infoFile("v1.0.0")
	// v2.0.0 of a path without /v2 is no version of it, so go accepts
	// whatever the mirror resolves it to: here the +incompatible one.
	tree.FS["example.com/a/@v/v2.0.0.info"] = infoFile("v2.0.0+incompatible")
	good := proxytest.New(t, proxytest.Options{FS: tree.FS})
	h := &Handler{ReadAheadZips: true}
	// A checksum database go would consult: only then is a zip go.sum
	// does not record worth reading ahead (it is verified when go asks).
	lb := startWith(t, good.URL, &goenv.Settings{GOSUMDB: unaskedSumDB(t)}, 300*time.Millisecond, h)
	for _, tc := range []struct{ query, want string }{
		{"master", "v1.1.0"},
		{"0123456789ab", "v1.0.0"},
		{"!feature", "v1.0.0"},
		{"v1.1.0+meta", "v1.1.0"},
		{"x%23y", "v1.0.0"},
		{"x%25y", "v1.0.0"},
		{"v2.0.0", "v2.0.0+incompatible"},
	} {
		code, body := get(t, lb.URL+"/example.com/a/@v/"+tc.query+".info")
		if code != http.StatusOK || infoVersion(t, body) != tc.want {
			t.Errorf("%s.info: %d %q, want 200 naming %s", tc.query, code, body, tc.want)
		}
	}
	h.zips.running.Wait()
	reqs := good.Requests()
	for _, want := range []string{"/example.com/a/@v/!feature.info", "/example.com/a/@v/x#y.info", "/example.com/a/@v/x%y.info",
		"/example.com/a/@v/v1.1.0.zip", "/example.com/a/@v/v1.0.0.zip", "/example.com/a/@v/v2.0.0+incompatible.zip"} {
		if !slices.Contains(reqs, want) {
			t.Errorf("the mirror was not asked for %s: %v", want, reqs)
		}
	}
	for _, r := range reqs {
		if (strings.HasSuffix(r, ".zip") || strings.HasSuffix(r, ".mod")) &&
			!strings.Contains(r, "/v1.1.0.") && !strings.Contains(r, "/v1.0.0.") && !strings.Contains(r, "/v2.0.0+incompatible.") {
			t.Errorf("read ahead a version go never asks for: %s", r)
		}
	}
}

// TestInfoNamingNoVersionRejected: an .info answer go cannot use (another
// version than the canonical one asked for; for a query, a version that is
// not valid and canonical, which go fails on) is wrong bytes: the next
// mirror's answer is served, and with no other mirror go is given the
// answer unchanged, to fail on it in its own words; nothing is read ahead
// for it.
func TestInfoNamingNoVersionRejected(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	tree.FS["example.com/a/@v/master.info"] = infoFile("v1.1.0")
	lying := proxytest.MustBuild(mods...)
	lying.FS["example.com/a/@v/v1.0.0.info"] = infoFile("v1.1.0")
	lying.FS["example.com/a/@v/master.info"] = infoFile("v1.1")
	lying.FS["example.com/a/@v/junk.info"] = infoFile("junk")
	lying.FS["example.com/a/@v/meta.info"] = infoFile("v1.1.0+meta")
	bad := proxytest.New(t, proxytest.Options{FS: lying.FS})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS})

	lb := start(t, bad.URL+","+good.URL, nil)
	for _, tc := range []struct{ query, want string }{{"v1.0.0", "v1.0.0"}, {"master", "v1.1.0"}} {
		code, body := get(t, lb.URL+"/example.com/a/@v/"+tc.query+".info")
		if code != http.StatusOK || infoVersion(t, body) != tc.want {
			t.Errorf("%s.info past a lying mirror: %d %q, want 200 naming %s", tc.query, code, body, tc.want)
		}
	}

	h := &Handler{ReadAheadZips: true}
	lb = startWith(t, bad.URL, nil, 300*time.Millisecond, h)
	for _, q := range []string{"v1.0.0", "master", "junk", "meta"} {
		code, body := get(t, lb.URL+"/example.com/a/@v/"+q+".info")
		if want := string(lying.FS["example.com/a/@v/"+q+".info"].Data); code != http.StatusOK || body != want {
			t.Errorf("%s.info from the lying mirror alone: %d %q, want its answer unchanged (go judges it): %q", q, code, body, want)
		}
	}
	h.zips.running.Wait()
	for _, r := range bad.Requests() {
		if strings.HasSuffix(r, ".zip") || strings.HasSuffix(r, ".mod") {
			t.Errorf("read ahead after a rejected .info: %s", r)
		}
	}
}

// TestBadModuleRequests: paths go never sends are refused before any
// mirror sees them.
func TestBadModuleRequests(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	logging := proxytest.New(t, proxytest.Options{FS: tree.FS})
	lb := start(t, logging.URL, nil)
	for _, p := range []string{
		"/example.com/a/@v/..%2f..%2fsecret.info",
		"/example.com/a/@v/x%3Fy=1.info",
		"/example.com/a/@v/junk.mod",
		"/example.com/A/@v/v1.0.0.info",
		"/example.com/a/@v/.info",
	} {
		if code, body := rawGet(t, lb.URL+p); code != http.StatusNotFound {
			t.Errorf("%s: %d %q, want 404", p, code, body)
		}
	}
	if reqs := logging.Requests(); len(reqs) != 0 {
		t.Errorf("the mirror was sent paths go never sends: %v", reqs)
	}
}

// rawGet sends u's path exactly as written (no cleaning of ".."), follows
// no redirect, and returns the status and body.
func rawGet(t *testing.T, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return resp.StatusCode, b.String()
}

// TestSumDBPathsChecked: below /sumdb/<name>/ only what go's client asks
// for is relayed (latest, tiles, lookups of a valid path@version); any
// other path is 404 and never reaches the mirror, which logs every path
// it is sent.
func TestSumDBPathsChecked(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	logging := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	lb := start(t, logging.URL, &goenv.Settings{GOSUMDB: logging.GOSUMDB})
	for _, p := range []string{
		"/sumdb/sum.test/../../example.com/a/@v/list",
		"/sumdb/sum.test/%2e%2e/%2e%2e/example.com/a/@v/list",
		"/sumdb/sum.test/lookup/../../x",
		"/sumdb/sum.test/lookup/example.com/a@junk",
		"/sumdb/sum.test/lookup/example.com/a@v1.0.0/../../../x",
		"/sumdb/sum.test/lookup/example.com/a@v1.0.0%3Fx=1",
		"/sumdb/sum.test/lookup/example.com/a",
		"/sumdb/sum.test/lookup/example.com/A@v1.0.0",
		"/sumdb/sum.test/tile/../../x",
		"/sumdb/sum.test/tile/8/0/../../../../example.com/a/@v/list",
		"/sumdb/sum.test/tile/99/0/000",
		"/sumdb/sum.test/tile/8/0/abc",
		"/sumdb/sum.test/latest/../../x",
		"/sumdb/sum.test/unknown",
		"/sumdb/sum.test/",
		"/sumdb/other.test/latest",
		"/sumdb/sum.test",
	} {
		if code, body := rawGet(t, lb.URL+p); code != http.StatusNotFound {
			t.Errorf("%s: %d %q, want 404", p, code, body)
		}
	}
	if reqs := logging.Requests(); len(reqs) != 0 {
		t.Errorf("the mirror was sent checksum-database paths go never sends: %v", reqs)
	}
	// The control: what go sends is relayed, so the log above would have
	// shown a bad path that got through.
	for _, p := range []string{"/sumdb/sum.test/supported", "/sumdb/sum.test/latest", "/sumdb/sum.test/lookup/example.com/a@v1.0.0"} {
		if code, body := rawGet(t, lb.URL+p); code != http.StatusOK {
			t.Errorf("%s: %d %q, want 200", p, code, body)
		}
	}
	if !slices.Contains(logging.Requests(), "/sumdb/sum.test/lookup/example.com/a@v1.0.0") {
		t.Errorf("the lookup did not reach the mirror: %v", logging.Requests())
	}
}

// TestSumDBNameWithPath: a checksum database whose name holds a path
// (GOSUMDB=host/path+key, as cmd/go's own tests use) is served at
// /sumdb/host/path/, so the real go tool verifies through the proxy, both
// when go finds the database through GOPROXY and when GOSUMDB names its
// URL (the proxy then stands in for that URL).
func TestSumDBNameWithPath(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	const name = "localhost.localdev/sumdb"
	tree := proxytest.MustBuild(mods...)
	for _, explicit := range []bool{false, true} {
		good := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: name, Lookup: tree.Lookup})
		gosumdb := good.GOSUMDB
		if explicit {
			gosumdb += " " + good.URL + "/sumdb/" + name
		}
		cache := t.TempDir()
		st := &goenv.Settings{GOMODCACHE: cache, GOSUMDB: gosumdb}
		lb := start(t, good.URL, st)
		db, err := st.SumDB()
		if err != nil || db.Name != name {
			t.Fatalf("GOSUMDB %q: %+v, %v", gosumdb, db, err)
		}
		goSumDB, _ := GOSUMDB(lb.URL, gosumdb, db)
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/main\n\ngo 1.21\n"), 0o666)
		env := append(proxytest.GoEnv(os.Environ(), good, cache), "GOPROXY="+lb.URL, "GOSUMDB="+goSumDB, "GOFLAGS=-modcacherw")
		cmd := exec.Command(goTool, "get", "example.com/b@v1.0.0")
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("GOSUMDB %q: go get: %v\n%s", goSumDB, err, out)
		}
		if good.Count("/sumdb/"+name+"/lookup/example.com/b@v1.0.0") == 0 {
			t.Errorf("GOSUMDB %q: the lookup did not go through the proxy to the mirror: %v", goSumDB, good.Requests())
		}
	}
}

// TestParseSumDBPath: every path go's checksum-database client builds is
// accepted and rebuilt unchanged; anything else is refused.
func TestParseSumDBPath(t *testing.T) {
	for _, tc := range []struct {
		rest, kind, path string
	}{
		{"latest", "latest", ""},
		{"tile/8/0/000", "tile", ""},
		{"tile/8/1/012.p/34", "tile", ""},
		{"tile/8/0/x001/234", "tile", ""},
		{"tile/8/data/x001/234.p/7", "tile", ""},
		{"lookup/example.com/a@v1.0.0", "lookup", "example.com/a"},
		{"lookup/github.com/!burnt!sushi/toml@v1.3.2", "lookup", "github.com/BurntSushi/toml"},
		{"lookup/example.com/inc@v2.0.0+incompatible", "lookup", "example.com/inc"},
		{"lookup/example.com/a@v0.0.0-20240102030405-0123456789ab", "lookup", "example.com/a"},
		{"lookup/golang.org/toolchain@v0.0.1-go1.21.0.linux-amd64", "lookup", "golang.org/toolchain"},
		{"supported", "", ""},
		{"lookup/example.com/a@v1.0.0/go.mod", "", ""},
		{"lookup/example.com/a@master", "", ""},
		{"lookup/example.com/v2@v1.0.0", "", ""},
		{"lookup/example.com/a", "", ""},
		{"tile/8/0/000/../../x", "", ""},
		{"tile/0/0/000", "", ""},
		{"latest/", "", ""},
		{"", "", ""},
	} {
		kind, rel, path, err := parseSumDBPath(tc.rest)
		if tc.kind == "" {
			if err == nil {
				t.Errorf("parseSumDBPath(%q) = %q, %q, %q; want an error", tc.rest, kind, rel, path)
			}
			continue
		}
		if err != nil || kind != tc.kind || rel != tc.rest || path != tc.path {
			t.Errorf("parseSumDBPath(%q) = %q, %q, %q, %v; want %q, itself, %q", tc.rest, kind, rel, path, err, tc.kind, tc.path)
		}
	}
}
