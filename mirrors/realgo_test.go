package mirrors

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goproxy/goproxy"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// mainModule is the module the real go tool downloads for: lib/v2, which
// needs dep, both from testModules.
const mainModule = "module example.com/main\n\ngo 1.21\n\nrequire example.com/lib/v2 v2.1.0\n\nrequire example.com/dep v1.0.0 // indirect\n"

// goDownload runs the real `go mod download` and `go mod verify` for
// mainModule with GOPROXY=chain, isolated from the user's caches and
// settings, verifying against sumdbServer's checksum database, within a
// minute, so that a stall fails the test instead of hanging it.
func goDownload(t *testing.T, chain string, sumdbServer *proxytest.Server) (modcache string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	dir, modcache := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mainModule), 0o666); err != nil {
		t.Fatal(err)
	}
	env := append(proxytest.GoEnv(os.Environ(), sumdbServer, modcache),
		"GOPROXY="+chain,
		"GOFLAGS=-mod=mod -modcacherw",
		"GOPATH="+t.TempDir(), // go keeps checksum-database state in GOPATH/pkg/sumdb
		"GOCACHE="+t.TempDir(),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, args := range [][]string{{"mod", "download"}, {"mod", "verify"}} {
		cmd := exec.CommandContext(ctx, goTool, args...)
		cmd.Dir, cmd.Env, cmd.WaitDelay = dir, env, time.Second
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s with GOPROXY=%s after %v: %v (ctx: %v)\n%s", strings.Join(args, " "), chain, time.Since(start).Round(time.Millisecond), err, ctx.Err(), out)
		}
		if args[1] == "verify" && !strings.Contains(string(out), "all modules verified") {
			t.Fatalf("go mod verify: %s", out)
		}
	}
	return modcache
}

// checkZipHashes checks that the module cache holds exactly the zips the
// test tree built.
func checkZipHashes(t *testing.T, modcache string, tree *proxytest.Tree) {
	t.Helper()
	for _, mv := range []string{"example.com/dep@v1.0.0", "example.com/lib/v2@v2.1.0"} {
		p, v, _ := strings.Cut(mv, "@")
		got, err := os.ReadFile(filepath.Join(modcache, "cache", "download", filepath.FromSlash(p), "@v", v+".ziphash"))
		if err != nil || strings.TrimSpace(string(got)) != tree.Sum[p+" "+v] {
			t.Errorf("%s: ziphash %q (%v), want %s", mv, got, err, tree.Sum[p+" "+v])
		}
	}
}

// loopbackOnly is a transport that refuses every address but loopback, so
// that a misconfigured test fails instead of reaching the internet.
func loopbackOnly() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("test transport: %s is not loopback", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
	}
}

// TestRealGoproxyRankedAndUsed runs github.com/goproxy/goproxy in process,
// serving a GOPROXY tree from disk through its DirCacher, with its fetcher
// and checksum-database proxy pointed at a loopback upstream. gofast races
// it against emulated mirrors; the real go tool then downloads and
// verifies through the chosen chain.
func TestRealGoproxyRankedAndUsed(t *testing.T) {
	t.Parallel()
	tree := testTree()
	upstream := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	disk := t.TempDir()
	if err := tree.WriteDir(disk); err != nil {
		t.Fatal(err)
	}
	g := &goproxy.Goproxy{
		Fetcher: &goproxy.GoFetcher{
			// Only the upstream: no direct fetches, no checksum database
			// of its own (the go tool verifies), nothing from os.Environ.
			Env:       []string{"GOPROXY=" + upstream.URL, "GOSUMDB=off", "GONOPROXY=", "GOPRIVATE="},
			GoBin:     filepath.Join(t.TempDir(), "no-go-here"),
			TempDir:   t.TempDir(),
			Transport: loopbackOnly(),
		},
		ProxiedSumDBs: []string{"sum.test " + upstream.URL + "/sumdb/sum.test"},
		Cacher:        goproxy.DirCacher(disk),
		TempDir:       t.TempDir(),
		Transport:     loopbackOnly(),
		ErrorLogger:   log.New(io.Discard, "", 0),
	}
	var zips atomic.Int64
	real := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".zip") {
			zips.Add(1)
		}
		g.ServeHTTP(w, r)
	}))
	t.Cleanup(real.Close)

	slow := proxytest.New(t, proxytest.Options{FS: tree.FS, Latency: 300 * time.Millisecond})
	stalled := proxytest.New(t, proxytest.Options{FS: tree.FS, Stall: true})
	broken := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: faultAll(proxytest.Fault{Kind: proxytest.Status, Status: 502, Body: []byte("bad gateway")})})

	opts := testOptions(t, testSettings(t, "off", upstream.GOSUMDB),
		"GOFAST_MIRRORS="+strings.Join([]string{slow.URL, stalled.URL, real.URL, broken.URL}, ","))
	r, err := Select(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := real.URL + "|" + slow.URL + ",off"
	if r.Chain.String() != want || r.Fallback {
		t.Fatalf("chain = %q, want %q\nnote: %s\nmirrors: %+v", r.Chain, want, r.Note, r.Mirrors)
	}
	if m := mirrorByURL(t, r.Mirrors, real.URL); !m.Found || !m.SumDB {
		t.Errorf("goproxy: Found %v SumDB %v (%s)", m.Found, m.SumDB, m.Err)
	}
	if m := mirrorByURL(t, r.Mirrors, slow.URL); m.SumDB {
		t.Errorf("emulated mirror without a checksum database reported SumDB")
	}

	modcache := goDownload(t, r.Chain.String(), upstream)
	checkZipHashes(t, modcache, tree)
	if zips.Load() == 0 {
		t.Errorf("go downloaded no zip from goproxy, the first mirror in the chain")
	}
	if n := slow.Count(".zip"); n != 0 {
		t.Errorf("go fell through to the slow mirror for %d zips", n)
	}
	if n := upstream.Count(".zip"); n != 0 {
		t.Errorf("goproxy fetched %d zips upstream instead of serving its disk cache", n)
	}
	lookups := 0
	for _, p := range upstream.Requests() {
		if strings.Contains(p, "/sumdb/sum.test/lookup/") {
			lookups++
		}
	}
	if lookups == 0 {
		t.Errorf("go did not verify through goproxy's checksum-database proxy; upstream saw %v", upstream.Requests())
	}
}

// TestStalledMirrorLeftOutAndGoDownloads is the scenario: with a
// mirror that accepts connections and never answers, go alone makes no
// progress; gofast's chain leaves it out and go completes.
func TestStalledMirrorLeftOutAndGoDownloads(t *testing.T) {
	t.Parallel()
	tree := testTree()
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup, Latency: 20 * time.Millisecond})
	stalled := proxytest.New(t, proxytest.Options{FS: tree.FS, Stall: true})

	for _, tc := range []struct {
		name, goproxy string
		env           []string
	}{
		{name: "GOFAST_MIRRORS stalled,good", goproxy: "off", env: []string{"GOFAST_MIRRORS=" + stalled.URL + "," + good.URL}},
		{name: "GOPROXY stalled|good", goproxy: stalled.URL + "|" + good.URL + ",off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions(t, testSettings(t, tc.goproxy, good.GOSUMDB), tc.env...)
			start := time.Now()
			r, err := Select(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > opts.Deadline+time.Second {
				t.Errorf("Select took %v with a %v deadline", d, opts.Deadline)
			}
			if want := good.URL + ",off"; r.Chain.String() != want {
				t.Fatalf("chain = %q, want %q (note: %s)", r.Chain, want, r.Note)
			}
			stalledBefore := len(stalled.Requests())
			modcache := goDownload(t, r.Chain.String(), good)
			checkZipHashes(t, modcache, tree)
			if n := len(stalled.Requests()) - stalledBefore; n != 0 {
				t.Errorf("go sent %d requests to the stalled mirror", n)
			}
		})
	}
}
