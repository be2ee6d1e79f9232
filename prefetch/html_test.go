package prefetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
	"github.com/gofastdev/gofast/mirrors"
)

// TestOneHTMLRule checks that the race and the fetcher judge an answer by
// the same rule, go's: by its bytes, never by its Content-Type. A proxy
// serving valid files as text/html is kept by the race and its files are
// taken; a captive portal answering 200 with a page is dropped by the race
// and its page refused.
func TestOneHTMLRule(t *testing.T) {
	m := proxytest.Module{Path: "example.com/html", Version: "v1.0.0"}
	tree := proxytest.MustBuild(m)
	files := http.FileServer(http.FS(tree.FS))
	asHTML := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		files.ServeHTTP(w, r)
	}))
	defer asHTML.Close()
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("\ufeff\n  <!DOCTYPE html><html><body>Log in to the hotel Wi-Fi</body></html>"))
	}))
	defer portal.Close()

	for _, tc := range []struct {
		name string
		url  string
		ok   bool
	}{
		{"valid files served as text/html", asHTML.URL, true},
		{"portal page with 200", portal.URL, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &goenv.Settings{GOMODCACHE: t.TempDir(), GOPROXY: tc.url, GOSUMDB: "off"}
			list, err := mirrors.ParseList(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			raced := mirrors.Probe(context.Background(), mirrors.Options{Settings: s, CacheDir: t.TempDir(),
				ProbeModule: mv(m), Deadline: 5 * time.Second}, list)
			if len(raced) != 1 || raced[0].OK != tc.ok {
				t.Errorf("race: %+v, want OK %v", raced, tc.ok)
			}
			f, err := NewFetcher(FetcherOptions{Settings: s})
			if err != nil {
				t.Fatal(err)
			}
			for _, kind := range []Kind{KindMod, KindInfo} {
				got, err := f.Get(context.Background(), list, Request{Module: mv(m), Kind: kind, Rel: treeFile(m, string(kind)),
					Check: func(data []byte, file string) error { return CheckAnswer(kind, mv(m), data, file) }})
				if (err == nil) != tc.ok {
					t.Errorf("fetcher, .%s: %v, want accepted %v", kind, err, tc.ok)
				}
				if got != nil {
					got.Close()
				}
			}
		})
	}
}
