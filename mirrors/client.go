package mirrors

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
)

// newClient returns the client Probe uses when Options.Client is nil: a
// fresh transport per race, so that every probe pays, and measures, the
// DNS, connect and TLS cost a new go process pays. The returned func
// releases its idle connections.
func newClient(env goenv.Environ, deadline time.Duration) (*http.Client, func()) {
	dialer := &net.Dialer{Timeout: deadline, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 proxyFromEnv(env),
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   deadline,
		ResponseHeaderTimeout: 2 * deadline,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: credentialGuard{tr}, CheckRedirect: checkRedirect}, tr.CloseIdleConnections
}

// credentialGuard refuses, as the go command does ("refusing to pass
// credentials to insecure URL"), a request carrying URL credentials that
// is not https: a probe must not send a password in clear text that go
// itself would never send.
type credentialGuard struct{ http.RoundTripper }

func (g credentialGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.User != nil && r.URL.Scheme != "https" {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("refusing to pass credentials to insecure URL: %s", r.URL.Redacted())
	}
	return g.RoundTripper.RoundTrip(r)
}

// checkRedirect is the go command's redirect policy: at most 10 hops, and
// never from https down to plain http (which go refuses to follow).
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > 0 && via[len(via)-1].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirected from secure URL %s to insecure URL %s", via[len(via)-1].URL.Redacted(), req.URL.Redacted())
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

// proxyFromEnv is http.ProxyFromEnvironment reading env instead of the
// process environment: HTTPS_PROXY for https URLs, HTTP_PROXY for http
// ones (upper case first, as net/http does), NO_PROXY exempting hosts,
// and loopback addresses never proxied.
func proxyFromEnv(env goenv.Environ) func(*http.Request) (*url.URL, error) {
	get := func(k string) string {
		if v := env.Get(k); v != "" {
			return v
		}
		return env.Get(strings.ToLower(k))
	}
	httpsProxy, httpProxy, noProxy := get("HTTPS_PROXY"), get("HTTP_PROXY"), get("NO_PROXY")
	return func(r *http.Request) (*url.URL, error) {
		raw := httpProxy
		if r.URL.Scheme == "https" {
			raw = httpsProxy
		}
		if raw == "" || !useProxy(r.URL.Hostname(), r.URL.Port(), noProxy) {
			return nil, nil
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "" || u.Host == "" {
			// net/http accepts a bare host:port and means http.
			if u2, err2 := url.Parse("http://" + raw); err2 == nil && u2.Host != "" {
				return u2, nil
			}
			return nil, err
		}
		return u, nil
	}
}

// useProxy applies NO_PROXY as golang.org/x/net/http/httpproxy does: "*"
// disables proxies; an entry "example.com" or ".example.com" covers the
// domain and its subdomains; IP addresses and CIDR ranges match addresses;
// an entry with a port matches only that port.
func useProxy(host, port, noProxy string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	ip := net.ParseIP(host)
	if ip != nil && ip.IsLoopback() {
		return false
	}
	for _, p := range strings.Split(noProxy, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		if p == "*" {
			return false
		}
		if _, cidr, err := net.ParseCIDR(p); err == nil {
			if ip != nil && cidr.Contains(ip) {
				return false
			}
			continue
		}
		pHost, pPort := p, ""
		if h, pt, err := net.SplitHostPort(p); err == nil {
			pHost, pPort = h, pt
		}
		if pPort != "" && pPort != port {
			continue
		}
		if pip := net.ParseIP(pHost); pip != nil {
			if ip != nil && pip.Equal(ip) {
				return false
			}
			continue
		}
		pHost = strings.TrimPrefix(pHost, ".")
		h := strings.ToLower(host)
		if h == pHost || strings.HasSuffix(h, "."+pHost) {
			return false
		}
	}
	return true
}
