package mirrors

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// TestProbeAsksAgainAfterOneHiccup: one 503 to the probe does not rank a
// working mirror dead; a mirror that keeps answering 500 is dead after
// two requests.
func TestProbeAsksAgainAfterOneHiccup(t *testing.T) {
	t.Parallel()
	var infos atomic.Int32
	hiccup := proxytest.New(t, proxytest.Options{FS: testTree().FS, Fault: func(r *http.Request) proxytest.Fault {
		if strings.HasSuffix(r.URL.Path, ".info") && infos.Add(1) == 1 {
			return proxytest.Fault{Kind: proxytest.Status, Status: http.StatusServiceUnavailable, Body: []byte("busy")}
		}
		return proxytest.Fault{}
	}})
	broken := proxytest.New(t, proxytest.Options{FS: testTree().FS, Fault: faultAll(proxytest.Fault{Kind: proxytest.Status, Status: 500})})
	cands, err := ParseList(hiccup.URL + "," + broken.URL)
	if err != nil {
		t.Fatal(err)
	}
	ms := Probe(context.Background(), testOptions(t, testSettings(t, hiccup.URL, "")), cands)
	if m := mirrorByURL(t, ms, hiccup.URL); !m.OK || !m.Found {
		t.Errorf("one 503, then the .info: OK %v Found %v (%s)", m.OK, m.Found, m.Err)
	}
	if m := mirrorByURL(t, ms, broken.URL); m.OK || m.Status != 500 {
		t.Errorf("always 500: OK %v status %d", m.OK, m.Status)
	}
	if n := broken.Count(".info"); n != 2 {
		t.Errorf("the broken mirror was asked %d times, want 2", n)
	}
}
