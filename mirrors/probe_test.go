package mirrors

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// zoo starts one loopback mirror of every kind a race must tell apart.
type zoo struct {
	fast, slow, notFound, stalled, broken, portal, html404, badTLS *proxytest.Server
	refused                                                        string
}

func startZoo(t *testing.T) *zoo {
	tree := testTree()
	empty := proxytest.MustBuild(proxytest.Module{Path: "example.com/unrelated", Version: "v1.0.0"})
	return &zoo{
		fast:     proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup}),
		slow:     proxytest.New(t, proxytest.Options{FS: tree.FS, Latency: 300 * time.Millisecond}),
		notFound: proxytest.New(t, proxytest.Options{FS: empty.FS}),
		stalled:  proxytest.New(t, proxytest.Options{FS: tree.FS, Stall: true}),
		broken:   proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: faultAll(proxytest.Fault{Kind: proxytest.Status, Status: 500, Body: []byte("upstream exploded")})}),
		portal:   proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: faultAll(proxytest.Fault{Kind: proxytest.Body, Body: []byte("<!DOCTYPE html><html><body>Please log in to the hotel Wi-Fi</body></html>")})}),
		html404: proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: faultAll(proxytest.Fault{Kind: proxytest.Status, Status: 404,
			Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html><h1>Not Found</h1></html>")})}),
		badTLS:  proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true}),
		refused: closedPortURL(t),
	}
}

func (z *zoo) all() []string {
	return []string{z.stalled.URL, z.slow.URL, z.broken.URL, z.notFound.URL, z.portal.URL, z.refused, z.badTLS.URL, z.html404.URL, z.fast.URL}
}

func TestProbeTellsMirrorsApart(t *testing.T) {
	t.Parallel()
	z := startZoo(t)
	s := testSettings(t, "https://corp.test,direct", "sum.test")
	opts := testOptions(t, s)
	// The stalled mirror is in TestProbeBoundedByDeadline; without it
	// this race ends as soon as the slowest mirror answers.
	var live []string
	for _, u := range z.all() {
		if u != z.stalled.URL {
			live = append(live, u)
		}
	}
	cands, err := ParseList(strings.Join(live, ","))
	if err != nil {
		t.Fatal(err)
	}
	ms := Probe(context.Background(), opts, cands)
	if len(ms) != len(cands) {
		t.Fatalf("got %d results for %d candidates", len(ms), len(cands))
	}
	for _, tc := range []struct {
		url       string
		ok, found bool
		status    int
		err       string
		sumdb     bool
	}{
		{url: z.fast.URL, ok: true, found: true, status: 200, sumdb: true},
		{url: z.slow.URL, ok: true, found: true, status: 200},
		{url: z.notFound.URL, ok: true, status: 404},
		{url: z.broken.URL, status: 500, err: "answered 500 Internal Server Error"},
		{url: z.portal.URL, status: 200, err: "HTML page, not a module proxy"},
		{url: z.html404.URL, status: 404, err: "HTML page"},
		{url: z.badTLS.URL, err: "TLS certificate not accepted"},
		{url: z.refused, err: "cannot connect"},
	} {
		m := mirrorByURL(t, ms, tc.url)
		if m.OK != tc.ok || m.Found != tc.found || m.Status != tc.status || m.SumDB != tc.sumdb {
			t.Errorf("%s: OK %v Found %v Status %d SumDB %v, want %v %v %d %v (err %q)", tc.url, m.OK, m.Found, m.Status, m.SumDB, tc.ok, tc.found, tc.status, tc.sumdb, m.Err)
		}
		if (tc.err == "") != (m.Err == "") || !strings.Contains(m.Err, tc.err) {
			t.Errorf("%s: Err %q, want containing %q", tc.url, m.Err, tc.err)
		}
		if m.OK && m.TTFB <= 0 {
			t.Errorf("%s: no TTFB measured", tc.url)
		}
	}
	// The emulated latency is a floor the slow mirror cannot beat: one
	// round trip to connect and one to answer.
	if slow := mirrorByURL(t, ms, z.slow.URL); slow.TTFB < 540*time.Millisecond {
		t.Errorf("slow mirror TTFB %v is below its emulated 600ms floor", slow.TTFB)
	}
	if slow := mirrorByURL(t, ms, z.slow.URL); slow.Connect <= 0 {
		t.Errorf("slow mirror: connect time not measured")
	}

	// The same race through Select ranks and chains it.
	opts.Env = goenv.Environ{"GOFAST_MIRRORS=" + cands.String()}
	opts.CacheDir = ""
	r, err := Select(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := z.fast.URL + "|" + z.slow.URL + "|" + z.notFound.URL + ",direct"
	if got := r.Chain.String(); got != want {
		t.Errorf("chain = %q, want %q\nnote: %s", got, want, r.Note)
	}
	if r.Fallback || r.FromCache {
		t.Errorf("Fallback %v FromCache %v", r.Fallback, r.FromCache)
	}
}

// TestProbeBoundedByDeadline races every kind of mirror at once with the
// default deadline: the stalled one costs the deadline, not more.
func TestProbeBoundedByDeadline(t *testing.T) {
	t.Parallel()
	z := startZoo(t)
	opts := testOptions(t, testSettings(t, "https://corp.test,direct", "sum.test"))
	opts.Deadline = 0 // DefaultDeadline, 1.5s
	cands, err := ParseList(strings.Join(z.all(), ","))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ms := Probe(context.Background(), opts, cands)
	elapsed := time.Since(start)
	// A generous bound around the deadline, for loaded machines; not a
	// speed claim.
	if elapsed > 2*time.Second {
		t.Errorf("Probe took %v with a %v deadline", elapsed, DefaultDeadline)
	}
	if m := mirrorByURL(t, ms, z.stalled.URL); m.OK || m.Err != "no answer within 1.5s (request sent, no answer)" {
		t.Errorf("stalled mirror: OK %v Err %q", m.OK, m.Err)
	}
	if m := mirrorByURL(t, ms, z.fast.URL); !m.OK {
		t.Errorf("fast mirror: %q", m.Err)
	}
}

func TestProbeNeverSendsPrivatePaths(t *testing.T) {
	srv := proxytest.New(t, proxytest.Options{FS: testTree().FS})
	s := testSettings(t, srv.URL+",direct", "sum.test")
	s.GOPRIVATE = "golang.org/x,example.com"
	opts := testOptions(t, s)
	opts.ProbeModule.Path = "" // let gofast choose
	r, err := Select(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range srv.Requests() {
		if strings.Contains(p, "golang.org/x") || strings.Contains(p, "example.com") {
			t.Errorf("private path sent to a mirror: %s", p)
		}
	}
	if n := srv.Count(".info"); n != 1 {
		t.Errorf("%d .info requests, want 1 (for a fallback probe module): %v", n, srv.Requests())
	}
	if !r.Mirrors[0].OK {
		t.Errorf("mirror answering 404 for the fallback probe should be alive: %+v", r.Mirrors[0])
	}

	// An explicit probe module inside the private patterns is refused.
	opts.ProbeModule = testProbe
	before := len(srv.Requests())
	if _, err := Select(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "GOPRIVATE/GONOPROXY") {
		t.Errorf("Select with a private probe module: %v", err)
	}
	if len(srv.Requests()) != before {
		t.Errorf("a private probe module reached the mirror: %v", srv.Requests()[before:])
	}
}

func TestProbeRedactsCredentials(t *testing.T) {
	t.Parallel()
	z := startZoo(t)
	withCreds := func(u string) string { return strings.Replace(u, "://", "://gofast:s3cret@", 1) }
	cands, _ := ParseList(withCreds(z.stalled.URL) + "," + withCreds(z.refused) + "," + withCreds(z.badTLS.URL))
	opts := testOptions(t, testSettings(t, "https://corp.test", ""))
	opts.Env = goenv.Environ{"GOFAST_MIRRORS=" + cands.String()}
	ms := Probe(context.Background(), opts, cands)
	for _, m := range ms {
		if m.Err == "" || strings.Contains(m.Err, "s3cret") {
			t.Errorf("%s: Err %q", m.URL, m.Err)
		}
	}
	r, err := Select(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Fallback || strings.Contains(r.Note, "s3cret") {
		t.Errorf("Fallback %v, note %q", r.Fallback, r.Note)
	}
}

func TestProbeThroughput(t *testing.T) {
	t.Parallel()
	tree := testTree()
	const bw = 2 << 20
	paced := proxytest.New(t, proxytest.Options{FS: tree.FS, Bandwidth: bw})
	endless := proxytest.New(t, proxytest.Options{FS: tree.FS, Bandwidth: bw, Fault: func(r *http.Request) proxytest.Fault {
		if strings.HasSuffix(r.URL.Path, ".zip") {
			return proxytest.Fault{Kind: proxytest.Endless}
		}
		return proxytest.Fault{}
	}})
	zipFail := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: func(r *http.Request) proxytest.Fault {
		if strings.HasSuffix(r.URL.Path, ".zip") {
			return proxytest.Fault{Kind: proxytest.Status, Status: 503, Body: []byte("busy")}
		}
		return proxytest.Fault{}
	}})
	opts := testOptions(t, testSettings(t, "https://corp.test", ""))
	opts.Throughput = true
	opts.ThroughputTime = 500 * time.Millisecond
	cands, _ := ParseList(paced.URL + "," + endless.URL + "," + zipFail.URL)

	start := time.Now()
	ms := Probe(context.Background(), opts, cands)
	if d := time.Since(start); d > opts.deadline()+3*opts.ThroughputTime+time.Second {
		t.Errorf("Probe with throughput took %v: samples not bounded", d)
	}
	for _, u := range []string{paced.URL, endless.URL} {
		m := mirrorByURL(t, ms, u)
		t.Logf("%s: %.0f B/s", u, m.Throughput)
		// The emulated link is a ceiling no sample can beat (with slack
		// for the first chunk); there is no floor, machines vary.
		if !m.OK || m.Throughput <= 0 || m.Throughput > 2*bw {
			t.Errorf("%s: OK %v throughput %.0f B/s with a %d B/s link (err %q)", u, m.OK, m.Throughput, bw, m.Err)
		}
	}
	if m := mirrorByURL(t, ms, zipFail.URL); !m.OK || m.Throughput != 0 || !strings.Contains(m.Err, "503") {
		t.Errorf("zip failing mirror: %+v", m)
	}
	if n := paced.Count(".zip"); n != 1 {
		t.Errorf("%d zip requests, want 1", n)
	}
}

func TestProbeSkipsDirectOffAndFiles(t *testing.T) {
	srv := proxytest.New(t, proxytest.Options{FS: testTree().FS})
	cands, _ := ParseList("file:///nonexistent/bundle|" + srv.URL + "|" + srv.URL + "/,direct")
	ms := Probe(context.Background(), testOptions(t, testSettings(t, "off", "")), cands)
	if len(ms) != 2 || !ms[0].Local || !ms[0].OK || ms[0].Status != 0 || !ms[1].Found {
		t.Fatalf("results: %+v", ms)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests for one mirror listed twice: %v", n, srv.Requests())
	}
}

func TestSelectCanceled(t *testing.T) {
	t.Parallel()
	z := startZoo(t)
	opts := testOptions(t, testSettings(t, z.stalled.URL+"|"+z.fast.URL+",direct", ""))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(z.stalled.Requests()) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := Select(ctx, opts); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("Select after cancel: %v", err)
	}
	// Nothing learned from an interrupted race is remembered.
	r, err := Select(context.Background(), opts)
	if err != nil || r.FromCache {
		t.Fatalf("after a canceled race: FromCache %v, %v", r != nil && r.FromCache, err)
	}
}

func TestClassify(t *testing.T) {
	info := `{"Version":"v1.0.0","Time":"2024-01-02T03:04:05Z"}`
	for _, tc := range []struct {
		name   string
		status int
		ctype  string
		body   string
		want   string // "" for a module proxy's answer, else a substring of the reason
	}{
		{name: "info", status: 200, ctype: "application/json", body: info},
		{name: "info without type", status: 200, body: info},
		{name: "info of another version", status: 200, body: `{"Version":"v1.0.1"}`, want: "not the module's .info"},
		{name: "garbage", status: 200, body: "\x00\x01binary", want: "not the module's .info"},
		{name: "huge", status: 200, body: `{"Version":"v1.0.0","X":"` + strings.Repeat("x", maxInfoBody) + `"}`, want: "not the module's .info"},
		// go never looks at the declared type: a valid .info served as
		// text/html is a proxy's answer, a page is not whatever its type.
		{name: "info declared text/html", status: 200, ctype: "text/html; charset=utf-8", body: info},
		{name: "portal sniffed", status: 200, body: "  <html><body>login</body></html>", want: "HTML page"},
		{name: "portal after a byte order mark", status: 200, ctype: "application/json", body: "\ufeff\n<!doctype html><p>log in", want: "HTML page"},
		{name: "404 one line", status: 404, ctype: "text/plain", body: "not found: unknown revision v1.0.0"},
		{name: "410 empty", status: 410},
		{name: "404 web page", status: 404, body: "<!DOCTYPE html><html>nope</html>", want: "HTML page"},
		{name: "404 long", status: 404, body: strings.Repeat("no ", maxNotFoundBody), want: "long body"},
		{name: "403", status: 403, body: "forbidden", want: "the netrc file has none"},
		{name: "502", status: 502, body: "bad gateway", want: "answered 502 Bad Gateway"},
		{name: "429", status: 429, want: "answered 429 Too Many Requests"},
		{name: "302 not followed", status: 302, want: "answered 302 Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.status, Status: fmt.Sprintf("%d %s", tc.status, http.StatusText(tc.status)),
				Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tc.body))}
			if tc.ctype != "" {
				resp.Header.Set("Content-Type", tc.ctype)
			}
			got := classify(resp, testProbe)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("classify = %q, want %q", got, tc.want)
			}
		})
	}
}
