package doctor

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/module"

	"github.com/gofastdev/gofast/internal/goauth"
	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/redact"
	"github.com/gofastdev/gofast/internal/web"
	"github.com/gofastdev/gofast/mirrors"
)

// prober probes targets one layer at a time. It holds no per-target state,
// so one prober serves every target concurrently.
type prober struct {
	o       Options
	b       budget
	proxies *proxyConfig
	sumdb   *goenv.SumDB
	auth    *goauth.Credentials // what go would send the mirrors
	// private is true when the probe module matches GOPRIVATE or
	// GONOPROXY and so must not be sent to mirrors.
	private bool
}

// maxBody bounds what is read of any answer: a .info file is tiny, and a
// portal page or garbage must not be read whole.
const maxBody = 64 << 10

// probe checks t layer by layer, stopping at the first failing layer,
// since every layer needs the one below it.
func (p *prober) probe(ctx context.Context, t *target) {
	if t.url.Scheme == "file" {
		p.probeFile(t)
		return
	}
	via, _, err := p.proxies.proxyFor(t.url)
	if err != nil {
		t.add(newCheck(LayerHTTP, "", Fail, err.Error()))
		return
	}
	conn, tlsNext, ok := p.connectLayers(ctx, t, t.url, via)
	if !ok {
		return
	}
	if tlsNext {
		if !p.tlsLayer(ctx, t, conn, t.url.Hostname()) {
			return
		}
	} else {
		conn.Close()
	}
	client := p.client()
	defer client.CloseIdleConnections()
	route := "direct"
	if via != nil {
		route = "through " + via.Redacted()
	}
	if t.isSumDB {
		p.sumdbDirect(ctx, t, client, route)
		return
	}
	if p.protocol(ctx, t, client, route) {
		p.sumdbSupported(ctx, t, client)
	}
}

// client returns the HTTP client of the http and later layers: the same
// resolver, dialer, roots and proxy decisions as the lower layers, HTTP/2
// where the server offers it, and go's redirect and credential rules, so
// that a probe never sends credentials where go would not.
func (p *prober) client() *http.Client {
	return web.NewClient(web.Options{
		Proxy: func(u *url.URL) (*url.URL, error) {
			via, _, err := p.proxies.proxyFor(u)
			return via, err
		},
		DialContext:     p.dialContext,
		TLSClientConfig: &tls.Config{RootCAs: p.o.RootCAs},
	})
}

// answer is one HTTP exchange.
type answer struct {
	resp *http.Response
	body []byte
	// ttfb is from sending the request to the first response byte.
	ttfb time.Duration
	// total is from the start to the end of the body.
	total time.Duration
	err   error
}

// get fetches rawURL within limit, reading at most maxBody of the answer.
func (p *prober) get(ctx context.Context, client *http.Client, rawURL string, limit time.Duration) answer {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	// The trace callbacks run on the transport's goroutines.
	var mu sync.Mutex
	var wrote time.Time
	var ttfb time.Duration
	trace := &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { mu.Lock(); wrote = time.Now(); mu.Unlock() },
		GotFirstResponseByte: func() {
			mu.Lock()
			ttfb = time.Since(wrote)
			mu.Unlock()
		},
	}
	var a answer
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, rawURL, nil)
	if err != nil {
		a.err = err
		return a
	}
	req.Header.Set("User-Agent", "gofast-doctor")
	resp, err := web.Send(req, p.auth, client.Do)
	if err == nil && ctx.Err() != nil {
		// An answer that races the deadline, such as the empty 200 a
		// server sends when the client's cancellation ends its handler,
		// is no answer.
		resp.Body.Close()
		err = ctx.Err()
	}
	if err != nil {
		a.err = err
		a.total = time.Since(start)
		return a
	}
	defer resp.Body.Close()
	a.resp = resp
	a.body, a.err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	a.total = time.Since(start)
	mu.Lock()
	a.ttfb = ttfb
	mu.Unlock()
	return a
}

// httpCheck judges the HTTP layer of an answer. It passes for any answer
// the protocol layer can interpret, including 404 and 410.
func (p *prober) httpCheck(a answer, route string, limit time.Duration) Check {
	c := newCheck(LayerHTTP, "", Pass, "")
	c.Elapsed = a.total
	if a.err != nil && a.resp == nil {
		c.Status, c.OK = Fail, false
		c.Detail, c.timeout = describeErr(a.err, limit)
		if c.timeout {
			c.Detail = "no response " + strings.TrimPrefix(c.Detail, "no answer ") +
				" after connecting (" + route + "): go would wait for it with no time limit"
		}
		return c
	}
	c.Elapsed = a.ttfb
	status := a.resp.Status
	detail := fmt.Sprintf("%s, first byte after %s, %s", status, fmtMS(a.ttfb), route)
	if first := firstRequest(a.resp.Request); first.URL.Host != a.resp.Request.URL.Host {
		detail += ", redirected to " + redact.URL(a.resp.Request.URL.String())
	}
	c.Detail = detail
	switch code := a.resp.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		c.Status, c.OK = Fail, false
		if a.resp.Request.Header.Get("Authorization") != "" {
			c.Detail += ": the mirror refused the credentials sent (the netrc machine line for its host, or the URL's user:password): check them"
		} else {
			c.Detail += ": the mirror wants credentials (a netrc machine line for its host, or GOAUTH)"
		}
	case code == http.StatusProxyAuthRequired:
		c.Status, c.OK = Fail, false
		c.Detail += ": the HTTP proxy wants credentials: put them in the proxy URL, http://user:password@host:port"
	case code == http.StatusTooManyRequests:
		c.Status, c.OK = Warn, false
		c.Detail += ": the mirror is rate-limiting this address"
	case code >= 500:
		c.Status, c.OK = Fail, false
		c.Detail += ": the mirror is failing"
	case code >= 300 && code < 400:
		c.Status, c.OK = Fail, false
		c.Detail += ": a redirect that could not be followed"
	}
	return c
}

func firstRequest(r *http.Request) *http.Request {
	for r.Response != nil && r.Response.Request != nil {
		r = r.Response.Request
	}
	return r
}

// protocol checks the http and proxy layers of a mirror: the probe
// module's .info must parse and name its version. It reports whether the
// mirror works.
func (p *prober) protocol(ctx context.Context, t *target, client *http.Client, route string) bool {
	mod := p.o.ProbeModule
	if p.private {
		a := p.get(ctx, client, t.url.String()+"/", p.b.http)
		c := p.httpCheck(a, route, p.b.http)
		if c.Status != Fail && a.resp != nil && a.resp.StatusCode < 500 {
			c.Status, c.OK = Pass, true
		}
		t.add(c)
		t.add(newCheck(LayerProxy, "", Skip, fmt.Sprintf(
			"not asked: the probe module %s matches GOPRIVATE or GONOPROXY, and private paths are never sent to mirrors", mod.Path)))
		return c.Status == Pass
	}
	esc, err := module.EscapePath(mod.Path)
	if err != nil {
		t.add(newCheck(LayerProxy, "", Fail, fmt.Sprintf("bad probe module: %v", err)))
		return false
	}
	escVer, err := module.EscapeVersion(mod.Version)
	if err != nil {
		t.add(newCheck(LayerProxy, "", Fail, fmt.Sprintf("bad probe module: %v", err)))
		return false
	}
	a := p.get(ctx, client, t.url.String()+"/"+esc+"/@v/"+escVer+".info", p.b.http)
	hc := p.httpCheck(a, route, p.b.http)
	t.add(hc)
	if hc.Status == Fail {
		return false
	}
	t.ttfb = a.ttfb
	c := newCheck(LayerProxy, "", Pass, "")
	c.Elapsed = a.total - a.ttfb
	switch code := a.resp.StatusCode; {
	case a.err != nil:
		c.Status, c.OK = Fail, false
		c.Detail, c.timeout = describeErr(a.err, p.b.http)
		c.Detail = "reading the answer: " + c.Detail
	case code == http.StatusNotFound || code == http.StatusGone:
		c.Status, c.OK = Fail, false
		c.Detail = fmt.Sprintf("answered %d for %s@%s: not a module proxy at this URL, or it does not have that module", code, mod.Path, mod.Version)
		t.notFound = true
	case code != http.StatusOK:
		c.Status, c.OK = Fail, false
		c.Detail = fmt.Sprintf("answered %s for %s@%s, not 200", a.resp.Status, mod.Path, mod.Version)
	default:
		c.Status, c.Detail = judgeInfo(a, mod)
		c.OK = c.Status == Pass
	}
	t.add(c)
	t.working = c.Status == Pass
	return t.working
}

// isHTML reports whether an answer is a web page, as captive portals and
// login pages answer every URL (mirrors.LooksHTML, the race's own test).
func isHTML(a answer) bool { return mirrors.LooksHTML(a.body) }

// probeFile checks a file:// GOPROXY entry: the directory must exist.
func (p *prober) probeFile(t *target) {
	dir := t.url.Path
	if len(dir) >= 3 && dir[0] == '/' && dir[2] == ':' { // file:///C:/... on Windows
		dir = dir[1:]
	}
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		t.add(newCheck(LayerProxy, "", Fail, fmt.Sprintf("local GOPROXY tree: %v", err)))
	case !st.IsDir():
		t.add(newCheck(LayerProxy, "", Fail, dir+" is not a directory"))
	default:
		t.add(newCheck(LayerProxy, "", Pass, "local GOPROXY tree "+dir+" exists"))
		t.working = true
	}
}
