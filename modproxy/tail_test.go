package modproxy

import (
	"net/http"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// TestTailEntry: behind GOPROXY "A,B|off" go's GOPROXY names the loopback
// twice (NeedsTailEntry). A failure that stops go's walk (A's 403 before
// ',') is answered as it is on the first entry; one after which go's walk
// goes on to off (A 404, then B's 500 before '|') is answered 404 there
// and as it is on the second, from one walk: the mirrors are asked once.
func TestTailEntry(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: "example.com/m", Version: "v1.0.0"})
	status := func(code int) func(*http.Request) proxytest.Fault {
		return func(*http.Request) proxytest.Fault { return proxytest.Fault{Kind: proxytest.Status, Status: code} }
	}
	const rel = "/example.com/m/@v/v1.0.0.info"
	for _, tc := range []struct {
		name                string
		a, b                func(*http.Request) proxytest.Fault
		first, second, asks int
	}{
		// go asks no further entry after a 403 before ','.
		{"stop", status(http.StatusForbidden), nil, http.StatusForbidden, 0, 1},
		{"go on", status(http.StatusNotFound), status(http.StatusInternalServerError), http.StatusNotFound, http.StatusInternalServerError, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: tc.a})
			b := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: tc.b})
			h := &Handler{TailEntry: true, ReadAheadJobs: -1}
			lb := startWith(t, a.URL+","+b.URL+"|off", nil, time.Minute, h)
			if code, body := get(t, lb.URL+rel); code != tc.first {
				t.Fatalf("first entry: %d %q, want %d", code, body, tc.first)
			}
			if tc.second != 0 {
				if code, body := get(t, lb.URL+"/"+tailEntry+rel); code != tc.second {
					t.Errorf("second entry: %d %q, want %d", code, body, tc.second)
				}
			}
			if n := a.Count(rel); n != tc.asks {
				t.Errorf("A asked %d times, want %d", n, tc.asks)
			}
		})
	}
}
