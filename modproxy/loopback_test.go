package modproxy

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// TestLoopbackGuard: from another address, from another user (Linux), or
// without the prefix (elsewhere), the proxy answers a bare 404 and the
// handler never runs.
func TestLoopbackGuard(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		io.WriteString(w, r.URL.Path)
	})
	lb, err := Listen(h)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	if !strings.HasPrefix(lb.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %s", lb.URL)
	}
	want := 1
	if runtime.GOOS == "linux" && !lb.peer {
		t.Fatal("the socket table cannot be read: the URL keeps its secret")
	}
	if lb.peer {
		// What go prints and children inherit carries nothing secret.
		if strings.Contains(strings.TrimPrefix(lb.URL, "http://"), "/") {
			t.Errorf("URL %s has a path: go prints it", lb.URL)
		}
	} else {
		if len(lb.URL) < len("http://127.0.0.1:1/")+32 {
			t.Fatalf("URL %s has no prefix", lb.URL)
		}
		base := lb.URL[:strings.LastIndexByte(lb.URL, '/')]
		for _, u := range []string{base + "/example.com/a/@v/list", base + "/0123456789abcdef0123456789abcdef/example.com/a/@v/list", lb.URL, lb.URL + "x/a"} {
			if code, _ := get(t, u); code != http.StatusNotFound {
				t.Errorf("%s: %d", u, code)
			}
		}
	}
	if code, body := get(t, lb.URL+"/example.com/a/@v/list"); code != http.StatusOK || body != "/example.com/a/@v/list" {
		t.Errorf("from this user: %d %q", code, body)
	}
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", lb.URL+"/example.com/a/@v/list", nil)
	r.RemoteAddr = "192.0.2.7:4000"
	lb.guard(h).ServeHTTP(rec, r)
	if rec.Code != http.StatusNotFound {
		t.Errorf("from another address: %d", rec.Code)
	}
	if lb.peer {
		fromAnotherUser(t, lb)
	}
	if calls != want {
		t.Errorf("handler ran %d times, want %d", calls, want)
	}
}

// TestLoopbackBounds: idle connections are closed and the connections
// served at once are capped, so a client cannot hold descriptors forever.
func TestLoopbackBounds(t *testing.T) {
	lb, err := Listen(http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	if lb.srv.IdleTimeout <= 0 || lb.srv.IdleTimeout > loopbackIdleTimeout {
		t.Errorf("IdleTimeout %v", lb.srv.IdleTimeout)
	}
	// The cap is netutil's: Accept waits while loopbackMaxConns
	// connections are open.
	if got := fmt.Sprintf("%T", lb.ln); got != "*netutil.limitListener" {
		t.Errorf("listener %s is not capped", got)
	}
}
