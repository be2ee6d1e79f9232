package modproxy

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/modset"
	"github.com/gofastdev/gofast/internal/proxytest"
	"github.com/gofastdev/gofast/mirrors"
	"github.com/gofastdev/gofast/prefetch"
	"golang.org/x/mod/module"
)

// sumsOf returns the go.sum hashes of every module of tree, as a go.sum
// listing them all holds.
func sumsOf(t testing.TB, tree *proxytest.Tree) *modset.Sums {
	t.Helper()
	sums := modset.NewSums()
	for k, h := range tree.Sum {
		p, v, ok := strings.Cut(k, " ")
		if !ok {
			t.Fatalf("tree sum key %q", k)
		}
		v, gomod := strings.CutSuffix(v, "/go.mod")
		sums.Add(module.Version{Path: p, Version: v}, gomod, h)
	}
	return sums
}

// startNamed is startWith for a chain in which only named are mirrors the
// user named; the others were added to the race (as gofast adds public
// mirrors to go's default GOPROXY).
func startNamed(t *testing.T, chain, named string, st *goenv.Settings, h *Handler) *Loopback {
	t.Helper()
	list, err := mirrors.ParseList(chain)
	if err != nil {
		t.Fatal(err)
	}
	namedList, err := mirrors.ParseList(named)
	if err != nil {
		t.Fatal(err)
	}
	st.GOPROXY = named
	if st.GOMODCACHE == "" {
		st.GOMODCACHE = t.TempDir()
	}
	f, err := prefetch.NewFetcher(prefetch.FetcherOptions{
		Settings: st,
		Chain:    func(context.Context) (mirrors.List, error) { return list, nil },
		Named:    namedList,
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

// sumdbRequests returns the requests of srv for its checksum database.
func sumdbRequests(srv *proxytest.Server) []string {
	var out []string
	for _, p := range srv.Requests() {
		if strings.HasPrefix(p, "/sumdb/") {
			out = append(out, p)
		}
	}
	return out
}

// TestGoSumPinnedNoLookup: files the main module's go.sum records are
// checked against it and never looked up, as go trusts go.sum and asks the
// database nothing (a public module, and a company module pinned in
// go.sum without GOPRIVATE); wrong bytes for them still go to the next
// mirror. A file go.sum lacks is looked up, as go looks it up.
func TestGoSumPinnedNoLookup(t *testing.T) {
	pinned := []proxytest.Module{
		{Path: "github.com/google/uuid", Version: "v1.6.0"},
		{Path: "corp.example.com/lib", Version: "v1.2.0"},
	}
	unpinned := proxytest.Module{Path: "example.com/new", Version: "v1.0.0"}
	tree := proxytest.MustBuild(append(pinned, unpinned)...)
	evil := proxytest.MustBuild(proxytest.Module{Path: "github.com/google/uuid", Version: "v1.6.0", Files: map[string]string{"uuid.go": "package uuid\n\nvar Evil = 1\n"}})
	liar := proxytest.New(t, proxytest.Options{FS: evil.FS})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	sums := modset.NewSums()
	for _, m := range pinned {
		mv := module.Version{Path: m.Path, Version: m.Version}
		sums.Add(mv, false, tree.Sum[m.Path+" "+m.Version])
		sums.Add(mv, true, tree.Sum[m.Path+" "+m.Version+"/go.mod"])
	}
	h := &Handler{Sums: sums, ReadAheadZips: true}
	lb := startWith(t, liar.URL+","+good.URL, &goenv.Settings{GOSUMDB: good.GOSUMDB}, time.Minute, h)
	for _, m := range pinned {
		for _, ext := range []string{".info", ".mod", ".zip"} {
			p := m.Path + "/@v/" + m.Version + ext
			if code, body := get(t, lb.URL+"/"+p); code != http.StatusOK || body != string(tree.FS[p].Data) {
				t.Errorf("%s: %d, %d bytes: not the good mirror's", p, code, len(body))
			}
		}
	}
	h.zips.running.Wait()
	h.ahead.await(idle)
	if got := sumdbRequests(good); len(got) != 0 {
		t.Errorf("the checksum database was asked %v for modules go.sum pins", got)
	}
	if n := liar.Count("/github.com/google/uuid/@v/v1.6.0.zip"); n == 0 {
		t.Errorf("the lying mirror was never asked: the test checks nothing")
	}

	p := unpinned.Path + "/@v/" + unpinned.Version + ".mod"
	if code, _ := get(t, lb.URL+"/"+p); code != http.StatusOK {
		t.Fatalf("%s: %d", p, code)
	}
	if n := good.Count("/sumdb/sum.test/lookup/example.com/new@v1.0.0"); n != 1 {
		t.Errorf("a go.mod go.sum lacks was looked up %d times, want 1: %v", n, sumdbRequests(good))
	}
}

// TestUnverifiableOnlyFromNamedMirrors: bytes nothing verifies (a
// GONOSUMDB module, or any module under GOSUMDB=off, with no go.sum line)
// come only from the mirrors the user named, never from one gofast added
// to the race, even when the added one answers first with other bytes;
// a module go verifies may still be answered by the added mirror.
func TestUnverifiableOnlyFromNamedMirrors(t *testing.T) {
	honest := proxytest.MustBuild(
		proxytest.Module{Path: "corp.example.com/x", Version: "v1.0.0"},
		proxytest.Module{Path: "example.com/a", Version: "v1.0.0"})
	other := proxytest.MustBuild(
		proxytest.Module{Path: "corp.example.com/x", Version: "v1.0.0", GoMod: "module corp.example.com/x\n\nrequire example.com/evil v1.0.0\n", Files: map[string]string{"x.go": "package x\n\nvar Evil = 1\n"}},
		proxytest.Module{Path: "corp.example.com/x", Version: "v1.9.0"},
		proxytest.Module{Path: "example.com/a", Version: "v1.0.0"})
	for _, c := range []struct {
		name string
		st   func(gosumdb string) *goenv.Settings
	}{
		{"GONOSUMDB", func(gosumdb string) *goenv.Settings {
			return &goenv.Settings{GOSUMDB: gosumdb, GONOSUMDB: "corp.example.com"}
		}},
		{"GOSUMDB=off", func(string) *goenv.Settings { return &goenv.Settings{GOSUMDB: "off"} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			added := proxytest.New(t, proxytest.Options{FS: other.FS})
			named := proxytest.New(t, proxytest.Options{FS: honest.FS, SumDB: "sum.test", Lookup: honest.Lookup})
			h := &Handler{ReadAheadZips: true, ReadAheadGraph: true}
			lb := startNamed(t, added.URL+"|"+named.URL, named.URL, c.st(named.GOSUMDB), h)
			for _, p := range []string{"corp.example.com/x/@v/list", "corp.example.com/x/@v/v1.0.0.info", "corp.example.com/x/@v/v1.0.0.mod", "corp.example.com/x/@v/v1.0.0.zip"} {
				code, body := get(t, lb.URL+"/"+p)
				want, ok := honest.FS[p]
				if p == "corp.example.com/x/@v/list" {
					if code != http.StatusOK || strings.Contains(body, "v1.9.0") {
						t.Errorf("%s: %d %q: not the named mirror's", p, code, body)
					}
					continue
				}
				if !ok || code != http.StatusOK || body != string(want.Data) {
					t.Errorf("%s: %d, %d bytes: not the named mirror's", p, code, len(body))
				}
			}
			h.zips.running.Wait()
			h.ahead.await(idle)
			for _, p := range added.Requests() {
				if strings.Contains(p, "corp.example.com") {
					t.Errorf("the added mirror was asked %s", p)
				}
			}
			if c.name == "GONOSUMDB" {
				p := "example.com/a/@v/v1.0.0.info"
				if code, _ := get(t, lb.URL+"/"+p); code != http.StatusOK || added.Count("/"+p) != 1 {
					t.Errorf("%s of a module go verifies: %d, asked of the added mirror %d times, want 1", p, code, added.Count("/"+p))
				}
			}
		})
	}
}

// TestForgedLookupRejectsNothing: a mirror relaying the checksum database
// that answers lookups with lines the database's key does not sign makes
// the proxy reject nothing: the honest bytes are served (go, verifying the
// signature itself, then decides as it would alone), not refused from
// every mirror with those mirrors demoted.
func TestForgedLookupRejectsNothing(t *testing.T) {
	m := proxytest.Module{Path: "example.com/a", Version: "v1.0.0"}
	tree := proxytest.MustBuild(m)
	forged := proxytest.MustBuild(proxytest.Module{Path: m.Path, Version: m.Version, GoMod: "module example.com/a\n\n// forged\n", Files: map[string]string{"a.go": "package a\n\nvar Forged = 1\n"}})
	// The forger serves the honest files but a database of its own, under
	// the real database's name, signed with a key of its own.
	forger := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: forged.Lookup})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	var demoted []string
	st := &goenv.Settings{GOSUMDB: good.GOSUMDB, GOPROXY: forger.URL + "," + good.URL, GOMODCACHE: t.TempDir()}
	f, err := prefetch.NewFetcher(prefetch.FetcherOptions{Settings: st, OnMirrorFailure: func(url, reason string) { demoted = append(demoted, url+": "+reason) }})
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Fetcher: f, Settings: st, SpoolDir: t.TempDir()}
	lb, err := Listen(h)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	for _, ext := range []string{".mod", ".zip"} {
		p := m.Path + "/@v/" + m.Version + ext
		if code, body := get(t, lb.URL+"/"+p); code != http.StatusOK || body != string(tree.FS[p].Data) {
			t.Errorf("%s: %d %.200q: honest bytes refused", p, code, body)
		}
	}
	if forger.Count("/sumdb/sum.test/lookup/example.com/a@v1.0.0") == 0 {
		t.Errorf("the forged lookup was never asked for: the test checks nothing (%v)", forger.Requests())
	}
	lb.Close()
	if len(demoted) > 0 {
		t.Errorf("mirrors demoted: %v", demoted)
	}
}
