package mirrors

import (
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
	return &http.Client{Transport: tr}, tr.CloseIdleConnections
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
