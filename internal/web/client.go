// Package web builds every HTTP client gofast makes, with the go command's
// security rules (cmd/go/internal/web) written once:
//
//   - the HTTP proxy is chosen from the environment passed as a value
//     (internal/proxyenv), never from the process's own;
//   - at most MaxRedirects redirects are followed, and never one from https
//     to another scheme (go's securityPreservingHTTPClient);
//   - credentials travel only over https and never to another host: a URL
//     carrying a user name and password is refused unless it is https (go's
//     "refusing to pass credentials to insecure URL"), and an Authorization
//     header, and every header Send added from GOAUTH, is dropped on a
//     redirect to plain http or to another host;
//   - GOAUTH runs as in go (auth.go: Send): credentials before an https
//     request, GOAUTH asked again and the request sent once more after a
//     4xx answer;
//   - dial, TLS handshake and response headers have deadlines.
//
// It also classifies failures for retries in one place (retry.go): which
// statuses and errors may pass on another attempt, the backoff between
// attempts, and the go-retryablehttp client downloads go through.
package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofastdev/gofast/internal/environ"
	"github.com/gofastdev/gofast/internal/proxyenv"
)

// MaxRedirects is how many redirects one request follows, as net/http's
// default policy and the go command.
const MaxRedirects = 10

// Errors a caller branches on. Each is wrapped with the URLs involved
// (credentials redacted), and client.Do wraps it again in a *url.Error, so
// test for them with errors.Is.
var (
	// ErrInsecureRedirect is a redirect from https to another scheme, which
	// go refuses: following it would send the request, and take the
	// answer, in clear text.
	ErrInsecureRedirect = errors.New("redirected from a secure URL to an insecure one")
	// ErrTooManyRedirects is a chain of more than MaxRedirects redirects.
	ErrTooManyRedirects = fmt.Errorf("stopped after %d redirects", MaxRedirects)
	// ErrInsecureCredentials is a request that would send a URL's user
	// name and password over plain http, which go refuses.
	ErrInsecureCredentials = errors.New("refusing to pass credentials to insecure URL")
	// ErrUnsupportedScheme is a URL that is neither http nor https.
	ErrUnsupportedScheme = errors.New("unsupported protocol scheme")
)

// Defaults for the zero values of Options.
const (
	DefaultDialTimeout     = 30 * time.Second
	DefaultTLSTimeout      = 10 * time.Second
	DefaultIdleConnTimeout = 90 * time.Second
	DefaultMaxIdleConns    = 100
)

// Options configure NewClient. The zero value is a client like the go
// command's: no proxy, system roots, no deadline on response headers.
type Options struct {
	// Env is the environment whose HTTPS_PROXY, HTTP_PROXY and NO_PROXY
	// (upper case first) choose the proxy. Nil means no proxy.
	Env environ.Environ
	// Proxy, if set, chooses the proxy instead of Env, for a caller that
	// must see the same decision in its own code (doctor).
	Proxy func(*url.URL) (*url.URL, error)
	// DialContext opens connections. Nil means a net.Dialer with
	// DialTimeout and 30s keep-alives.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSClientConfig is the TLS configuration, for custom roots. Nil
	// means the system's roots.
	TLSClientConfig *tls.Config
	// DialTimeout bounds opening a connection (with the default dialer).
	// Zero means DefaultDialTimeout.
	DialTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake. Zero means
	// DefaultTLSTimeout.
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for response headers once the
	// request is written. Zero means no limit, as in go; the caller's
	// context then bounds it.
	ResponseHeaderTimeout time.Duration
	// IdleConnTimeout is how long an idle connection is kept. Zero means
	// DefaultIdleConnTimeout.
	IdleConnTimeout time.Duration
	// MaxIdleConns bounds idle connections across hosts. Zero means
	// DefaultMaxIdleConns.
	MaxIdleConns int
	// MaxIdleConnsPerHost bounds idle connections to one host: set it to
	// the number of parallel streams so they all find one to reuse. Zero
	// means net/http's default (2).
	MaxIdleConnsPerHost int
	// HTTP1Only speaks HTTP/1.1 even to a server that offers HTTP/2, so
	// that every request in flight has a connection of its own: parallel
	// byte ranges of one file get past a limit on each connection's
	// throughput only that way, since HTTP/2 carries all requests to a
	// host on one connection. False means HTTP/2 where offered.
	HTTP1Only bool
}

// NewClient returns an HTTP client with go's redirect and credential rules
// over a transport built from o, with HTTP/2 where the server offers it and
// no cookie jar. client.CloseIdleConnections releases its connections.
func NewClient(o Options) *http.Client {
	return &http.Client{Transport: guard{o.transport()}, CheckRedirect: checkRedirect}
}

// ProxyFunc returns the function that chooses the proxy of the clients
// NewClient(o) returns.
func (o Options) ProxyFunc() func(*http.Request) (*url.URL, error) {
	if o.Proxy != nil {
		return func(r *http.Request) (*url.URL, error) { return o.Proxy(r.URL) }
	}
	return proxyenv.Func(o.Env)
}

func (o Options) transport() *http.Transport {
	dial := o.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: orDuration(o.DialTimeout, DefaultDialTimeout), KeepAlive: 30 * time.Second}).DialContext
	}
	maxIdle := o.MaxIdleConns
	if maxIdle <= 0 {
		maxIdle = DefaultMaxIdleConns
	}
	var protocols *http.Protocols
	if o.HTTP1Only {
		protocols = new(http.Protocols)
		protocols.SetHTTP1(true)
	}
	return &http.Transport{
		Protocols:             protocols,
		Proxy:                 o.ProxyFunc(),
		DialContext:           dial,
		TLSClientConfig:       o.TLSClientConfig,
		ForceAttemptHTTP2:     !o.HTTP1Only,
		TLSHandshakeTimeout:   orDuration(o.TLSHandshakeTimeout, DefaultTLSTimeout),
		ResponseHeaderTimeout: o.ResponseHeaderTimeout,
		IdleConnTimeout:       orDuration(o.IdleConnTimeout, DefaultIdleConnTimeout),
		MaxIdleConns:          maxIdle,
		MaxIdleConnsPerHost:   o.MaxIdleConnsPerHost,
		ExpectContinueTimeout: time.Second,
	}
}

func orDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// guard is the transport every request goes through, redirects included:
// it refuses, before anything is sent, a URL with credentials that is not
// https and a scheme the transport cannot speak.
type guard struct{ *http.Transport }

func (g guard) RoundTrip(r *http.Request) (*http.Response, error) {
	var err error
	switch {
	case r.URL.Scheme != "http" && r.URL.Scheme != "https":
		err = fmt.Errorf("%w %q", ErrUnsupportedScheme, r.URL.Scheme)
	case r.URL.User != nil && r.URL.Scheme != "https":
		err = fmt.Errorf("%w: %s", ErrInsecureCredentials, r.URL.Redacted())
	}
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	return g.Transport.RoundTrip(r)
}

// checkRedirect is go's redirect policy, and keeps credentials where they
// belong: net/http copies the first request's headers to every hop, and
// would send its Authorization header to plain http on the same host.
func checkRedirect(req *http.Request, via []*http.Request) error {
	first, last := via[0], via[len(via)-1]
	if req.URL.Scheme != "https" {
		for _, v := range via {
			if v.URL.Scheme == "https" {
				return fmt.Errorf("%w: %s to %s", ErrInsecureRedirect, last.URL.Redacted(), req.URL.Redacted())
			}
		}
	}
	if len(via) >= MaxRedirects {
		return ErrTooManyRedirects
	}
	if req.URL.Scheme != "https" || !strings.EqualFold(req.URL.Host, first.URL.Host) {
		dropCredentials(req)
	}
	return nil
}
