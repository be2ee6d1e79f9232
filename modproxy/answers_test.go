package modproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// badAnswers are 200 answers go judges itself, each with its own error
// (a zip with a file outside path@version/, a go.mod that does not parse,
// an @latest that is not JSON, as cmd/go's scripts mod_load_badzip and
// mod_proxy_invalid serve them).
func badAnswers(t *testing.T) map[string][]byte {
	t.Helper()
	zip, err := proxytest.RawZip(proxytest.RawFile{Name: "example.com/a@v1.0.0.txt", Data: []byte("not in the module\n")})
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		"/example.com/a/@v/v1.0.0.zip": zip,
		"/example.com/a/@v/v1.0.0.mod": []byte("module example.com/a\n\nrequire (\n"),
		"/example.com/a/@latest":       []byte("invalid\n"),
	}
}

// badMirror answers each of answers' paths with its bytes, and 404 to
// anything else.
func badMirror(t *testing.T, answers map[string][]byte) *proxytest.Server {
	return proxytest.New(t, proxytest.Options{Fault: func(r *http.Request) proxytest.Fault {
		if data, ok := answers[r.URL.Path]; ok {
			return proxytest.Fault{Kind: proxytest.Body, Body: data}
		}
		return proxytest.Fault{Kind: proxytest.Status, Status: http.StatusNotFound, Body: []byte("404 page not found\n")}
	}})
}

// TestUnacceptedAnswersReachGo: when no mirror has an answer the proxy
// accepts, the answer go alone would have been given reaches go unchanged
// (status 200, the same bytes), so that go prints its own error for it
// (cmd/go's mod_load_badzip, mod_proxy_invalid); when another mirror has
// good bytes, after '|' or after ',' alike, those are served.
func TestUnacceptedAnswersReachGo(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	tree.FS["example.com/a/@latest"] = infoFile("v1.1.0")
	answers := badAnswers(t)
	bad := badMirror(t, answers)
	good := proxytest.New(t, proxytest.Options{FS: tree.FS})

	lb := start(t, bad.URL, nil)
	for p, want := range answers {
		if code, body := get(t, lb.URL+p); code != http.StatusOK || body != string(want) {
			t.Errorf("%s from the bad mirror alone: %d %q, want 200 and its bytes %q", p, code, body, want)
		}
	}
	// A bad mirror first, then one that says not found: go alone stops at
	// the first 200 and judges it.
	empty := proxytest.New(t, proxytest.Options{FS: proxytest.MustBuild().FS})
	lb = start(t, bad.URL+","+empty.URL, nil)
	for p, want := range answers {
		if code, body := get(t, lb.URL+p); code != http.StatusOK || body != string(want) {
			t.Errorf("%s from bad,empty: %d %q, want 200 and the bad mirror's bytes", p, code, body)
		}
	}
	for _, sep := range []string{"|", ","} {
		lb := start(t, bad.URL+sep+good.URL, nil)
		for p := range answers {
			want := tree.FS[strings.TrimPrefix(p, "/")]
			code, body := get(t, lb.URL+p)
			if p == "/example.com/a/@latest" {
				if code != http.StatusOK || !strings.Contains(body, `"v1.1.0"`) {
					t.Errorf("%s from bad%sgood: %d %q, want the good mirror's", p, sep, code, body)
				}
				continue
			}
			if code != http.StatusOK || want == nil || body != string(want.Data) {
				t.Errorf("%s from bad%sgood: %d, %d bytes, want the good mirror's", p, sep, code, len(body))
			}
		}
	}
}

// TestWrongHashReachesGo: a zip whose hash is not the checksum database's,
// from the only mirror that has it, reaches go unchanged, which verifies it and prints
// its own "checksum mismatch" SECURITY ERROR, as without gofast.
func TestWrongHashReachesGo(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	evil := proxytest.MustBuild(proxytest.Module{Path: "example.com/a", Version: "v1.0.0", Files: map[string]string{"a.go": "package a\n\nvar Evil = 1\n"}})
	liar := proxytest.New(t, proxytest.Options{FS: evil.FS})
	// The second mirror serves the checksum database and no module file.
	db := proxytest.New(t, proxytest.Options{FS: proxytest.MustBuild().FS, SumDB: "sum.test", Lookup: tree.Lookup})
	lb := start(t, liar.URL+","+db.URL, &goenv.Settings{GOSUMDB: db.GOSUMDB})
	want := string(evil.FS["example.com/a/@v/v1.0.0.zip"].Data)
	if code, body := get(t, lb.URL+"/example.com/a/@v/v1.0.0.zip"); code != http.StatusOK || body != want {
		t.Errorf("got %d, %d bytes: not the only mirror's zip", code, len(body))
	}
	if db.Count("/lookup/example.com/a@v1.0.0") == 0 {
		t.Errorf("the checksum database was never asked: the test proves nothing")
	}
}

// TestBadZipReadAheadWalkedAgain: a zip read ahead with bytes the proxy
// refuses is not kept as if good; go's own request for it walks the chain
// again and is given the answer go alone would have had.
func TestBadZipReadAheadWalkedAgain(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	answers := badAnswers(t)
	zipPath := "/example.com/a/@v/v1.0.0.zip"
	bad := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: func(r *http.Request) proxytest.Fault {
		if r.URL.Path == zipPath {
			return proxytest.Fault{Kind: proxytest.Body, Body: answers[zipPath]}
		}
		return proxytest.Fault{}
	}})
	// The zip is read ahead only when something will verify it: the
	// checksum database, served by a second mirror without module files.
	db := proxytest.New(t, proxytest.Options{FS: proxytest.MustBuild().FS, SumDB: "sum.test", Lookup: tree.Lookup})
	h := &Handler{ReadAheadZips: true}
	lb := startWith(t, bad.URL+","+db.URL, &goenv.Settings{GOSUMDB: db.GOSUMDB}, 300*time.Millisecond, h)
	if code, body := get(t, lb.URL+"/example.com/a/@v/v1.0.0.info"); code != http.StatusOK {
		t.Fatalf(".info: %d %q", code, body)
	}
	h.zips.running.Wait()
	if n := bad.Count(zipPath); n != 1 {
		t.Fatalf("the zip was read ahead %d times, want 1", n)
	}
	if code, body := get(t, lb.URL+zipPath); code != http.StatusOK || body != string(answers[zipPath]) {
		t.Errorf("zip: %d, %d bytes, want the mirror's bad zip unchanged", code, len(body))
	}
	if n := bad.Count(zipPath); n != 2 {
		t.Errorf("the zip was asked of the mirror %d times, want 2 (read ahead, then for go)", n)
	}
}

// TestMirrorStatusRelayed: a mirror's answer other than 200 reaches go
// with its status, Content-Type and body, which go prints as "server
// response:" (cmd/go's mod_proxy_list, mod_get_nopkgs); the walk follows
// go's rules: after ',' only not found goes on, after '|' anything does,
// and when every mirror failed go's choice of error is kept (the last
// failure other than not found, else the last not found).
func TestMirrorStatusRelayed(t *testing.T) {
	tree := proxytest.MustBuild(mods...)
	good := proxytest.New(t, proxytest.Options{FS: tree.FS})
	forbidden := proxytest.New(t, proxytest.Options{Fault: func(*http.Request) proxytest.Fault {
		return proxytest.Fault{Kind: proxytest.Status, Status: http.StatusForbidden, Body: []byte("no access for you\nsee the policy\n"),
			Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}}
	}})
	notFound := proxytest.New(t, proxytest.Options{Fault: func(*http.Request) proxytest.Fault {
		return proxytest.Fault{Kind: proxytest.Status, Status: http.StatusNotFound, Body: []byte("404 page not found\n"),
			Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}}
	}})
	const info = "/example.com/a/@v/v1.0.0.info"
	check := func(goproxy string, wantCode int, wantBody string) {
		t.Helper()
		lb := start(t, goproxy, nil)
		resp, err := http.Get(lb.URL + info)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != wantCode || (wantBody != "" && body != wantBody) {
			t.Errorf("%s: %d %q, want %d %q", goproxy, resp.StatusCode, body, wantCode, wantBody)
		}
		if wantCode != http.StatusOK && resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%s: Content-Type %q, want the mirror's", goproxy, resp.Header.Get("Content-Type"))
		}
	}
	check(forbidden.URL, http.StatusForbidden, "no access for you\nsee the policy\n")
	check(forbidden.URL+","+good.URL, http.StatusForbidden, "no access for you\nsee the policy\n")
	if n := good.Count(info); n != 0 {
		t.Errorf("the mirror after 403, was asked %d times; go stops there", n)
	}
	check(forbidden.URL+"|"+good.URL, http.StatusOK, string(tree.FS[strings.TrimPrefix(info, "/")].Data))
	check(notFound.URL, http.StatusNotFound, "404 page not found\n")
	check(notFound.URL+","+notFound.URL, http.StatusNotFound, "404 page not found\n")
	gone := proxytest.New(t, proxytest.Options{Fault: func(*http.Request) proxytest.Fault {
		return proxytest.Fault{Kind: proxytest.Status, Status: http.StatusGone, Body: []byte("gone\n"),
			Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}}
	}})
	// mod_proxy_list: "get should return the final error if that's all we
	// have".
	check(notFound.URL+","+gone.URL, http.StatusGone, "gone\n")
	// go reports the 403 over a later 404.
	check(forbidden.URL+"|"+notFound.URL, http.StatusForbidden, "no access for you\nsee the policy\n")

	// A body with no Content-Type is relayed with none: go prints no
	// "server response:" for it.
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte("who are you\n"))
	}))
	t.Cleanup(bare.Close)
	lb := start(t, bare.URL, nil)
	resp, err := http.Get(lb.URL + info)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("bare 401: %d", resp.StatusCode)
	}
	if ct, ok := resp.Header["Content-Type"]; ok {
		t.Errorf("bare 401 relayed with Content-Type %q, the mirror sent none", ct)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
