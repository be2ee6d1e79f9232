package prefetch

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
	"github.com/gofastdev/gofast/internal/toolchain"
	"github.com/gofastdev/gofast/internal/web"
	"github.com/gofastdev/gofast/mirrors"
)

// bigModule builds a module whose zip is about size bytes (a file of
// random, incompressible bytes in it), and returns it with its tree.
func bigModule(path, version string, size int) (proxytest.Module, *proxytest.Tree) {
	blob := make([]byte, size)
	rand.NewChaCha8([32]byte{1}).Read(blob)
	m := proxytest.Module{Path: path, Version: version, Files: map[string]string{"pkg/blob.bin": string(blob), "README": "big\n"}}
	return m, proxytest.MustBuild(m)
}

// toolchainTree is built once: compressing 6 MiB is slow under the race
// detector, and no test changes it.
var toolchainTree = sync.OnceValues(func() (proxytest.Module, *proxytest.Tree) {
	fake := proxytest.FakeToolchain("1.999.0")
	return bigModule(fake.Path, fake.Version, 6<<20)
})

// bigToolchain is a golang.org/toolchain module whose zip is split into
// ranges: 6 MiB, above rangeMinSize.
func bigToolchain(t testing.TB) (proxytest.Module, *proxytest.Tree, []byte) {
	m, tree := toolchainTree()
	data := tree.FS[treeFile(m, "zip")].Data
	if len(data) <= rangeMinSize {
		t.Fatalf("zip of %d bytes is not above rangeMinSize", len(data))
	}
	return m, tree, data
}

// rangeMirror serves one file as a mirror with Range support does
// (http.ServeContent), each answer's body held to perConn bytes per
// second as by a per-connection limit, and records the Range headers it
// was sent, the most requests it had in flight at once and the body bytes
// it wrote.
type rangeMirror struct {
	srv  *httptest.Server
	data []byte
	// perConn is the throughput each answer is held to; 0 means none.
	perConn int64
	// noRanges answers every request with the whole file (200), as a
	// mirror that ignores Range.
	noRanges bool
	// resetRequest is the number (from 1) of the request whose connection
	// is closed after resetAfter body bytes; 0 means none.
	resetRequest int
	resetAfter   int64
	// answer, when set, is offered every request first; it answers it
	// itself when it returns true.
	answer func(w http.ResponseWriter, r *http.Request) bool

	mu          sync.Mutex
	ranges      []string
	inFlight    int
	maxInFlight int
	sent        atomic.Int64 // all body bytes
	sentRanges  atomic.Int64 // body bytes of answers to a bounded range (bytes=a-b)
}

// newRangeMirror starts m (its options set) for the test.
func newRangeMirror(t testing.TB, m *rangeMirror) *rangeMirror {
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *rangeMirror) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, ".zip") {
		http.NotFound(w, r)
		return
	}
	m.mu.Lock()
	m.ranges = append(m.ranges, r.Header.Get("Range"))
	num := len(m.ranges)
	m.inFlight++
	m.maxInFlight = max(m.maxInFlight, m.inFlight)
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.inFlight--
		m.mu.Unlock()
	}()
	pw := &proxytest.PacedWriter{ResponseWriter: w, Rate: m.perConn, Sent: []*atomic.Int64{&m.sent}, Start: time.Now()}
	if rng := r.Header.Get("Range"); rng != "" && !strings.HasSuffix(rng, "-") {
		pw.Sent = append(pw.Sent, &m.sentRanges)
	}
	if num == m.resetRequest {
		pw.ResetAfter = m.resetAfter
	}
	if m.answer != nil && m.answer(pw, r) {
		return
	}
	if m.noRanges {
		r.Header.Del("Range")
	}
	http.ServeContent(pw, r, "file.zip", time.Time{}, bytes.NewReader(m.data))
}

// Ranges returns the Range headers of the requests so far, in order.
func (m *rangeMirror) Ranges() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.ranges...)
}

// MaxInFlight returns the most requests the mirror was answering at once.
func (m *rangeMirror) MaxInFlight() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.maxInFlight
}

// zipChecker is a Request.Check like the loopback proxy's: the zip
// rules, then the hash go.sum would hold.
func zipChecker(m proxytest.Module, tree *proxytest.Tree) func([]byte, string) error {
	return func(_ []byte, file string) error {
		if err := CheckAnswer("zip", mv(m), nil, file); err != nil {
			return err
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		want := tree.Sum[m.Path+" "+m.Version]
		if got, _ := proxytest.HashZipBytes(data); got != want {
			return &ChecksumError{Module: mv(m), File: "zip", Got: got, Want: []string{want}}
		}
		return nil
	}
}

// getZip gets m's zip through a Fetcher walking goproxy, spooled to
// spool, with streams ranges.
func getZip(ctx context.Context, t testing.TB, goproxy, spool string, streams int, m proxytest.Module, tree *proxytest.Tree) (*File, error) {
	t.Helper()
	f, err := NewFetcher(FetcherOptions{Settings: settings(t.TempDir(), goproxy), RangeStreams: streams, IdleTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	list, err := mirrors.ParseList(goproxy)
	if err != nil {
		t.Fatal(err)
	}
	return f.Get(ctx, list, Request{Module: mv(m), Kind: "zip", Rel: treeFile(m, "zip"), Limit: 64 << 20, SpoolDir: spool, Check: zipChecker(m, tree)})
}

// wantFile fails the test unless f holds data.
func wantFile(t *testing.T, f *File, data []byte) {
	t.Helper()
	got, err := io.ReadAll(f.Reader())
	if err != nil {
		t.Fatal(err)
	}
	if f.Size != int64(len(data)) || !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes (Size %d), want %d, equal: %v", len(got), f.Size, len(data), bytes.Equal(got, data))
	}
}

// wantEmptyDir fails the test unless dir holds nothing (no spool left).
func wantEmptyDir(t *testing.T, dir string) {
	t.Helper()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("%s holds %d files, want none", dir, len(ents))
	}
}

// TestRangesThrottledMirror: from a mirror that holds each connection to
// a fixed throughput, a toolchain zip arrives intact over several range
// requests at once, and no byte is asked for twice.
func TestRangesThrottledMirror(t *testing.T) {
	m, tree, data := bigToolchain(t)
	mirror := newRangeMirror(t, &rangeMirror{data: data, perConn: 16 << 20})
	f, err := getZip(t.Context(), t, mirror.srv.URL, t.TempDir(), 0, m, tree)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wantFile(t, f, data)
	ranges := mirror.Ranges()
	if len(ranges) != DefaultRangeStreams || ranges[0] != "bytes=0-" {
		t.Errorf("Range headers: %q, want bytes=0- and %d more", ranges, DefaultRangeStreams-1)
	}
	if n := mirror.MaxInFlight(); n < 2 {
		t.Errorf("at most %d requests at once, want at least 2", n)
	}
	// The first answer is cut where the second range starts: what the
	// mirror had sent past that point when it saw the cut is lost (a
	// stream's bytes in flight); no bounded range is asked for twice.
	segs := split(int64(len(data)), DefaultRangeStreams)
	if sent, want := mirror.sentRanges.Load(), int64(len(data))-segs[0].end; sent != want {
		t.Errorf("mirror sent %d bytes for the bounded ranges, want %d", sent, want)
	}
	if sent := mirror.sent.Load(); sent > int64(len(data))*3/2 {
		t.Errorf("mirror sent %d bytes for a file of %d", sent, len(data))
	}
}

// TestRangesResumeAfterReset: a range whose connection is reset midway is
// continued from where it broke off, so the mirror sends not much more
// than the file.
func TestRangesResumeAfterReset(t *testing.T) {
	m, tree, data := bigToolchain(t)
	mirror := newRangeMirror(t, &rangeMirror{data: data, perConn: 16 << 20, resetRequest: 2, resetAfter: 256 << 10})
	f, err := getZip(t.Context(), t, mirror.srv.URL, t.TempDir(), 0, m, tree)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wantFile(t, f, data)
	ranges := mirror.Ranges()
	if len(ranges) != DefaultRangeStreams+1 {
		t.Errorf("Range headers: %q, want %d (one resume)", ranges, DefaultRangeStreams+1)
	}
	// The resume starts 256 KiB into the broken range, which no first
	// request of a segment does.
	starts := map[int64]bool{}
	for _, s := range split(int64(len(data)), DefaultRangeStreams) {
		starts[s.next] = true
	}
	resumed := false
	for _, r := range ranges[1:] {
		a, _, _ := strings.Cut(strings.TrimPrefix(r, "bytes="), "-")
		if n, _ := strconv.ParseInt(a, 10, 64); !starts[n] {
			resumed = true
		}
	}
	if !resumed {
		t.Errorf("no request continued a range from where it broke: %q", ranges)
	}
	segs := split(int64(len(data)), DefaultRangeStreams)
	if sent, want := mirror.sentRanges.Load(), int64(len(data))-segs[0].end+mirror.resetAfter; sent > want {
		t.Errorf("mirror sent %d bytes for the bounded ranges, want at most %d", sent, want)
	}
	if sent := mirror.sent.Load(); sent > int64(len(data))*3/2 {
		t.Errorf("mirror sent %d bytes for a file of %d: restarted, not resumed", sent, len(data))
	}
}

// TestRangesMirrorWithoutRangeSupport: a mirror that answers every
// request with the whole file serves it in one stream.
func TestRangesMirrorWithoutRangeSupport(t *testing.T) {
	m, tree, data := bigToolchain(t)
	mirror := newRangeMirror(t, &rangeMirror{data: data, noRanges: true})
	f, err := getZip(t.Context(), t, mirror.srv.URL, t.TempDir(), 0, m, tree)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wantFile(t, f, data)
	if ranges := mirror.Ranges(); len(ranges) != 1 {
		t.Errorf("Range headers: %q, want one request", ranges)
	}
	if sent := mirror.sent.Load(); sent != int64(len(data)) {
		t.Errorf("mirror sent %d bytes for a file of %d", sent, len(data))
	}
}

// TestRangesWrongAnswers: a mirror whose answers to range requests are
// not the ranges asked for is read as one stream instead, and one whose
// ranges hold wrong bytes is passed over; no wrong file is ever returned,
// and no spool file is left behind.
func TestRangesWrongAnswers(t *testing.T) {
	m, tree, data := bigToolchain(t)
	size := int64(len(data))
	// segmentOnly applies answer to the requests for one segment, not to
	// the first request (bytes=0-) nor to one without Range.
	segmentOnly := func(answer func(w http.ResponseWriter, a, b int64) bool) func(http.ResponseWriter, *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			var a, b int64
			if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-%d", &a, &b); err != nil {
				return false
			}
			return answer(w, a, b)
		}
	}
	partial := func(w http.ResponseWriter, contentRange string, length int, body []byte) {
		w.Header().Set("Content-Range", contentRange)
		if length >= 0 {
			w.Header().Set("Content-Length", strconv.Itoa(length))
		}
		w.WriteHeader(http.StatusPartialContent)
		w.Write(body)
	}
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request) bool
		// single: the file comes from this mirror in one stream at the
		// end; otherwise it is rejected here and comes from the next.
		single bool
	}{
		{"other bytes", segmentOnly(func(w http.ResponseWriter, a, b int64) bool {
			partial(w, fmt.Sprintf("bytes %d-%d/%d", a-1, b-1, size), int(b-a+1), data[a-1:b])
			return true
		}), true},
		{"other size", segmentOnly(func(w http.ResponseWriter, a, b int64) bool {
			partial(w, fmt.Sprintf("bytes %d-%d/%d", a, b, size+1), int(b-a+1), data[a:b+1])
			return true
		}), true},
		{"short Content-Length", segmentOnly(func(w http.ResponseWriter, a, b int64) bool {
			partial(w, fmt.Sprintf("bytes %d-%d/%d", a, b, size), int(b-a), data[a:b])
			return true
		}), true},
		{"longer body without Content-Length", segmentOnly(func(w http.ResponseWriter, a, b int64) bool {
			partial(w, fmt.Sprintf("bytes %d-%d/%d", a, b, size), -1, data[a:min(b+1000, size)])
			return true
		}), true},
		{"whole file to a range", segmentOnly(func(w http.ResponseWriter, a, b int64) bool {
			w.WriteHeader(http.StatusOK)
			w.Write(data)
			return true
		}), true},
		{"first answer of unknown size", func(w http.ResponseWriter, r *http.Request) bool {
			if r.Header.Get("Range") != "bytes=0-" {
				return false
			}
			partial(w, fmt.Sprintf("bytes 0-%d/*", size-1), int(size), data)
			return true
		}, true},
		{"wrong bytes in a range", segmentOnly(func(w http.ResponseWriter, a, b int64) bool {
			if a > size/2 || b < size/2 {
				return false // only the range holding the middle byte
			}
			partial(w, fmt.Sprintf("bytes %d-%d/%d", a, b, size), int(b-a+1), make([]byte, b-a+1))
			return true
		}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := newRangeMirror(t, &rangeMirror{data: data, answer: tc.answer})
			good := newRangeMirror(t, &rangeMirror{data: data})
			spool := t.TempDir()
			f, err := getZip(t.Context(), t, bad.srv.URL+","+good.srv.URL, spool, 0, m, tree)
			if err != nil {
				t.Fatal(err)
			}
			wantFile(t, f, data)
			if tc.single {
				if f.Mirror != bad.srv.URL {
					t.Errorf("served by %s, want the first mirror in one stream", f.Mirror)
				}
				if r := bad.Ranges(); !slices.Contains(r, "") {
					t.Errorf("Range headers: %q, want a request without Range", r)
				}
			} else if f.Mirror != good.srv.URL {
				t.Errorf("served by %s, want the second mirror", f.Mirror)
			}
			f.Close()
			wantEmptyDir(t, spool)

			if tc.single {
				return
			}
			// Alone in GOPROXY, the liar's file is an error, not a file.
			f, err = getZip(t.Context(), t, bad.srv.URL, spool, 0, m, tree)
			if err == nil {
				f.Close()
				t.Fatal("got a file from a mirror serving wrong bytes")
			}
			if !verifyError(err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line naming wrong bytes", err)
			}
			wantEmptyDir(t, spool)
		})
	}
}

// TestRangesOnlyToolchainZips: another module's zip, however large, is
// fetched in one stream, as is a toolchain zip with one stream asked for.
func TestRangesOnlyToolchainZips(t *testing.T) {
	m, tree := bigModule("example.com/big", "v1.0.0", 6<<20)
	data := tree.FS[treeFile(m, "zip")].Data
	mirror := newRangeMirror(t, &rangeMirror{data: data})
	f, err := getZip(t.Context(), t, mirror.srv.URL, t.TempDir(), 0, m, tree)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wantFile(t, f, data)
	if ranges := mirror.Ranges(); len(ranges) != 1 || ranges[0] != "" {
		t.Errorf("Range headers: %q, want one request without Range", ranges)
	}

	tm, ttree, tdata := bigToolchain(t)
	mirror = newRangeMirror(t, &rangeMirror{data: tdata})
	f, err = getZip(t.Context(), t, mirror.srv.URL, t.TempDir(), 1, tm, ttree)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wantFile(t, f, tdata)
	if ranges := mirror.Ranges(); len(ranges) != 1 || ranges[0] != "" {
		t.Errorf("RangeStreams 1: Range headers %q, want one request without Range", ranges)
	}
}

// TestRangesCancel: cancelling a ranged download stops every stream and
// leaves no spool file.
func TestRangesCancel(t *testing.T) {
	m, tree, data := bigToolchain(t)
	started := make(chan struct{}, DefaultRangeStreams)
	ended := make(chan struct{}, DefaultRangeStreams)
	mirror := newRangeMirror(t, &rangeMirror{data: data, answer: func(w http.ResponseWriter, r *http.Request) bool {
		defer func() { ended <- struct{}{} }()
		var a, b int64
		if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-%d", &a, &b); err != nil {
			return false // the first request is served, and cut by the client
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, b, len(data)))
		w.Header().Set("Content-Length", strconv.FormatInt(b-a+1, 10))
		w.WriteHeader(http.StatusPartialContent)
		w.Write(data[a : a+1000])
		http.NewResponseController(w).Flush()
		started <- struct{}{}
		<-r.Context().Done()
		return true
	}})
	ctx, cancel := context.WithCancel(t.Context())
	spool := t.TempDir()
	done := make(chan error, 1)
	go func() {
		f, err := getZip(ctx, t, mirror.srv.URL, spool, 0, m, tree)
		if err == nil {
			f.Close()
		}
		done <- err
	}()
	for range 2 {
		<-started
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	wantEmptyDir(t, spool)
	// Every request the mirror saw ends: the client closed them all.
	for range len(mirror.Ranges()) {
		<-ended
	}
}

// BenchmarkToolchainRanges compares one stream with ranges for a toolchain
// zip from a loopback mirror that holds each connection to 16 MiB/s, and
// reports both times and their ratio (single/ranges).
func BenchmarkToolchainRanges(b *testing.B) {
	m, tree := bigModule(toolchain.Module, proxytest.FakeToolchain("1.999.0").Version, 16<<20)
	data := tree.FS[treeFile(m, "zip")].Data
	mirror := newRangeMirror(b, &rangeMirror{data: data, perConn: 16 << 20})
	spool := b.TempDir()
	var single, ranged time.Duration
	for b.Loop() {
		for _, streams := range []int{1, DefaultRangeStreams} {
			start := time.Now()
			f, err := getZip(b.Context(), b, mirror.srv.URL, spool, streams, m, tree)
			if err != nil {
				b.Fatal(err)
			}
			d := time.Since(start)
			f.Close()
			if streams == 1 {
				single += d
			} else {
				ranged += d
			}
		}
	}
	b.ReportMetric(float64(single.Milliseconds())/float64(b.N), "ms-single/op")
	b.ReportMetric(float64(ranged.Milliseconds())/float64(b.N), "ms-ranges/op")
	b.ReportMetric(float64(single)/float64(ranged), "speedup-x")
}

// TestRangesOwnConnections: over https to a mirror offering HTTP/2, the
// ranges still go over connections of their own (HTTP/1.1), which is what
// gets them past a limit on each connection; a Fetcher given its own
// client uses it for everything.
func TestRangesOwnConnections(t *testing.T) {
	m, tree, data := bigToolchain(t)
	var mu sync.Mutex
	conns, protos := map[string]bool{}, map[int]int{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		protos[r.ProtoMajor]++
		mu.Unlock()
		http.ServeContent(w, r, "file.zip", time.Time{}, bytes.NewReader(data))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tlsConfig := &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}

	f, err := NewFetcher(FetcherOptions{Settings: settings(t.TempDir(), srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	if f.src.rangesHTTP == nil {
		t.Fatal("no client of its own for the ranges")
	}
	// The same clients as NewFetcher's, trusting the test's certificate.
	f.src.http = newRetryClient(web.NewClient(web.Options{TLSClientConfig: tlsConfig}))
	f.src.rangesHTTP = newRetryClient(web.NewClient(web.Options{TLSClientConfig: tlsConfig, HTTP1Only: true, MaxIdleConnsPerHost: DefaultRangeStreams}))
	list, _ := mirrors.ParseList(srv.URL)
	file, err := f.Get(t.Context(), list, Request{Module: mv(m), Kind: "zip", Rel: treeFile(m, "zip"), Limit: 64 << 20, SpoolDir: t.TempDir(), Check: zipChecker(m, tree)})
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	wantFile(t, file, data)
	mu.Lock()
	defer mu.Unlock()
	if protos[1] != DefaultRangeStreams || protos[2] != 0 || len(conns) < 2 {
		t.Errorf("requests by HTTP major version %v over %d connections, want %d HTTP/1.1 over several", protos, len(conns), DefaultRangeStreams)
	}

	own, err := NewFetcher(FetcherOptions{Settings: settings(t.TempDir(), srv.URL), Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if own.src.rangesHTTP != nil {
		t.Error("a Fetcher given a client built another for the ranges")
	}
}

// TestRangesContentRange: only one satisfied range of a known size is a
// Content-Range the ranged fetch accepts.
func TestRangesContentRange(t *testing.T) {
	for _, tc := range []struct {
		in                 string
		first, last, total int64
		ok                 bool
	}{
		{"bytes 0-99/100", 0, 99, 100, true},
		{"bytes 100-199/1000", 100, 199, 1000, true},
		{"bytes 0-99/*", 0, 0, 0, false},
		{"bytes */100", 0, 0, 0, false},
		{"bytes 0-100/100", 0, 0, 0, false},
		{"bytes 5-4/100", 0, 0, 0, false},
		{"bytes -1-4/100", 0, 0, 0, false},
		{"items 0-99/100", 0, 0, 0, false},
		{"bytes 0-99/100, 200-299/300", 0, 0, 0, false},
		{"", 0, 0, 0, false},
	} {
		a, b, n, ok := parseContentRange(tc.in)
		if ok != tc.ok || ok && (a != tc.first || b != tc.last || n != tc.total) {
			t.Errorf("parseContentRange(%q) = %d, %d, %d, %v; want %d, %d, %d, %v", tc.in, a, b, n, ok, tc.first, tc.last, tc.total, tc.ok)
		}
	}
	for _, tc := range []struct {
		total int64
		n     int
		want  []segment
	}{
		{10, 3, []segment{{0, 4}, {4, 8}, {8, 10}}},
		{9, 3, []segment{{0, 3}, {3, 6}, {6, 9}}},
		{2, 4, []segment{{0, 1}, {1, 2}}},
	} {
		if got := split(tc.total, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("split(%d, %d) = %v, want %v", tc.total, tc.n, got, tc.want)
		}
	}
}
