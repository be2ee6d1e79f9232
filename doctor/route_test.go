package doctor

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// connectProxy is an HTTP proxy that tunnels CONNECT requests to names it
// maps to loopback ports, optionally requiring credentials.
type connectProxy struct {
	routes   map[string]string // "host:port" -> loopback address
	user     string            // "user:password" required when non-empty
	mu       sync.Mutex
	connects []string
}

func (p *connectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "only CONNECT", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	p.connects = append(p.connects, r.Host)
	p.mu.Unlock()
	if p.user != "" && r.Header.Get("Proxy-Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte(p.user)) {
		w.Header().Set("Proxy-Authenticate", `Basic realm="test"`)
		http.Error(w, "auth", http.StatusProxyAuthRequired)
		return
	}
	addr, ok := p.routes[r.Host]
	if !ok {
		http.Error(w, "no route", http.StatusBadGateway)
		return
	}
	up, err := net.Dial("tcp", addr)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusOK)
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		return
	}
	go func() { io.Copy(up, buf); up.Close() }()
	io.Copy(conn, up)
	conn.Close()
}

func (p *connectProxy) start(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestRunThroughHTTPSProxy(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: probeMod.Path, Version: probeMod.Version})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true})
	hostport := "good.example.com:" + serverPort(good)
	cp := &connectProxy{routes: map[string]string{hostport: "127.0.0.1:" + serverPort(good)}, user: "u:pw"}
	proxyURL := cp.start(t)
	proxyWithCreds := strings.Replace(proxyURL, "http://", "http://u:pw@", 1)

	run := func(env goenv.Environ) *Report {
		t.Helper()
		st := testSettings(t, "https://"+hostport+",direct", "off", "", "")
		// The resolver does not know the mirror: through the proxy, only
		// the proxy resolves it.
		r, err := Run(context.Background(), Options{
			Settings: st, Env: env, Resolver: testResolver{}, Dialer: &loopbackDialer{},
			RootCAs: serverRoots(t, good), ProbeModule: probeMod, Timeout: 5 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	r := run(goenv.Environ{"HTTPS_PROXY=" + proxyWithCreds})
	target := "https://" + hostport
	if c := find(t, r, target, LayerTCP); c.Status != Pass || !strings.Contains(c.Detail, "CONNECT "+hostport+": 200") {
		t.Errorf("tcp = %s %q", c.Status, c.Detail)
	}
	if c := find(t, r, target, LayerHTTP); c.Status != Pass || !strings.Contains(c.Detail, "through http://u:xxxxx@127.0.0.1") {
		t.Errorf("http = %s %q", c.Status, c.Detail)
	}
	if c := find(t, r, target, LayerProxy); c.Status != Pass {
		t.Errorf("proxy = %s %q", c.Status, c.Detail)
	}
	if c := find(t, r, "HTTPS_PROXY", LayerSettings); !strings.Contains(c.Detail, "carries "+target) {
		t.Errorf("routing = %q", c.Detail)
	}
	if !r.OK() {
		t.Errorf("verdict: %+v", r.Verdict)
	}
	if text := reportText(r); strings.Contains(text, "pw@") {
		t.Errorf("proxy password printed:\n%s", text)
	}

	// Without the credentials the proxy answers 407 to CONNECT.
	r = run(goenv.Environ{"HTTPS_PROXY=" + proxyURL})
	if c := find(t, r, target, LayerTCP); c.Status != Fail || !strings.Contains(c.Detail, "407") {
		t.Errorf("tcp without proxy credentials = %s %q", c.Status, c.Detail)
	}
	if r.OK() || r.Verdict[0].Layer != LayerTCP {
		t.Errorf("verdict = %+v", r.Verdict)
	}

	// NO_PROXY sends it direct, where the name does not resolve here.
	r = run(goenv.Environ{"HTTPS_PROXY=" + proxyWithCreds, "NO_PROXY=.example.com"})
	if c := find(t, r, target, LayerDNS); c.Status != Fail {
		t.Errorf("dns with NO_PROXY = %s %q", c.Status, c.Detail)
	}
}

func TestRunChecksumDatabaseUnreachable(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: probeMod.Path, Version: probeMod.Version})
	withDB := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true, SumDB: "sum.test", Lookup: tree.Lookup})
	noDB := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true})
	nosum := "https://nosum.example.com:" + serverPort(noDB)
	withsum := "https://withsum.example.com:" + serverPort(withDB)
	// GOPROXY's only mirror works but does not serve the database, which
	// does not resolve; GOFAST_MIRRORS names one that serves it.
	st := testSettings(t, nosum+",direct", withDB.GOSUMDB, "", "")
	roots := serverRoots(t, withDB)
	roots.AppendCertsFromPEM(nil)
	r, err := Run(context.Background(), Options{
		Settings: st, Env: goenv.Environ{"GOFAST_MIRRORS=" + withsum},
		Resolver: testResolver{"nosum.example.com": {"127.0.0.1"}, "withsum.example.com": {"127.0.0.1"}},
		Dialer:   &loopbackDialer{}, RootCAs: roots, ProbeModule: probeMod, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	text := reportText(r)
	if c := find(t, r, nosum, LayerSumDB); c.Status != Pass || !strings.Contains(c.Detail, "does not serve") {
		t.Errorf("mirror without database: %s %q", c.Status, c.Detail)
	}
	if c := find(t, r, "https://sum.test", LayerDNS); c.Status != Fail {
		t.Errorf("database dns = %s %q", c.Status, c.Detail)
	}
	if r.OK() {
		t.Fatalf("unreachable checksum database not an error:\n%s", text)
	}
	f := r.Verdict[0]
	if f.Layer != LayerSumDB || !strings.Contains(f.Message, "no mirror in GOPROXY serves the checksum database sum.test") ||
		!strings.Contains(f.Message, "fails at dns") {
		t.Errorf("first finding = %+v\n%s", f, text)
	}
	// GOFAST_MIRRORS opts in to reordering: the mirror that serves the
	// database comes first.
	if want := "go env -w GOPROXY='" + withsum + "|" + nosum + ",direct'"; f.Fix != want {
		t.Errorf("fix = %q, want %q", f.Fix, want)
	}
}

func TestRunDirectAloneProbesDefaultMirrors(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: probeMod.Path, Version: probeMod.Version})
	def := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true})
	defURL := "https://default.example.com:" + serverPort(def)
	st := testSettings(t, "direct", "off", defURL+",direct", "sum.test")
	r, err := Run(context.Background(), Options{
		Settings: st, Resolver: testResolver{"default.example.com": {"127.0.0.1"}}, Dialer: &loopbackDialer{},
		RootCAs: serverRoots(t, def), ProbeModule: probeMod, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := find(t, r, "GOPROXY", LayerSettings); c.Status != Warn || !strings.Contains(c.Detail, "direct") {
		t.Errorf("GOPROXY check = %s %q", c.Status, c.Detail)
	}
	if c := find(t, r, defURL, LayerProxy); c.Status != Pass {
		t.Errorf("default mirror not probed as a candidate: %s %q", c.Status, c.Detail)
	}
	if !r.OK() || len(r.Verdict) == 0 {
		t.Fatalf("direct alone is a warning, not an error: %+v", r.Verdict)
	}
	if f := r.Verdict[0]; f.Target != "GOPROXY" || f.Fix != "go env -w GOPROXY='"+defURL+",direct'" {
		t.Errorf("finding = %+v, want the default mirror suggested", f)
	}
}

func TestRunNeverSendsPrivateProbe(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: probeMod.Path, Version: probeMod.Version})
	m := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true})
	st := testSettings(t, "https://m.example.com:"+serverPort(m), "off", "", "")
	st.GOPRIVATE, st.GONOPROXY = "example.com", "example.com"
	r, err := Run(context.Background(), Options{
		Settings: st, Resolver: testResolver{"m.example.com": {"127.0.0.1"}}, Dialer: &loopbackDialer{},
		RootCAs: serverRoots(t, m), ProbeModule: probeMod, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Requests() {
		if strings.Contains(p, probeMod.Path) {
			t.Errorf("private probe path sent to the mirror: %s", p)
		}
	}
	if c := find(t, r, "https://m.example.com:"+serverPort(m), LayerProxy); c.Status != Skip {
		t.Errorf("proxy layer = %s %q", c.Status, c.Detail)
	}
}

func TestRunMirrorWantsCredentials(t *testing.T) {
	m := proxytest.New(t, proxytest.Options{TLS: true, Fault: func(*http.Request) proxytest.Fault {
		return proxytest.Fault{Kind: proxytest.Status, Status: http.StatusUnauthorized, Body: []byte("login")}
	}})
	target := "https://m.example.com:" + serverPort(m)
	st := testSettings(t, target, "off", "", "")
	r, err := Run(context.Background(), Options{
		Settings: st, Resolver: testResolver{"m.example.com": {"127.0.0.1"}}, Dialer: &loopbackDialer{},
		RootCAs: serverRoots(t, m), ProbeModule: probeMod, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := find(t, r, target, LayerHTTP); c.Status != Fail || !strings.Contains(c.Detail, "401") || !strings.Contains(c.Detail, "netrc") {
		t.Errorf("http = %s %q", c.Status, c.Detail)
	}
	if r.OK() || !strings.Contains(r.Verdict[0].Message, "last mirror in GOPROXY") {
		t.Errorf("verdict = %+v", r.Verdict)
	}
}

// TestRunMirrorGetsNetrcCredentials: doctor sends a mirror behind a login
// the netrc credentials go would send, so the mirror passes; wrong ones
// are named as such.
func TestRunMirrorGetsNetrcCredentials(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: probeMod.Path, Version: probeMod.Version, Files: map[string]string{"a.go": "package a\n"}})
	m := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true, Fault: proxytest.RequireLogin("alice", "s3cret")})
	target := "https://m.example.com:" + serverPort(m)
	for _, tc := range []struct {
		password string
		ok       bool
	}{{"s3cret", true}, {"guess", false}} {
		netrc := proxytest.NetrcFile(t, "m.example.com:"+serverPort(m), "alice", tc.password)
		r, err := Run(context.Background(), Options{
			Settings: testSettings(t, target, "off", "", ""), Env: goenv.Environ{"NETRC=" + netrc},
			Resolver: testResolver{"m.example.com": {"127.0.0.1"}}, Dialer: &loopbackDialer{},
			RootCAs: serverRoots(t, m), ProbeModule: probeMod, Timeout: 5 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		if tc.ok {
			if c := find(t, r, target, LayerProxy); c.Status != Pass {
				t.Errorf("password %s: proxy layer %s %q, want a pass", tc.password, c.Status, c.Detail)
			}
		} else if h := find(t, r, target, LayerHTTP); h.Status != Fail || !strings.Contains(h.Detail, "refused the credentials") {
			t.Errorf("password %s: http layer %s %q", tc.password, h.Status, h.Detail)
		}
		for _, c := range r.Checks {
			if strings.Contains(c.Detail, tc.password) {
				t.Errorf("password printed: %q", c.Detail)
			}
		}
	}
}

func TestRunFileProxy(t *testing.T) {
	dir := t.TempDir()
	missing := dir + "/missing"
	fileURL := func(p string) string {
		p = filepath.ToSlash(p)
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // file:///C:/... on Windows
		}
		return "file://" + p
	}
	st := testSettings(t, fileURL(dir)+"|"+fileURL(missing), "off", "", "")
	r, err := Run(context.Background(), Options{Settings: st, Resolver: testResolver{}, Dialer: &loopbackDialer{}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if c := find(t, r, fileURL(dir), LayerProxy); c.Status != Pass {
		t.Errorf("existing tree: %s %q", c.Status, c.Detail)
	}
	if c := find(t, r, fileURL(missing), LayerProxy); c.Status != Fail {
		t.Errorf("missing tree: %s %q", c.Status, c.Detail)
	}
	if !r.OK() {
		t.Errorf("verdict = %+v", r.Verdict)
	}
}

func TestRunChecksumDatabaseDirect(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: probeMod.Path, Version: probeMod.Version})
	db := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true, SumDB: "sum.test", Lookup: tree.Lookup})
	portal := proxytest.New(t, proxytest.Options{TLS: true, Fault: func(*http.Request) proxytest.Fault {
		return proxytest.Fault{Kind: proxytest.Body, Body: []byte("<html>log in</html>")}
	}})
	resolver := testResolver{"db.example.com": {"127.0.0.1"}, "portal.example.com": {"127.0.0.1"}, "m.example.com": {"127.0.0.1"}}
	run := func(gosumdb string) *Report {
		t.Helper()
		st := testSettings(t, "https://m.example.com:"+serverPort(db), gosumdb, "", "")
		r, err := Run(context.Background(), Options{
			Settings: st, Resolver: resolver, Dialer: &loopbackDialer{},
			RootCAs: serverRoots(t, db), ProbeModule: probeMod, Timeout: 5 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	// An explicit URL sends go straight to the database, past the mirrors.
	direct := "https://db.example.com:" + serverPort(db) + "/sumdb/sum.test"
	r := run(db.GOSUMDB + " " + direct)
	if c := find(t, r, direct, LayerSumDB); c.Status != Pass || !strings.Contains(c.Detail, "signed tree head of sum.test") {
		t.Errorf("database = %s %q", c.Status, c.Detail)
	}
	if c := find(t, r, "checksum database sum.test", LayerSumDB); c.Status != Pass || !strings.Contains(c.Detail, "directly at "+direct) {
		t.Errorf("route = %s %q", c.Status, c.Detail)
	}
	if !r.OK() {
		t.Errorf("verdict = %+v", r.Verdict)
	}

	// A portal in its place is named as such, and go cannot verify.
	fake := "https://portal.example.com:" + serverPort(portal)
	r = run(db.GOSUMDB + " " + fake)
	if c := find(t, r, fake, LayerSumDB); c.Status != Fail || !strings.Contains(c.Detail, "answered HTML, not a checksum database") {
		t.Errorf("portal database = %s %q", c.Status, c.Detail)
	}
	if r.OK() || r.Verdict[0].Layer != LayerSumDB || !strings.Contains(r.Verdict[0].Fix, "GOSUMDB") {
		t.Errorf("verdict = %+v", r.Verdict)
	}
}

func TestParseTreeNote(t *testing.T) {
	good := "go.sum database tree\n42\nnhBn0tB6TQjYGoE2RdZTJYIa3XRO1Jds4XQ6mZvIlG0=\n\n\u2014 sum.test AbCd\n"
	if tree, err := parseTreeNote([]byte(good), "sum.test"); err != nil || tree.N != 42 {
		t.Errorf("good note: %v %v", tree, err)
	}
	for _, bad := range []string{
		"sum.test\n42\n",
		strings.Replace(good, "sum.test", "other.test", 1),
		strings.Replace(good, "42", "x", 1),
	} {
		if _, err := parseTreeNote([]byte(bad), "sum.test"); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// TestRunSendsNoCredentialsOnRedirectToHTTP is issue 11's leak: doctor
// probing an https mirror with netrc credentials that redirects to plain
// http on the same host must not send the Authorization header there.
func TestRunSendsNoCredentialsOnRedirectToHTTP(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: probeMod.Path, Version: probeMod.Version, Files: map[string]string{"a.go": "package a\n"}})
	trap := proxytest.NewLeakTrap(t, tree.FS, func(plain *proxytest.Server, r *http.Request) string {
		return "http://m.example.com:" + serverPort(plain) + r.URL.Path
	})
	plain, m := trap.Plain, trap.Mirror
	target := "https://m.example.com:" + serverPort(m)
	netrc := proxytest.NetrcText(t, "machine m.example.com:"+serverPort(m)+" login alice password s3cret\n"+
		"machine m.example.com:"+serverPort(plain)+" login alice password s3cret\n"+
		"machine m.example.com login alice password s3cret\n")
	r, err := Run(context.Background(), Options{
		Settings: testSettings(t, target, "off", "", ""), Env: goenv.Environ{"NETRC=" + netrc},
		Resolver: testResolver{"m.example.com": {"127.0.0.1"}}, Dialer: &loopbackDialer{},
		RootCAs: serverRoots(t, m), ProbeModule: probeMod, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := trap.Leaked(); n != 0 {
		t.Fatalf("the plain-http side got the credentials %d times", n)
	}
	if n := len(plain.Requests()); n != 0 {
		t.Errorf("followed the redirect to plain http: %d requests", n)
	}
	if c := find(t, r, target, LayerHTTP); c.Status != Fail || !strings.Contains(c.Detail, "insecure") {
		t.Errorf("http = %s %q, want the insecure redirect refused", c.Status, c.Detail)
	}
}
