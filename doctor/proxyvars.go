package doctor

import (
	"fmt"
	"net/url"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxyenv"
	"github.com/gofastdev/gofast/internal/redact"
)

// proxyConfig is the HTTP proxy variables as go's HTTP client reads them
// (internal/proxyenv, that is net/http's own rules, from an Environ value),
// with the names they came from, for messages.
type proxyConfig struct {
	find func(*url.URL) (*url.URL, error)
	// httpProxy and httpsProxy are the proxies go uses, nil when unset or
	// ignored.
	httpProxy, httpsProxy *url.URL
	// httpVar and httpsVar name the variables the proxies came from
	// ("HTTPS_PROXY" or "https_proxy").
	httpVar, httpsVar string
	// errs are the values set that go ignores, because they do not parse.
	errs []error
}

// newProxyConfig reads the proxy variables from env.
func newProxyConfig(env goenv.Environ) *proxyConfig {
	c := &proxyConfig{find: proxyenv.Config(env).ProxyFunc()}
	var httpVal, httpsVal string
	c.httpVar, httpVal = proxyenv.Variable(env, "HTTP_PROXY")
	c.httpsVar, httpsVal = proxyenv.Variable(env, "HTTPS_PROXY")
	c.httpProxy, c.httpsProxy = proxyenv.ProxyURL(httpVal), proxyenv.ProxyURL(httpsVal)
	for _, v := range []struct {
		name, value string
		u           *url.URL
	}{{c.httpVar, httpVal, c.httpProxy}, {c.httpsVar, httpsVal, c.httpsProxy}} {
		if v.value != "" && v.u == nil {
			c.errs = append(c.errs, fmt.Errorf("%s=%q is not a proxy URL go can read: go ignores it and connects directly", v.name, redact.URL(v.value)))
		}
	}
	return c
}

// proxyFor returns the proxy a request for u goes through, or nil for a
// direct connection, and the variable that chose it.
func (c *proxyConfig) proxyFor(u *url.URL) (proxy *url.URL, variable string, err error) {
	proxy, err = c.find(u)
	if proxy == nil || err != nil {
		return nil, "", err
	}
	if u.Scheme == "https" {
		return proxy, c.httpsVar, nil
	}
	return proxy, c.httpVar, nil
}

// any reports whether any proxy variable is in use.
func (c *proxyConfig) any() bool { return c.httpProxy != nil || c.httpsProxy != nil }
