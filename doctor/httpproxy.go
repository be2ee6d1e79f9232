package doctor

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/redact"
)

// proxyConfig decides which HTTP proxy a request goes through, exactly as
// the go command's HTTP client does (net/http.ProxyFromEnvironment, that is
// the standard library's vendored golang.org/x/net/http/httpproxy), but from
// an Environ value instead of the process environment. Internationalized
// host names are compared as written; the standard library converts them
// to punycode first.
type proxyConfig struct {
	httpProxy, httpsProxy *url.URL
	// httpVar and httpsVar name the variables the proxies came from, for
	// messages ("HTTPS_PROXY" or "https_proxy").
	httpVar, httpsVar string
	noProxy           string
	cgi               bool
	all               bool // NO_PROXY=*
	ipMatch           []ipMatcher
	domainMatch       []domainMatcher
	// errs are the proxy values that do not parse.
	errs []error
}

type ipMatcher struct {
	cidr *net.IPNet // or
	ip   net.IP
	port string
}

type domainMatcher struct {
	host      string // with a leading dot
	port      string
	matchHost bool // also match host without the dot
}

// newProxyConfig reads the proxy variables from env: the upper-case name
// first, then the lower-case one, the first non-empty winning.
func newProxyConfig(env goenv.Environ) *proxyConfig {
	c := &proxyConfig{cgi: env.Get("REQUEST_METHOD") != ""}
	var err error
	var raw string
	raw, c.httpVar = envAny(env, "HTTP_PROXY", "http_proxy")
	if c.httpProxy, err = parseProxy(raw); err != nil {
		c.errs = append(c.errs, fmt.Errorf("%s: %w", c.httpVar, err))
	}
	raw, c.httpsVar = envAny(env, "HTTPS_PROXY", "https_proxy")
	if c.httpsProxy, err = parseProxy(raw); err != nil {
		c.errs = append(c.errs, fmt.Errorf("%s: %w", c.httpsVar, err))
	}
	c.noProxy, _ = envAny(env, "NO_PROXY", "no_proxy")
	c.parseNoProxy()
	return c
}

func envAny(env goenv.Environ, names ...string) (value, name string) {
	for _, n := range names {
		if v := env.Get(n); v != "" {
			return v, n
		}
	}
	return "", names[0]
}

// parseProxy parses a proxy variable as httpproxy does: a value without a
// scheme is taken as http://value.
func parseProxy(proxy string) (*url.URL, error) {
	if proxy == "" {
		return nil, nil
	}
	u, err := url.Parse(proxy)
	if err != nil || u.Scheme == "" || u.Host == "" {
		if u2, err2 := url.Parse("http://" + proxy); err2 == nil {
			return u2, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("invalid proxy address %q: %v", redact.URL(proxy), errors.Unwrap(err))
	}
	return u, nil
}

func (c *proxyConfig) parseNoProxy() {
	for _, p := range strings.Split(c.noProxy, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		if p == "*" {
			c.all = true
			return
		}
		if _, n, err := net.ParseCIDR(p); err == nil {
			c.ipMatch = append(c.ipMatch, ipMatcher{cidr: n})
			continue
		}
		host, port, err := net.SplitHostPort(p)
		if err == nil {
			if host == "" {
				continue
			}
			host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		} else {
			host = p
		}
		if ip := net.ParseIP(host); ip != nil {
			c.ipMatch = append(c.ipMatch, ipMatcher{ip: ip, port: port})
			continue
		}
		host = strings.TrimPrefix(host, "*")
		m := domainMatcher{host: host, port: port}
		if !strings.HasPrefix(host, ".") {
			m.matchHost = true
			m.host = "." + host
		}
		c.domainMatch = append(c.domainMatch, m)
	}
}

// proxyFor returns the proxy a request for u goes through, or nil for a
// direct connection, and the variable that chose it.
func (c *proxyConfig) proxyFor(u *url.URL) (proxy *url.URL, variable string, err error) {
	switch u.Scheme {
	case "https":
		proxy, variable = c.httpsProxy, c.httpsVar
	case "http":
		proxy, variable = c.httpProxy, c.httpVar
		if proxy != nil && c.cgi {
			return nil, variable, errors.New("refusing to use HTTP_PROXY value in CGI environment (REQUEST_METHOD is set)")
		}
	}
	if proxy == nil || !c.useProxy(u) {
		return nil, "", nil
	}
	return proxy, variable, nil
}

// useProxy reports whether NO_PROXY and the loopback rule leave u to the
// proxy.
func (c *proxyConfig) useProxy(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if host == "" {
		return true
	}
	if host == "localhost" {
		return false
	}
	var ip net.IP
	if a, err := netip.ParseAddr(host); err == nil {
		ip = net.IP(a.AsSlice())
		if ip.IsLoopback() {
			return false
		}
	}
	if c.all {
		return false
	}
	if ip != nil {
		for _, m := range c.ipMatch {
			if m.cidr != nil && m.cidr.Contains(ip) || m.ip != nil && m.ip.Equal(ip) && (m.port == "" || m.port == port) {
				return false
			}
		}
		return true
	}
	for _, m := range c.domainMatch {
		if (strings.HasSuffix(host, m.host) || m.matchHost && host == m.host[1:]) && (m.port == "" || m.port == port) {
			return false
		}
	}
	return true
}

// any reports whether any proxy variable is set.
func (c *proxyConfig) any() bool { return c.httpProxy != nil || c.httpsProxy != nil }
