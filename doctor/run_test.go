package doctor

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
	"github.com/gofastdev/gofast/mirrors"
)

var probeMod = module.Version{Path: "example.com/probe", Version: "v1.0.0"}

func TestRunReportsEachFaultAtItsLayer(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: probeMod.Path, Version: probeMod.Version})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true, SumDB: "sum.test", Lookup: tree.Lookup})
	portal := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true, Fault: func(*http.Request) proxytest.Fault {
		return proxytest.Fault{Kind: proxytest.Body, Body: []byte("<!DOCTYPE html><html><body>Please log in to the hotel Wi-Fi</body></html>")}
	}})
	stall := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true, Stall: true})

	ca := newTestCA(t)
	now := time.Now()
	wrongName := tlsServer(t, ca.issue(t, []string{"other.test"}, now.Add(-time.Hour), now.Add(30*24*time.Hour)))
	expired := tlsServer(t, ca.issue(t, []string{"expired.test"}, now.Add(-48*time.Hour), now.Add(-24*time.Hour)))
	roots := serverRoots(t, good)
	roots.AddCert(ca.cert)

	urls := map[string]string{
		"nxdomain":  "https://nx.example.com",
		"refused":   "https://refused.example.com:" + refusedPort(t),
		"silent":    "https://silent.example.com:" + silentServer(t),
		"wrongname": "https://wrongname.test:" + wrongName,
		"expired":   "https://expired.test:" + expired,
		"portal":    "https://portal.example.com:" + serverPort(portal),
		"stall":     "https://stall.example.com:" + serverPort(stall),
		"good":      "https://good.example.com:" + serverPort(good),
	}
	order := []string{"nxdomain", "refused", "silent", "wrongname", "expired", "portal", "stall", "good"}
	var chain []string
	for _, k := range order {
		chain = append(chain, urls[k])
	}
	resolver := testResolver{}
	for _, h := range []string{"refused.example.com", "silent.example.com", "wrongname.test", "expired.test",
		"portal.example.com", "stall.example.com", "good.example.com"} {
		resolver[h] = []string{"127.0.0.1"}
	}

	st := testSettings(t, strings.Join(chain, "|")+",direct", good.GOSUMDB, "", "")
	budget := DefaultTimeout
	start := time.Now()
	r, err := Run(context.Background(), Options{
		Settings: st, Env: goenv.Environ{"HOME=" + t.TempDir()}, Resolver: resolver, Dialer: &loopbackDialer{},
		RootCAs: roots, ProbeModule: probeMod, Timeout: budget,
	})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	text := reportText(r)
	t.Logf("Run took %v\n%s", elapsed, text)
	if limit := budget + 2*time.Second; elapsed > limit {
		t.Errorf("Run took %v, more than %v", elapsed, limit)
	}

	want := []struct {
		name   string
		layer  Layer
		detail string
	}{
		{"nxdomain", LayerDNS, "no such host"},
		{"refused", LayerTCP, "connection refused"},
		{"silent", LayerTLS, "no answer within"},
		{"wrongname", LayerTLS, "certificate is for other.test, not wrongname.test"},
		{"expired", LayerTLS, "expired on"},
		{"portal", LayerProxy, "answered HTML, not a module proxy (captive portal or login page?)"},
		{"stall", LayerHTTP, "no response within"},
	}
	layers := []Layer{LayerDNS, LayerTCP, LayerTLS, LayerHTTP, LayerProxy, LayerSumDB}
	for _, w := range want {
		c := find(t, r, urls[w.name], w.layer)
		if c.OK || c.Status != Fail || !strings.Contains(c.Detail, w.detail) {
			t.Errorf("%s: %s check = %s %q, want FAIL containing %q", w.name, w.layer, c.Status, c.Detail, w.detail)
		}
		// Every layer below the failing one passed; none above was tried.
		below := true
		for _, l := range layers {
			if l == w.layer {
				below = false
				continue
			}
			if below {
				if c := find(t, r, urls[w.name], l); !c.OK {
					t.Errorf("%s: %s below the failing %s is %s: %s", w.name, l, w.layer, c.Status, c.Detail)
				}
			} else if has(r, urls[w.name], l) {
				t.Errorf("%s: %s checked above the failing %s", w.name, l, w.layer)
			}
		}
	}
	for _, l := range layers {
		c := find(t, r, urls["good"], l)
		if !c.OK || c.Status != Pass {
			t.Errorf("healthy mirror: %s = %s %q", l, c.Status, c.Detail)
		}
	}
	if c := find(t, r, urls["good"], LayerSumDB); !strings.Contains(c.Detail, "serves the checksum database sum.test") {
		t.Errorf("healthy mirror sumdb detail = %q", c.Detail)
	}

	// The verdict: the stalled mirror makes every download hang, and the
	// fix keeps only the working mirror, in the user's order.
	if r.OK() || len(r.Verdict) == 0 {
		t.Fatalf("verdict has no error:\n%s", text)
	}
	first := r.Verdict[0]
	if first.Severity != SeverityError || first.Target != urls["stall"] || !strings.Contains(first.Message, "downloads hang") {
		t.Errorf("first finding = %+v, want the stalled mirror hanging downloads", first)
	}
	if wantFix := "go env -w GOPROXY='" + urls["good"] + ",direct'"; first.Fix != wantFix {
		t.Errorf("fix = %q, want %q", first.Fix, wantFix)
	}

	// --json carries the documented fields.
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Checks  []map[string]any `json:"checks"`
		Verdict []map[string]any `json:"verdict"`
	}
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	for _, c := range decoded.Checks {
		for _, k := range []string{"layer", "target", "ok", "ms", "detail"} {
			if _, ok := c[k]; !ok {
				t.Fatalf("JSON check lacks %q: %v", k, c)
			}
		}
	}
	if len(decoded.Verdict) == 0 || decoded.Verdict[0]["fix"] == nil {
		t.Errorf("JSON verdict = %v", decoded.Verdict)
	}
}

func TestRunHealthyMirrorIsAllGoodAndRedacted(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: probeMod.Path, Version: probeMod.Version})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true, SumDB: "sum.test", Lookup: tree.Lookup})
	mirror := "https://alice:s3cret@good.example.com:" + serverPort(good)
	st := testSettings(t, mirror+",direct", good.GOSUMDB, "", "")
	r, err := Run(context.Background(), Options{
		Settings: st, Resolver: testResolver{"good.example.com": {"127.0.0.1"}}, Dialer: &loopbackDialer{},
		RootCAs: serverRoots(t, good), ProbeModule: probeMod, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	text := reportText(r)
	data, _ := json.Marshal(r)
	if strings.Contains(text, "s3cret") || strings.Contains(string(data), "s3cret") {
		t.Fatalf("password leaked:\n%s\n%s", text, data)
	}
	if !r.OK() || len(r.Verdict) != 1 || r.Verdict[0].Severity != SeverityOK || !strings.HasPrefix(r.Verdict[0].Message, "all good") {
		t.Fatalf("healthy setup verdict = %+v\n%s", r.Verdict, text)
	}
	redacted := "https://alice:xxxxx@good.example.com:" + serverPort(good)
	for _, l := range []Layer{LayerDNS, LayerTCP, LayerTLS, LayerHTTP, LayerProxy, LayerSumDB} {
		if c := find(t, r, redacted, l); c.Status != Pass {
			t.Errorf("%s = %s %q", l, c.Status, c.Detail)
		}
	}
	// The credentials in the URL reached the mirror as go sends them.
	if good.Count(".info") != 1 {
		t.Errorf("mirror saw %d .info requests, want 1: %v", good.Count(".info"), good.Requests())
	}
	if c := find(t, r, "checksum database sum.test", LayerSumDB); c.Status != Pass || !strings.Contains(c.Detail, "through "+redacted) {
		t.Errorf("sumdb route = %s %q", c.Status, c.Detail)
	}
}

func TestRunBudgetBoundsEverything(t *testing.T) {
	// Every target hangs at some layer; a short budget must still bound
	// the run, with the module cache's lock scan hanging too.
	tree := proxytest.MustBuild(proxytest.Module{Path: probeMod.Path, Version: probeMod.Version})
	stall := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true, Stall: true})
	st := testSettings(t, "https://stall.example.com:"+serverPort(stall)+"|https://silent.example.com:"+silentServer(t), "off", "", "")
	budget := 2 * time.Second
	start := time.Now()
	r, err := Run(context.Background(), Options{
		Settings: st, Dialer: &loopbackDialer{}, RootCAs: serverRoots(t, stall), ProbeModule: probeMod, Timeout: budget,
		Resolver: testResolver{"stall.example.com": {"127.0.0.1"}, "silent.example.com": {"127.0.0.1"}},
		LockScan: func(ctx context.Context, root string) (string, []string, error) {
			<-ctx.Done()
			return "", nil, ctx.Err()
		},
	})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Run took %v with a %v budget", elapsed, budget)
	if limit := budget + time.Second; elapsed > limit {
		t.Errorf("Run took %v with a %v budget", elapsed, budget)
	}
	if r.OK() {
		t.Errorf("verdict OK with every mirror hanging:\n%s", reportText(r))
	}
	c := r.Checks[len(r.Checks)-1]
	if c.Layer != LayerCache || c.Status == Pass {
		t.Errorf("hung lock scan reported as %s %q", c.Status, c.Detail)
	}
}

func TestRunNeedsSettings(t *testing.T) {
	if _, err := Run(context.Background(), Options{}); err == nil {
		t.Fatal("Run without settings succeeded")
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st := testSettings(t, "https://x.example.com", "off", "", "")
	if _, err := Run(ctx, Options{Settings: st, Resolver: testResolver{}, Dialer: &loopbackDialer{}}); err == nil {
		t.Fatal("cancelled Run returned no error")
	}
}

func TestProbeModuleAvoidsPrivatePaths(t *testing.T) {
	o, err := Options{Settings: &goenv.Settings{GOPRIVATE: "golang.org"}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.ProbeModule == mirrors.DefaultProbeModule || o.Settings.NoProxy(o.ProbeModule.Path) {
		t.Errorf("probe module %v with GOPRIVATE=golang.org", o.ProbeModule)
	}
	o, _ = Options{Settings: &goenv.Settings{GOPRIVATE: "*"}}.withDefaults()
	if o.ProbeModule != mirrors.DefaultProbeModule {
		t.Errorf("probe module %v with GOPRIVATE=*, want the default (never sent)", o.ProbeModule)
	}
	o, _ = Options{Settings: &goenv.Settings{}}.withDefaults()
	if o.ProbeModule != mirrors.DefaultProbeModule {
		t.Errorf("probe module %v, want the default", o.ProbeModule)
	}
}
