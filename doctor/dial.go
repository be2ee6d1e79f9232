package doctor

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/gofastdev/gofast/internal/redact"
	"github.com/gofastdev/gofast/internal/web"
)

// connectLayers checks the dns and tcp layers of reaching u, directly or
// through the HTTP proxy via, the way go's HTTP client would connect. On
// success it returns the open connection (a tunnel to u when via is an HTTP
// proxy and u is https), and whether the tls layer can be checked on it.
func (p *prober) connectLayers(ctx context.Context, t *target, u, via *url.URL) (conn net.Conn, tlsNext bool, ok bool) {
	host, port := hostPort(u)
	note := ""
	if via != nil {
		host, port = hostPort(via)
		note = " (HTTP proxy " + via.Redacted() + ")"
	}

	start := time.Now()
	lctx, cancel := context.WithTimeout(ctx, p.b.dns)
	addrs, err := p.lookup(lctx, host)
	cancel()
	c := newCheck(LayerDNS, "", Pass, "")
	c.Elapsed = time.Since(start)
	if err != nil {
		c.Status, c.OK = Fail, false
		c.Detail, c.timeout = describeErr(err, p.b.dns)
		c.Detail = host + ": " + c.Detail + note
		t.add(c)
		return nil, false, false
	}
	c.Detail = host + " → " + listAddrs(addrs) + note
	if net.ParseIP(host) != nil {
		c.Detail = host + ": an IP address, nothing to resolve" + note
	}
	t.add(c)

	start = time.Now()
	lctx, cancel = context.WithTimeout(ctx, p.b.tcp)
	defer cancel()
	conn, addr, err := p.dialAny(lctx, addrs, port)
	c = newCheck(LayerTCP, "", Pass, "connected to "+addr+note)
	if err == nil && via != nil {
		conn, c.Detail, err = p.throughProxy(lctx, conn, u, via)
	}
	c.Elapsed = time.Since(start)
	if err != nil {
		c.Status, c.OK = Fail, false
		c.Detail, c.timeout = describeErr(err, p.b.tcp)
		c.Detail = net.JoinHostPort(host, port) + ": " + c.Detail + note
		t.add(c)
		return nil, false, false
	}
	t.add(c)
	socks := via != nil && strings.HasPrefix(via.Scheme, "socks")
	if socks && u.Scheme == "https" {
		t.add(newCheck(LayerTLS, "", Skip, "through a SOCKS proxy: the http layer checks TLS"))
	}
	return conn, u.Scheme == "https" && !socks, true
}

// throughProxy prepares conn, connected to the HTTP proxy via, to carry a
// request for u: TLS to an https proxy, then CONNECT for an https target.
func (p *prober) throughProxy(ctx context.Context, conn net.Conn, u, via *url.URL) (net.Conn, string, error) {
	detail := "connected to proxy " + conn.RemoteAddr().String()
	if strings.HasPrefix(via.Scheme, "socks") {
		return conn, detail + " (SOCKS)", nil
	}
	if via.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: via.Hostname(), RootCAs: p.o.RootCAs})
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, "", fmt.Errorf("TLS to the proxy: %w", err)
		}
		conn = tc
	}
	if u.Scheme != "https" {
		return conn, detail + "; plain http requests go to the proxy", nil
	}
	host, port := hostPort(u)
	target := net.JoinHostPort(host, port)
	if err := connectTunnel(ctx, conn, target, via.User); err != nil {
		conn.Close()
		return nil, "", err
	}
	return conn, detail + ", CONNECT " + target + ": 200", nil
}

// connectTunnel asks the proxy on conn for a tunnel to target, as
// net/http's transport does.
func connectTunnel(ctx context.Context, conn net.Conn, target string, user *url.Userinfo) error {
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
		defer conn.SetDeadline(time.Time{})
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: target}, Host: target, Header: http.Header{}}
	if user != nil {
		pw, _ := user.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user.Username()+":"+pw)))
	}
	if err := req.Write(conn); err != nil {
		return fmt.Errorf("sending CONNECT %s to the proxy: %w", target, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return fmt.Errorf("reading the proxy's answer to CONNECT %s: %w", target, err)
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		return nil
	case resp.StatusCode == http.StatusProxyAuthRequired:
		return fmt.Errorf("the proxy wants credentials (407) for CONNECT %s: put them in the proxy URL, http://user:password@host:port", target)
	}
	return fmt.Errorf("the proxy refused CONNECT %s: %s", target, resp.Status)
}

// lookup resolves host with the injected resolver; an IP address resolves
// to itself.
func (p *prober) lookup(ctx context.Context, host string) ([]string, error) {
	if ip := net.ParseIP(host); ip != nil {
		return []string{ip.String()}, nil
	}
	ips, err := p.o.Resolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out, nil
}

// dialAny connects to the first of addrs that accepts, like net.Dialer
// does for a host name, and returns the address connected to or the last
// error.
func (p *prober) dialAny(ctx context.Context, addrs []string, port string) (net.Conn, string, error) {
	var last error
	for _, a := range addrs {
		addr := net.JoinHostPort(a, port)
		conn, err := p.o.Dialer.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn, addr, nil
		}
		last = fmt.Errorf("%s: %w", addr, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, "", last
}

// dialContext is the HTTP layer's dialer: the same resolver and dialer as
// the lower layers.
func (p *prober) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := p.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	conn, _, err := p.dialAny(ctx, addrs, port)
	return conn, err
}

// hostPort returns u's host and port, the port implied by the scheme when
// u has none.
func hostPort(u *url.URL) (string, string) {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443", "socks5": "1080", "socks5h": "1080"}[u.Scheme]
	}
	return u.Hostname(), port
}

func listAddrs(addrs []string) string {
	if len(addrs) <= 3 {
		return strings.Join(addrs, ", ")
	}
	return fmt.Sprintf("%s (and %d more)", strings.Join(addrs[:3], ", "), len(addrs)-3)
}

// describeErr turns a network error into one line for a check, and says
// whether it was a timeout.
func describeErr(err error, limit time.Duration) (string, bool) {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "no such host (the name does not resolve: a typo, or a DNS filter)", false
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return "no answer within " + fmtSeconds(limit), true
	case errors.Is(err, web.ErrInsecureRedirect):
		return redact.String(err.Error()) + " (go refuses to follow it: the mirror must redirect to https)", false
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (nothing listens on that port, or a firewall rejects it)", false
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset (a firewall or middlebox cut it)", false
	}
	return redact.String(err.Error()), false
}
