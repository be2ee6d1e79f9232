// Package proxyenv chooses the HTTP proxy for a request the way net/http's
// ProxyFromEnvironment does, from an environment passed as a value rather
// than the process's own (which net/http reads once and caches).
//
// The rules are golang.org/x/net/http/httpproxy's, the package net/http
// itself vendors: HTTPS_PROXY for https URLs, HTTP_PROXY for http ones
// (upper-case names first), NO_PROXY exemptions by domain, address, CIDR
// range and port, and loopback addresses and localhost never proxied.
package proxyenv

import (
	"net/http"
	"net/url"

	"github.com/gofastdev/gofast/internal/environ"
	"golang.org/x/net/http/httpproxy"
)

// Config returns the proxy configuration env describes.
func Config(env environ.Environ) *httpproxy.Config {
	get := func(upper, lower string) string {
		if v := env.Get(upper); v != "" {
			return v
		}
		return env.Get(lower)
	}
	return &httpproxy.Config{
		HTTPProxy:  get("HTTP_PROXY", "http_proxy"),
		HTTPSProxy: get("HTTPS_PROXY", "https_proxy"),
		NoProxy:    get("NO_PROXY", "no_proxy"),
	}
}

// Func returns an http.Transport Proxy function for env.
func Func(env environ.Environ) func(*http.Request) (*url.URL, error) {
	f := Config(env).ProxyFunc()
	return func(r *http.Request) (*url.URL, error) { return f(r.URL) }
}
