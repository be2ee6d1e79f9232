// Package proxyenv chooses the HTTP proxy for a request the way net/http's
// ProxyFromEnvironment does, from an environment passed as a value rather
// than the process's own (which net/http reads once and caches).
//
// The rules are golang.org/x/net/http/httpproxy's, the package net/http
// itself vendors: HTTPS_PROXY for https URLs, HTTP_PROXY for http ones
// (upper-case names first), NO_PROXY exemptions by domain, address, CIDR
// range and port, loopback addresses and localhost never proxied, and
// HTTP_PROXY refused in a CGI environment.
package proxyenv

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gofastdev/gofast/internal/environ"
	"golang.org/x/net/http/httpproxy"
)

// Config returns the proxy configuration env describes, with net/http's
// refusal of HTTP_PROXY in a CGI environment (REQUEST_METHOD set).
func Config(env environ.Environ) *httpproxy.Config {
	_, httpProxy := Variable(env, "HTTP_PROXY")
	_, httpsProxy := Variable(env, "HTTPS_PROXY")
	_, noProxy := Variable(env, "NO_PROXY")
	return &httpproxy.Config{
		HTTPProxy:  httpProxy,
		HTTPSProxy: httpsProxy,
		NoProxy:    noProxy,
		CGI:        env.Get("REQUEST_METHOD") != "",
	}
}

// Variable returns which of the variable upper (HTTP_PROXY, HTTPS_PROXY,
// NO_PROXY) and its lower-case form go reads in env, and its value: upper
// unless it is empty and the lower-case one is not. The name is upper when
// neither is set.
func Variable(env environ.Environ, upper string) (name, value string) {
	if v := env.Get(upper); v != "" {
		return upper, v
	}
	lower := strings.ToLower(upper)
	if v := env.Get(lower); v != "" {
		return lower, v
	}
	return upper, ""
}

// ProxyURL returns the proxy a variable's value names, as go reads it (a
// value without a scheme is http://value), or nil when the value is empty
// or does not parse, which go then ignores: it connects directly.
func ProxyURL(value string) *url.URL {
	if value == "" {
		return nil
	}
	u, _ := (&httpproxy.Config{HTTPSProxy: value}).ProxyFunc()(&url.URL{Scheme: "https", Host: "example.com"})
	return u
}

// Func returns an http.Transport Proxy function for env.
func Func(env environ.Environ) func(*http.Request) (*url.URL, error) {
	f := Config(env).ProxyFunc()
	return func(r *http.Request) (*url.URL, error) { return f(r.URL) }
}
