package prefetch

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/environ"
	"github.com/gofastdev/gofast/internal/proxytest"
	"github.com/gofastdev/gofast/internal/web"
)

// TestNoRedirectFromHTTPSToHTTP checks the go command's redirect policy:
// an https mirror redirecting to plain http is an error, not retried, and
// the http URL is never requested.
func TestNoRedirectFromHTTPSToHTTP(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	target := proxytest.New(t, proxytest.Options{FS: tree.FS})
	mirror := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true, Fault: func(r *http.Request) proxytest.Fault {
		if strings.HasSuffix(r.URL.Path, ".zip") {
			return proxytest.Fault{Kind: proxytest.Redirect, Location: target.URL + r.URL.Path}
		}
		return proxytest.Fault{}
	}})
	rep, _ := run(t, tree, mirror.URL, func(o *Options) { o.Client = trustingClient(mirror) })
	if n := len(target.Requests()); n != 0 {
		t.Errorf("followed the redirect to plain http: %d requests", n)
	}
	if rep.Failed != 3 || !strings.Contains(rep.Err().Error(), "insecure") {
		t.Errorf("failed = %d, want the 3 zips failing on the insecure redirect: %v", rep.Failed, rep.Err())
	}
	if n := mirror.Count(".zip"); n != 3 {
		t.Errorf("the https mirror got %d zip requests, want 3 (no retries)", n)
	}
}

// trustingClient is the engine's default client, trusting srv's
// certificate.
func trustingClient(srv *proxytest.Server) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(srv.CertificatePEM())
	return web.NewClient(web.Options{TLSClientConfig: &tls.Config{RootCAs: pool}})
}

func TestRedirectLimit(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	loop := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: func(r *http.Request) proxytest.Fault {
		if strings.HasSuffix(r.URL.Path, ".zip") {
			return proxytest.Fault{Kind: proxytest.Redirect, Location: r.URL.Path}
		}
		return proxytest.Fault{}
	}})
	// No stall is under test: a loaded machine must not turn the
	// redirect loop into one.
	rep, _ := run(t, tree, loop.URL, func(o *Options) { o.IdleTimeout = 30 * time.Second })
	if rep.Failed != 3 || !strings.Contains(rep.Err().Error(), "redirects") {
		t.Errorf("failed = %d: %v", rep.Failed, rep.Err())
	}
	if n := loop.Count(".zip"); n != 3*web.MaxRedirects {
		t.Errorf("%d zip requests, want %d (one chain of redirects per zip, no retries)", n, 3*web.MaxRedirects)
	}
}

// TestNoCredentialsOverHTTP checks the go command's rule that a mirror URL
// with a user name and password is only ever used over https: nothing is
// sent, nothing is retried, and the password appears in no message.
func TestNoCredentialsOverHTTP(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS})
	withCreds := strings.Replace(srv.URL, "http://", "http://alice:s3cret@", 1)
	rep, _ := run(t, tree, withCreds, nil)
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("sent %d requests with credentials over plain http", n)
	}
	err := rep.Err()
	if rep.Failed != len(testMods) || err == nil || !strings.Contains(err.Error(), "refusing to pass credentials") {
		t.Fatalf("failed = %d: %v", rep.Failed, err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("password in the message: %v", err)
	}
}

// TestNoCredentialsOnRedirectToHTTP is issue 11's leak: an https mirror
// with netrc credentials that redirects to plain http on the same host
// must not have the Authorization header sent there in clear text.
func TestNoCredentialsOnRedirectToHTTP(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	trap := proxytest.NewLeakTrap(t, tree.FS, nil)
	target, mirror := trap.Plain, trap.Mirror
	mu, _ := url.Parse(mirror.URL)
	tu, _ := url.Parse(target.URL)
	netrc := proxytest.NetrcText(t, "machine "+mu.Host+" login alice password s3cret\n"+
		"machine "+tu.Host+" login alice password s3cret\n")
	rep, _ := run(t, tree, mirror.URL, func(o *Options) {
		o.Env = environ.Environ{"NETRC=" + netrc}
		o.Client = trustingClient(mirror)
	})
	if n := trap.Leaked(); n != 0 {
		t.Fatalf("the plain-http side got the credentials %d times", n)
	}
	if n := len(target.Requests()); n != 0 {
		t.Errorf("followed the redirect to plain http: %d requests", n)
	}
	if err := rep.Err(); err == nil || !errors.Is(err, web.ErrInsecureRedirect) {
		t.Errorf("want the insecure redirect refused, got %v", err)
	}
}
