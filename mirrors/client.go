package mirrors

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxyenv"
)

// newClient returns the client Probe uses when Options.Client is nil: a
// fresh transport per race, so that every probe pays, and measures, the
// DNS, connect and TLS cost a new go process pays. The returned func
// releases its idle connections.
func newClient(env goenv.Environ, deadline time.Duration) (*http.Client, func()) {
	dialer := &net.Dialer{Timeout: deadline, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 proxyenv.Func(env),
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
