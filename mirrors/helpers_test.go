package mirrors

import (
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/module"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// testDefaultGOPROXY stands in for the toolchain's default in a fake
// GOROOT, so tests never name (or reach) go's real default proxy.
const testDefaultGOPROXY = "https://default.proxy.test,direct"

// testProbe is the neutral module the test mirrors are asked for. Its zip
// is big enough for a throughput sample to take a few emulated chunks.
var testProbe = module.Version{Path: "example.com/probe", Version: "v1.0.0"}

// testModules are what the test mirrors serve: the probe module and a
// small module graph for the real go tool to download.
func testModules() []proxytest.Module {
	return []proxytest.Module{
		{Path: testProbe.Path, Version: testProbe.Version, Files: map[string]string{
			"probe.go": "package probe\n", "blob.txt": noise(512 << 10),
		}},
		{Path: "example.com/dep", Version: "v1.0.0"},
		{Path: "example.com/lib/v2", Version: "v2.1.0", GoMod: "module example.com/lib/v2\n\ngo 1.21\n\nrequire example.com/dep v1.0.0\n"},
	}
}

// testTree is the GOPROXY tree of testModules, built once: servers only
// read it.
var testTree = sync.OnceValue(func() *proxytest.Tree { return proxytest.MustBuild(testModules()...) })

// noise returns n bytes of text that does not compress much, so that a
// zip carrying it is about as big as it.
func noise(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	const digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(len(digits))]
		if i%80 == 79 {
			b[i] = '\n'
		}
	}
	return string(b)
}

// fakeGoroot writes a GOROOT holding only go.env, which is all
// Settings.DefaultGOPROXY reads.
func fakeGoroot(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	env := "# test toolchain defaults\nGOPROXY=" + testDefaultGOPROXY + "\nGOSUMDB=sum.test\nGOTOOLCHAIN=local\n"
	if err := os.WriteFile(filepath.Join(dir, "go.env"), []byte(env), 0o666); err != nil {
		t.Fatal(err)
	}
	return dir
}

// testSettings returns go settings with the given GOPROXY and GOSUMDB and
// a fake GOROOT.
func testSettings(t testing.TB, goproxy, gosumdb string) *goenv.Settings {
	t.Helper()
	return &goenv.Settings{GOPROXY: goproxy, GOSUMDB: gosumdb, GOROOT: fakeGoroot(t)}
}

// testOptions are Options for racing loopback mirrors: the test probe
// module, a private cache and an environment without proxies.
func testOptions(t testing.TB, s *goenv.Settings, env ...string) Options {
	t.Helper()
	return Options{
		Settings:    s,
		Env:         goenv.Environ(env),
		CacheDir:    t.TempDir(),
		ProbeModule: testProbe,
		// Generous, so that loopback mirrors on a loaded machine (the
		// race detector, parallel test binaries) still answer in time.
		Deadline: 2 * time.Second,
	}
}

// closedPortURL returns an http URL on which nothing listens: a port that
// was just bound and released.
func closedPortURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// faultAll answers every request with f.
func faultAll(f proxytest.Fault) func(*http.Request) proxytest.Fault {
	return func(*http.Request) proxytest.Fault { return f }
}

// mirrorByURL finds a mirror's result.
func mirrorByURL(t testing.TB, ms []Mirror, u string) Mirror {
	t.Helper()
	for _, m := range ms {
		if m.URL == u {
			return m
		}
	}
	t.Fatalf("no result for %s in %+v", u, ms)
	return Mirror{}
}

// proxyURLs lists a chain's proxy URLs.
func proxyURLs(l List) []string {
	var out []string
	for _, e := range l.Proxies() {
		out = append(out, e.URL)
	}
	return out
}
