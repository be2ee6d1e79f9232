package mirrors

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// clock is a settable Options.Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// cachedRace sets up two working loopback mirrors raced through
// GOFAST_MIRRORS with a private cache and a fake clock.
func cachedRace(t *testing.T) (a, b *proxytest.Server, opts Options, clk *clock) {
	tree := testTree()
	a = proxytest.New(t, proxytest.Options{FS: tree.FS})
	b = proxytest.New(t, proxytest.Options{FS: tree.FS})
	clk = &clock{t: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)}
	opts = testOptions(t, testSettings(t, testDefaultGOPROXY, "sum.test"), "GOFAST_MIRRORS="+b.URL+","+a.URL)
	opts.Now = clk.now
	return a, b, opts, clk
}

func requests(servers ...*proxytest.Server) int {
	n := 0
	for _, s := range servers {
		n += len(s.Requests())
	}
	return n
}

func TestSelectWarmTouchesNoNetwork(t *testing.T) {
	a, b, opts, clk := cachedRace(t)
	cold, err := Select(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if cold.FromCache || len(cold.Chain.Proxies()) != 2 {
		t.Fatalf("cold Select: FromCache %v chain %q", cold.FromCache, cold.Chain)
	}
	before := requests(a, b)
	if before == 0 {
		t.Fatal("cold Select sent no request")
	}
	clk.t = clk.t.Add(DefaultTTL - time.Second)
	warm, err := Select(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !warm.FromCache || warm.Chain.String() != cold.Chain.String() || !warm.Time.Equal(cold.Time) {
		t.Errorf("warm Select: FromCache %v chain %q (cold %q)", warm.FromCache, warm.Chain, cold.Chain)
	}
	if after := requests(a, b); after != before {
		t.Errorf("warm Select sent %d requests", after-before)
	}

	// Fresh races again even though the ranking is young.
	opts.Fresh = true
	if r, err := Select(context.Background(), opts); err != nil || r.FromCache || requests(a, b) == before {
		t.Errorf("Fresh Select: FromCache %v, err %v, requests %d→%d", r != nil && r.FromCache, err, before, requests(a, b))
	}
}

func TestSelectTTL(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ttlEnv  string
		ttlOpt  time.Duration
		advance time.Duration
		cached  bool
	}{
		{name: "default TTL, young", advance: 9 * time.Minute, cached: true},
		{name: "default TTL, expired", advance: 10 * time.Minute, cached: false},
		{name: "GOFAST_TTL minutes, young", ttlEnv: "30", advance: 29 * time.Minute, cached: true},
		{name: "GOFAST_TTL duration, expired", ttlEnv: "90s", advance: 91 * time.Second, cached: false},
		{name: "GOFAST_TTL=0 disables the cache", ttlEnv: "0", advance: 0, cached: false},
		{name: "Options.TTL wins over GOFAST_TTL", ttlEnv: "1", ttlOpt: time.Hour, advance: 30 * time.Minute, cached: true},
		{name: "clock set back is not trusted", advance: -time.Hour, cached: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b, opts, clk := cachedRace(t)
			if tc.ttlEnv != "" {
				opts.Env = append(opts.Env, "GOFAST_TTL="+tc.ttlEnv)
			}
			opts.TTL = tc.ttlOpt
			if _, err := Select(context.Background(), opts); err != nil {
				t.Fatal(err)
			}
			before := requests(a, b)
			clk.t = clk.t.Add(tc.advance)
			r, err := Select(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.FromCache != tc.cached || (requests(a, b) == before) != tc.cached {
				t.Errorf("FromCache %v, requests %d→%d; want cached %v", r.FromCache, before, requests(a, b), tc.cached)
			}
		})
	}
}

func TestSelectBadTTL(t *testing.T) {
	_, _, opts, _ := cachedRace(t)
	opts.Env = append(opts.Env, "GOFAST_TTL=soon")
	if _, err := Select(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "GOFAST_TTL=soon") {
		t.Fatalf("Select with a bad GOFAST_TTL: %v", err)
	}
}

func TestCacheKeyedByCandidatesAndSumDB(t *testing.T) {
	a, b, opts, _ := cachedRace(t)
	if _, err := Select(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(o *Options){
		"other GOSUMDB":   func(o *Options) { s := *o.Settings; s.GOSUMDB = "sum.other.test"; o.Settings = &s },
		"other order":     func(o *Options) { o.Env = goenv.Environ{"GOFAST_MIRRORS=" + a.URL + "," + b.URL} },
		"other tail":      func(o *Options) { s := *o.Settings; s.GOPROXY = "https://corp.test,off"; o.Settings = &s },
		"other candidate": func(o *Options) { o.Env = goenv.Environ{"GOFAST_MIRRORS=" + a.URL} },
	} {
		o := opts
		change(&o)
		r, err := Select(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if r.FromCache {
			t.Errorf("%s: served the ranking of other inputs", name)
		}
	}
	if r, _ := Select(context.Background(), opts); !r.FromCache {
		t.Errorf("original inputs: ranking not reused")
	}
}

func TestCacheCorruptFileIsAMiss(t *testing.T) {
	a, b, opts, _ := cachedRace(t)
	if _, err := Select(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(opts.CacheDir, "mirrors", "ranking-*.json"))
	if len(files) != 1 {
		t.Fatalf("cache files: %v", files)
	}
	if runtime.GOOS != "windows" {
		if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("cache file mode: %v %v (it may hold credentials)", fi.Mode(), err)
		}
	}
	os.WriteFile(files[0], []byte(`{"format":1,"key":`), 0o600)
	before := requests(a, b)
	r, err := Select(context.Background(), opts)
	if err != nil || r.FromCache || requests(a, b) == before {
		t.Fatalf("torn cache file: FromCache %v err %v", r != nil && r.FromCache, err)
	}
	if r, _ := Select(context.Background(), opts); !r.FromCache {
		t.Errorf("ranking not remembered again after a torn file")
	}
	if left, _ := filepath.Glob(filepath.Join(opts.CacheDir, "mirrors", ".ranking-*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestDemote(t *testing.T) {
	a, b, opts, _ := cachedRace(t)
	r, err := Select(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	// Whichever ranked first is demoted; the other must take its place.
	got := proxyURLs(r.Chain)
	if len(got) != 2 {
		t.Fatalf("chain before Demote = %q", r.Chain)
	}
	first, second := got[0], got[1]
	if err := Demote(opts.CacheDir, first+"/", "zip: connection reset by peer"); err != nil {
		t.Fatal(err)
	}
	before := requests(a, b)
	r, err = Select(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := proxyURLs(r.Chain); !r.FromCache || len(got) != 2 || got[0] != second || got[1] != first {
		t.Errorf("chain after Demote = %q (FromCache %v), want %s first", r.Chain, r.FromCache, second)
	}
	if m := mirrorByURL(t, r.Mirrors, first); m.Demoted != "zip: connection reset by peer" {
		t.Errorf("Demoted = %q", m.Demoted)
	}
	if !strings.Contains(r.Note, "moved to the end") {
		t.Errorf("note does not explain the demotion: %q", r.Note)
	}
	if requests(a, b) != before {
		t.Errorf("Demote or the warm Select used the network")
	}

	// A new race forgets the demotion.
	opts.Fresh = true
	if r, _ = Select(context.Background(), opts); r.FromCache || mirrorByURL(t, r.Mirrors, first).Demoted != "" {
		t.Errorf("fresh race after Demote: chain %q, mirrors %+v", r.Chain, r.Mirrors)
	}

	// Unknown mirrors and missing caches are no error.
	if err := Demote(opts.CacheDir, "https://unknown.test", ""); err != nil {
		t.Error(err)
	}
	if err := Demote(t.TempDir(), a.URL, "x"); err != nil {
		t.Error(err)
	}
	if err := Demote("", a.URL, "x"); err != nil {
		t.Error(err)
	}
}

func TestDemoteKeepsUserOrder(t *testing.T) {
	tree := testTree()
	a := proxytest.New(t, proxytest.Options{FS: tree.FS})
	b := proxytest.New(t, proxytest.Options{FS: tree.FS})
	opts := testOptions(t, testSettings(t, a.URL+"|"+b.URL+",direct", "sum.test"))
	if _, err := Select(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if err := Demote(opts.CacheDir, a.URL, "reset"); err != nil {
		t.Fatal(err)
	}
	r, err := Select(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if want := a.URL + "|" + b.URL + ",direct"; r.Chain.String() != want || !r.FromCache {
		t.Errorf("chain = %q, want the user's %q", r.Chain, want)
	}
}

func TestCacheDir(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" || runtime.GOOS == "ios" || runtime.GOOS == "plan9" {
		t.Skip("checks the XDG rules")
	}
	for _, tc := range []struct {
		env  goenv.Environ
		want string
	}{
		{goenv.Environ{"HOME=/home/u", "XDG_CACHE_HOME=/var/cache/u"}, "/var/cache/u/gofast"},
		{goenv.Environ{"HOME=/home/u", "XDG_CACHE_HOME=relative"}, "/home/u/.cache/gofast"},
		{goenv.Environ{"HOME=/home/u"}, "/home/u/.cache/gofast"},
		{goenv.Environ{}, ""},
	} {
		got, err := CacheDir(tc.env)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("CacheDir(%v) = %q, %v; want %q", tc.env, got, err, tc.want)
		}
	}
}

// TestRankingFileHoldsNoCredentials checks that a remembered race keeps
// no mirror credentials on disk, while the chains built from it still
// carry them (go needs them), before and after a Demote.
func TestRankingFileHoldsNoCredentials(t *testing.T) {
	tree := testTree()
	a := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true})
	b := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true})
	ua := strings.Replace(a.URL, "https://", "https://alice:s3cret-a@", 1)
	ub := strings.Replace(b.URL, "https://", "https://bob:s3cret-b@", 1)
	opts := testOptions(t, testSettings(t, testDefaultGOPROXY, ""), "GOFAST_MIRRORS="+ua+","+ub)
	opts.Client = a.Client() // trusts the certificate both servers use
	clk := &clock{t: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)}
	opts.Now = clk.now

	noSecrets := func(when string) {
		t.Helper()
		filepath.WalkDir(opts.CacheDir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if data, _ := os.ReadFile(p); strings.Contains(string(data), "s3cret") {
					t.Errorf("%s: %s holds a password:\n%s", when, p, data)
				}
			}
			return nil
		})
	}
	cold, err := Select(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := proxyURLs(cold.Chain); len(got) != 2 || !strings.Contains(cold.Chain.String(), "s3cret-a") || !strings.Contains(cold.Chain.String(), "s3cret-b") {
		t.Fatalf("cold chain %q lost the credentials", got)
	}
	noSecrets("after a race")
	warm, err := Select(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !warm.FromCache || warm.Chain.String() != cold.Chain.String() {
		t.Errorf("remembered chain %q (from cache %v), want %q", warm.Chain, warm.FromCache, cold.Chain)
	}
	first := cold.Chain.Proxies()[0].URL
	if err := Demote(opts.CacheDir, first, "Get "+first+"/x: 503"); err != nil {
		t.Fatal(err)
	}
	noSecrets("after a demotion")
	demoted, err := Select(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := proxyURLs(demoted.Chain); len(got) != 2 || got[1] != first {
		t.Errorf("after demoting %s the chain is %q", first, got)
	}
}
