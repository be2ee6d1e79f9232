package mirrors

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/proxyenv"
	"github.com/gofastdev/gofast/internal/web"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
)

func TestProxyFromEnv(t *testing.T) {
	// The process environment is never consulted: only Options.Env.
	t.Setenv("HTTPS_PROXY", "http://process-env-proxy.test:3128")
	t.Setenv("HTTP_PROXY", "http://process-env-proxy.test:3128")
	for _, tc := range []struct {
		name string
		env  []string
		url  string
		want string // proxy URL, "" for direct
	}{
		{name: "no proxy variables", url: "https://mirror.test/x", want: ""},
		{name: "https proxy", env: []string{"HTTPS_PROXY=http://proxy.corp.test:3128"}, url: "https://mirror.test/x", want: "http://proxy.corp.test:3128"},
		{name: "https proxy not for http", env: []string{"HTTPS_PROXY=http://proxy.corp.test:3128"}, url: "http://mirror.test/x", want: ""},
		{name: "lower case", env: []string{"http_proxy=proxy.corp.test:8080"}, url: "http://mirror.test/x", want: "http://proxy.corp.test:8080"},
		{name: "upper case wins", env: []string{"https_proxy=http://low.test", "HTTPS_PROXY=http://up.test"}, url: "https://mirror.test/x", want: "http://up.test"},
		{name: "NO_PROXY domain", env: []string{"HTTPS_PROXY=http://p.test", "NO_PROXY=corp.test"}, url: "https://goproxy.corp.test/x", want: ""},
		{name: "NO_PROXY dot domain covers subdomains", env: []string{"HTTPS_PROXY=http://p.test", "no_proxy=.corp.test"}, url: "https://goproxy.corp.test/x", want: ""},
		// As net/http (and so go itself) reads it: ".corp.test" matches
		// subdomains only, not corp.test.
		{name: "NO_PROXY dot domain not the domain", env: []string{"HTTPS_PROXY=http://p.test", "no_proxy=.corp.test"}, url: "https://corp.test/x", want: "http://p.test"},
		{name: "NO_PROXY other domain", env: []string{"HTTPS_PROXY=http://p.test", "NO_PROXY=corp.test"}, url: "https://notcorp.test/x", want: "http://p.test"},
		{name: "NO_PROXY port", env: []string{"HTTPS_PROXY=http://p.test", "NO_PROXY=mirror.test:8443"}, url: "https://mirror.test/x", want: "http://p.test"},
		{name: "NO_PROXY cidr", env: []string{"HTTP_PROXY=http://p.test", "NO_PROXY=10.0.0.0/8"}, url: "http://10.1.2.3:8080/x", want: ""},
		{name: "NO_PROXY star", env: []string{"HTTPS_PROXY=http://p.test", "NO_PROXY=*"}, url: "https://mirror.test/x", want: ""},
		{name: "loopback never proxied", env: []string{"HTTP_PROXY=http://p.test"}, url: "http://127.0.0.1:9/x", want: ""},
		{name: "localhost never proxied", env: []string{"HTTP_PROXY=http://p.test"}, url: "http://localhost:9/x", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tc.url, nil)
			u, err := proxyenv.Func(goenv.Environ(tc.env))(req)
			got := ""
			if u != nil {
				got = u.String()
			}
			if err != nil || got != tc.want {
				t.Errorf("proxy for %s = %q, %v; want %q", tc.url, got, err, tc.want)
			}
		})
	}
}

// TestProbeThroughEnvProxy probes a mirror by a name that exists nowhere,
// through an HTTP proxy named in Options.Env: only the proxy (a loopback
// server) can answer, so success proves the proxy was used.
func TestProbeThroughEnvProxy(t *testing.T) {
	proxy := proxytest.New(t, proxytest.Options{FS: testTree().FS})
	opts := testOptions(t, testSettings(t, "off", ""), "HTTP_PROXY="+proxy.URL)
	// Guard: if the client would not use the proxy, stop before Probe
	// sends a DNS query for the made-up name off this machine.
	req, _ := http.NewRequest("GET", "http://mirror.invalid/x", nil)
	if u, err := clientOptions(opts.Env, opts.Deadline).ProxyFunc()(req); err != nil || u == nil || u.String() != proxy.URL {
		t.Fatalf("client would not use HTTP_PROXY from Env: %v, %v", u, err)
	}
	cands, _ := ParseList("http://mirror.invalid")
	ms := Probe(context.Background(), opts, cands)
	if len(ms) != 1 || !ms[0].Found {
		t.Fatalf("probe through the proxy: %+v", ms)
	}
	if n := proxy.Count(".info"); n != 1 {
		t.Errorf("proxy saw %d .info requests", n)
	}
}

// TestProbeSendsNoCredentialsOverHTTP checks that a probe never sends a
// mirror URL's password in clear text, which go itself refuses to do, and
// never follows a redirect from https down to http.
func TestProbeSendsNoCredentialsOverHTTP(t *testing.T) {
	srv := proxytest.New(t, proxytest.Options{FS: testTree().FS})
	withCreds := strings.Replace(srv.URL, "http://", "http://alice:s3cret@", 1)
	opts := testOptions(t, testSettings(t, withCreds, ""))
	got := Probe(context.Background(), opts, List{{URL: withCreds, Kind: Proxy}})
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("probe sent %d requests with credentials over plain http", n)
	}
	if got[0].OK || !strings.Contains(got[0].Err, "refusing to pass credentials") || strings.Contains(got[0].Err, "s3cret") {
		t.Errorf("probe result %+v", got[0])
	}
}

// TestProbeSendsNoCredentialsOnRedirectToHTTP is issue 11's leak: an https
// mirror with netrc credentials that redirects the probe to plain http on
// the same host must not have the Authorization header sent there.
func TestProbeSendsNoCredentialsOnRedirectToHTTP(t *testing.T) {
	trap := proxytest.NewLeakTrap(t, testTree().FS, nil)
	target, mirror := trap.Plain, trap.Mirror
	mu, _ := url.Parse(mirror.URL)
	tu, _ := url.Parse(target.URL)
	netrc := proxytest.NetrcText(t, "machine "+mu.Host+" login alice password s3cret\n"+
		"machine "+tu.Host+" login alice password s3cret\n")
	opts := testOptions(t, testSettings(t, mirror.URL, ""), "NETRC="+netrc)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(mirror.CertificatePEM())
	o := clientOptions(opts.Env, opts.deadline())
	o.TLSClientConfig = &tls.Config{RootCAs: pool}
	opts.Client = web.NewClient(o)
	got := Probe(context.Background(), opts, List{{URL: mirror.URL, Kind: Proxy}})
	if n := trap.Leaked(); n != 0 {
		t.Fatalf("the plain-http side got the credentials %d times", n)
	}
	if n := len(target.Requests()); n != 0 {
		t.Errorf("followed the redirect to plain http: %d requests", n)
	}
	if got[0].OK || !strings.Contains(got[0].Err, "insecure") {
		t.Errorf("probe result %+v, want the insecure redirect refused", got[0])
	}
}
