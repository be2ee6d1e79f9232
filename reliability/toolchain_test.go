//go:build linux

package reliability_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
	"github.com/gofastdev/gofast/internal/toolchain"
)

// bigToolchainVersion is the go version of the fake toolchain with a zip
// large enough (8 MiB) for gofast to fetch it in byte ranges.
const bigToolchainVersion = "1.998.0"

// TestProxyToolchainInRanges switches go to a toolchain whose zip comes
// from a mirror that holds each connection to 4 MiB/s and resets the
// first connection that asks for the zip after 256 KiB: go alone fails
// on the reset (the control shows it); through gofast the zip comes in
// byte ranges at once, the broken one resumed, and the switch succeeds
// with the cache as the good tree has it.
func TestProxyToolchainInRanges(t *testing.T) {
	gofastBin(t)
	tc := proxytest.FakeToolchain(bigToolchainVersion)
	blob := make([]byte, 8<<20)
	rand.NewChaCha8([32]byte{2}).Read(blob)
	tc.Files["pkg/blob.bin"] = string(blob)
	w := newWorld(t, []proxytest.Module{tc}, proxytest.Options{})
	zipPath := "/" + toolchain.Module + "/@v/" + tc.Version + ".zip"
	zip := w.tree.FS[strings.TrimPrefix(zipPath, "/")].Data
	if len(zip) == 0 {
		t.Fatalf("no %s in the tree", zipPath)
	}
	c := proxyCommand{name: "toolchain switch in ranges",
		files: map[string]string{"go.mod": "module example.com/newer\n\ngo " + bigToolchainVersion + "\n"},
		args:  []string{"list", "-m"},
		env:   func(string) []string { return []string{"GOTOOLCHAIN=auto"} },
		check: func(work string, r *result) error {
			if want := proxytest.ToolchainLine(bigToolchainVersion, "list -m"); r.stdout != want {
				return errors.New("stdout " + r.stdout + ", want the fake toolchain's " + want)
			}
			return nil
		}}
	base := w.baseline(t, c)

	control := newRangeFront(t, w, zipPath, zip)
	r, _, _ := w.runCommand(t, c, realGo(t), hardKill, "GOPROXY="+control.srv.URL)
	if r.code == 0 {
		t.Fatalf("go alone switched although the mirror reset the zip: the test proves nothing\n%s", r)
	}

	front := newRangeFront(t, w, zipPath, zip)
	r, scratch, work := w.runCommand(t, c, gofastBin(t), hardKill, "GOPROXY="+front.srv.URL)
	w.expect(t, c, r, base, scratch, work, smallGraph, "with a mirror holding each connection to 4 MiB/s and resetting the zip once")
	if !front.reset.Load() {
		t.Error("the mirror never reset the zip: the fault was not exercised")
	}
	if n := front.maxZipsInFlight(); n < 2 {
		t.Errorf("the zip came over at most %d requests at once, want several", n)
	}
	if sent := front.zipSent.Load(); sent > int64(len(zip))*3/2 {
		t.Errorf("the mirror sent %d bytes of a %d-byte zip: restarted, not resumed", sent, len(zip))
	}
}

// rangeFront is a mirror in front of a world's good mirror: it serves one
// zip itself, with Range, each answer held to perConn bytes per second,
// the first answer's connection closed after resetAfter bytes, and passes
// every other request on to the good mirror.
type rangeFront struct {
	srv     *httptest.Server
	zipPath string
	zip     []byte
	next    http.Handler

	reset   atomic.Bool
	zipSent atomic.Int64

	mu          sync.Mutex
	inFlight    int
	maxInFlight int
}

const (
	frontPerConn    = 4 << 20
	frontResetAfter = 256 << 10
)

func newRangeFront(t *testing.T, w *world, zipPath string, zip []byte) *rangeFront {
	u, err := url.Parse(w.good.URL)
	if err != nil {
		t.Fatal(err)
	}
	f := &rangeFront{zipPath: zipPath, zip: zip, next: httputil.NewSingleHostReverseProxy(u)}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *rangeFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != f.zipPath {
		f.next.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	pw := &proxytest.PacedWriter{ResponseWriter: w, Rate: frontPerConn, Sent: []*atomic.Int64{&f.zipSent}, Start: time.Now()}
	if f.reset.CompareAndSwap(false, true) {
		pw.ResetAfter = frontResetAfter
	}
	http.ServeContent(pw, r, "toolchain.zip", time.Time{}, bytes.NewReader(f.zip))
}

func (f *rangeFront) maxZipsInFlight() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxInFlight
}
