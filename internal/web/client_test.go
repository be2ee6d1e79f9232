package web

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gofastdev/gofast/internal/environ"
	"github.com/gofastdev/gofast/internal/goauth"
)

// recorder is a test server that remembers the Authorization header of
// every request it gets.
type recorder struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
}

func newRecorder(t *testing.T, tlsServer bool, h http.HandlerFunc) *recorder {
	r := &recorder{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.auths = append(r.auths, req.Header.Get("Authorization"))
		r.mu.Unlock()
		if h != nil {
			h(w, req)
		}
	})
	if tlsServer {
		r.Server = httptest.NewTLSServer(handler)
	} else {
		r.Server = httptest.NewServer(handler)
	}
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auths...)
}

// netrcFor writes a netrc file with a machine line for each host and
// returns the credentials go would send from it.
func netrcFor(t *testing.T, hosts ...string) *goauth.Credentials {
	var b strings.Builder
	for _, h := range hosts {
		b.WriteString("machine " + h + " login alice password s3cret\n")
	}
	path := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	auth, err := goauth.Load("netrc", environ.Environ{"NETRC=" + path})
	if err != nil || !auth.Has() {
		t.Fatalf("netrc credentials: %v", err)
	}
	return auth
}

// trusting returns Options that trust srv's certificate.
func trusting(srvs ...*recorder) Options {
	cfg := &tls.Config{}
	for _, s := range srvs {
		if c := s.Client().Transport.(*http.Transport).TLSClientConfig; c != nil {
			cfg.RootCAs = c.RootCAs
		}
	}
	return Options{TLSClientConfig: cfg}
}

func get(t *testing.T, c *http.Client, auth *goauth.Credentials, u string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	auth.Apply(req)
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

// TestNoCredentialsOnRedirectToHTTP is the regression test for the leak
// issue 11 found in doctor: an https mirror redirecting to plain http on
// the same host must not get the netrc Authorization header sent in
// clear text. go refuses to follow the redirect at all.
func TestNoCredentialsOnRedirectToHTTP(t *testing.T) {
	plain := newRecorder(t, false, nil)
	secure := newRecorder(t, true, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusFound)
	})
	su, _ := url.Parse(secure.URL)
	pu, _ := url.Parse(plain.URL)
	auth := netrcFor(t, su.Host, pu.Host, su.Hostname())
	_, err := get(t, NewClient(trusting(secure)), auth, secure.URL+"/x/@v/list")
	if !errors.Is(err, ErrInsecureRedirect) {
		t.Errorf("err = %v, want ErrInsecureRedirect", err)
	}
	if RetryableError(err) {
		t.Errorf("an insecure redirect is retried")
	}
	if got := secure.seen(); len(got) != 1 || got[0] == "" {
		t.Errorf("the https mirror got %q, want one request with credentials", got)
	}
	for _, a := range plain.seen() {
		if a != "" {
			t.Fatalf("the plain-http side got Authorization %q", a)
		}
	}
	if n := len(plain.seen()); n != 0 {
		t.Errorf("followed the redirect to plain http: %d requests", n)
	}
}

// TestCredentialsStayOnTheirHost checks that an Authorization header is
// carried on a redirect within one host, and dropped on one to another
// host, even over https.
func TestCredentialsStayOnTheirHost(t *testing.T) {
	other := newRecorder(t, true, nil)
	secure := newRecorder(t, true, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/landed", http.StatusFound)
		case "/other":
			http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
		}
	})
	su, _ := url.Parse(secure.URL)
	auth := netrcFor(t, su.Host)
	c := NewClient(trusting(secure))
	if _, err := get(t, c, auth, secure.URL+"/same"); err != nil {
		t.Fatal(err)
	}
	if got := secure.seen(); len(got) != 2 || got[1] == "" {
		t.Errorf("same-host redirect: the mirror got %q, want credentials on both hops", got)
	}
	if _, err := get(t, c, auth, secure.URL+"/other"); err != nil {
		t.Fatal(err)
	}
	if got := other.seen(); len(got) != 1 || got[0] != "" {
		t.Errorf("the other host got %q, want one request without credentials", got)
	}
}

func TestRedirectLimit(t *testing.T) {
	var loop *recorder
	loop = newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/again", http.StatusFound)
	})
	_, err := get(t, NewClient(Options{}), nil, loop.URL+"/start")
	if !errors.Is(err, ErrTooManyRedirects) || RetryableError(err) {
		t.Errorf("err = %v (retryable %v), want ErrTooManyRedirects, not retryable", err, RetryableError(err))
	}
	if n := len(loop.seen()); n != MaxRedirects {
		t.Errorf("%d requests, want %d", n, MaxRedirects)
	}
}

// TestNoURLCredentialsOverHTTP checks go's rule that a URL with a user
// name and password is used only over https: nothing is sent, and the
// password is in no message.
func TestNoURLCredentialsOverHTTP(t *testing.T) {
	srv := newRecorder(t, false, nil)
	withCreds := strings.Replace(srv.URL, "http://", "http://alice:s3cret@", 1)
	_, err := get(t, NewClient(Options{}), nil, withCreds+"/x")
	if !errors.Is(err, ErrInsecureCredentials) || RetryableError(err) {
		t.Errorf("err = %v, want ErrInsecureCredentials, not retryable", err)
	}
	if err != nil && strings.Contains(err.Error(), "s3cret") {
		t.Errorf("password in the message: %v", err)
	}
	if n := len(srv.seen()); n != 0 {
		t.Errorf("sent %d requests", n)
	}
}

func TestUnsupportedScheme(t *testing.T) {
	_, err := get(t, NewClient(Options{}), nil, "ftp://mirror.example/x")
	if !errors.Is(err, ErrUnsupportedScheme) || RetryableError(err) {
		t.Errorf("err = %v, want ErrUnsupportedScheme, not retryable", err)
	}
}

func TestProxyFromOptions(t *testing.T) {
	req, _ := http.NewRequest("GET", "https://mirror.example/x", nil)
	o := Options{Env: environ.Environ{"HTTPS_PROXY=http://proxy.example:3128"}}
	if u, err := o.ProxyFunc()(req); err != nil || u == nil || u.Host != "proxy.example:3128" {
		t.Errorf("proxy from Env = %v, %v", u, err)
	}
	o.Proxy = func(*url.URL) (*url.URL, error) { return nil, nil }
	if u, _ := o.ProxyFunc()(req); u != nil {
		t.Errorf("Options.Proxy ignored: %v", u)
	}
	if u, _ := (Options{}).ProxyFunc()(req); u != nil {
		t.Errorf("no Env gave proxy %v", u)
	}
}

// TestHTTP1Only: a server offering HTTP/2 is spoken to in HTTP/2 by
// default, and in HTTP/1.1 with HTTP1Only, one connection per request in
// flight.
func TestHTTP1Only(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	for _, tc := range []struct {
		http1Only bool
		want      int
	}{{false, 2}, {true, 1}} {
		c := NewClient(Options{TLSClientConfig: &tls.Config{RootCAs: roots}, HTTP1Only: tc.http1Only})
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		c.CloseIdleConnections()
		if resp.ProtoMajor != tc.want {
			t.Errorf("HTTP1Only %v: spoke %s, want HTTP/%d", tc.http1Only, resp.Proto, tc.want)
		}
	}
}
