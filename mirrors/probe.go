package mirrors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/module"

	"github.com/gofastdev/gofast/internal/goauth"
	"github.com/gofastdev/gofast/internal/redact"
	"github.com/gofastdev/gofast/internal/web"
)

// Mirror is what one race learned about one candidate.
type Mirror struct {
	// URL is the mirror as it appears in GOPROXY, credentials included;
	// print it with redact.URL.
	URL string
	// OK means the mirror answers as a module proxy and may be in a chain.
	OK bool
	// Found means it served the probe module's .info (200).
	Found bool
	// Local marks a file:// mirror: never probed, always kept in place.
	Local bool
	// Status is the HTTP status of the probe, 0 when none arrived.
	Status int
	// TTFB is the time from sending the probe to its first response byte,
	// DNS, Connect and TLS the layers inside it (zero when not measured,
	// for instance on a reused connection).
	TTFB, DNS, Connect, TLS time.Duration
	// SumDB means the mirror proxies the checksum database (GOSUMDB).
	SumDB bool
	// Throughput is the download rate in bytes per second, 0 if unknown.
	Throughput float64
	// Err says why the mirror is not OK, or for an OK one, what was odd
	// (a failed throughput sample). Credentials are redacted.
	Err string
	// Demoted is why a download through this mirror failed since the race
	// (see Demote); a demoted mirror ranks behind the others.
	Demoted string
}

// maxInfoBody and maxNotFoundBody bound what a probe reads: a .info is
// about a hundred bytes, and module proxies explain a 404 in one line.
const (
	maxInfoBody     = 64 << 10
	maxNotFoundBody = 4 << 10
)

// Probe races the candidates' proxies at once, each asked once for the
// probe module's .info (and whether it proxies the checksum database),
// all under one deadline: a stalled or dead mirror costs at most
// Options.Deadline. direct and off entries are skipped, file:// entries
// are reported as Local without being touched, repeated URLs are probed
// once. The result follows the candidates' order; Select ranks it.
func Probe(ctx context.Context, opts Options, candidates List) []Mirror {
	var entries List
	seen := map[string]bool{}
	for _, e := range candidates {
		if e.Kind == Proxy && !seen[sameURLKey(e.URL)] {
			seen[sameURLKey(e.URL)] = true
			entries = append(entries, e)
		}
	}
	out := make([]Mirror, len(entries))
	mod, modErr := opts.probeModule()
	client := opts.Client
	if client == nil {
		client = web.NewClient(clientOptions(opts.Env, opts.deadline()))
		defer client.CloseIdleConnections()
	}
	sumdbName := ""
	if opts.Settings != nil {
		// A GOSUMDB go rejects, or off, has no database to ask about.
		if db, err := opts.Settings.SumDB(); err == nil && db != nil {
			sumdbName = db.Name
		}
	}
	auth := opts.auth()

	raceCtx, cancel := context.WithTimeout(ctx, opts.deadline())
	defer cancel()
	var wg sync.WaitGroup
	for i, e := range entries {
		out[i].URL = e.URL
		switch {
		case e.IsFile():
			out[i].OK, out[i].Local = true, true
		case modErr != nil:
			out[i].Err = modErr.Error()
		default:
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = probeOne(raceCtx, client, auth, e.URL, mod, sumdbName, opts.deadline())
			}()
		}
	}
	wg.Wait()

	if opts.Throughput && ctx.Err() == nil {
		for i := range out {
			if out[i].Found {
				sampleThroughput(ctx, client, auth, &out[i], mod, opts.throughputTime())
			}
		}
	}
	return out
}

// probeOne asks one mirror for the probe module's .info and, at the same
// time, whether it proxies the checksum database.
func probeOne(ctx context.Context, client *http.Client, auth *goauth.Credentials, base string, mod module.Version, sumdbName string, deadline time.Duration) Mirror {
	m := Mirror{URL: base}
	var (
		sumOK    bool
		sumTrace *layerTrace
		wg       sync.WaitGroup
	)
	if sumdbName != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sumOK, sumTrace = checkSumDB(ctx, client, auth, base, sumdbName)
		}()
	}
	infoURL, err := moduleFileURL(base, mod, ".info")
	if err != nil {
		wg.Wait()
		m.Err = err.Error()
		return m
	}
	tr := newLayerTrace()
	judge := func(resp *http.Response, ttfb time.Duration) {
		m.Status = resp.StatusCode
		m.TTFB = ttfb
		m.Err = classify(resp, mod)
		m.OK = m.Err == ""
		m.Found = m.OK && resp.StatusCode == http.StatusOK
		resp.Body.Close()
	}
	resp, err := get(tr.with(ctx), client, auth, infoURL)
	if err != nil {
		m.Err = describeFailure(ctx, err, tr, deadline)
	} else {
		judge(resp, tr.ttfb())
	}
	if m.Status == http.StatusTooManyRequests || m.Status >= 500 && m.Status != http.StatusNotImplemented {
		// One 5xx or 429 is often a passing hiccup of a working mirror:
		// ask once more within the race's deadline, and count both round
		// trips in its time to first byte.
		again := newLayerTrace()
		if resp, err := get(again.with(ctx), client, auth, infoURL); err == nil {
			judge(resp, m.TTFB+again.ttfb())
		}
	}
	wg.Wait()
	m.SumDB = sumOK
	m.DNS, m.Connect, m.TLS = tr.layers()
	if m.DNS == 0 && m.Connect == 0 && sumTrace != nil {
		// The checksum-database request may have opened the connection
		// the probe then shared (HTTP/2).
		m.DNS, m.Connect, m.TLS = sumTrace.layers()
	}
	return m
}

// get sends a GET that reads like the go command's, with the credentials
// go would send to u.
func get(ctx context.Context, client *http.Client, auth *goauth.Credentials, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "gofast (mirror probe)")
	return web.Send(req, auth, client.Do)
}

// moduleFileURL is <base>/<escaped path>/@v/<escaped version><ext>.
func moduleFileURL(base string, mod module.Version, ext string) (string, error) {
	p, err := module.EscapePath(mod.Path)
	if err != nil {
		return "", fmt.Errorf("probe module: %w", err)
	}
	v, err := module.EscapeVersion(mod.Version)
	if err != nil {
		return "", fmt.Errorf("probe module: %w", err)
	}
	return strings.TrimRight(base, "/") + "/" + p + "/@v/" + v + ext, nil
}

// classify decides whether a response to the .info probe comes from a
// module proxy: a 200 with a JSON .info naming the version, or a 404/410
// with a short, non-HTML body. It returns "" for a proxy's answer, else
// why it is not one. The body is read within the race's deadline.
func classify(resp *http.Response, mod module.Version) string {
	file := mod.Path + "/@v/" + mod.Version + ".info"
	switch resp.StatusCode {
	case http.StatusOK:
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxInfoBody+1))
		if err != nil {
			return fmt.Sprintf("reading %s: %s", file, redact.String(err.Error()))
		}
		if LooksHTML(body) {
			return fmt.Sprintf("answered %s with an HTML page, not a module proxy (captive portal or login page?)", file)
		}
		var info struct{ Version string }
		if len(body) > maxInfoBody || json.Unmarshal(body, &info) != nil || info.Version != mod.Version {
			return fmt.Sprintf("answered %s with something that is not the module's .info: %q", file, snippet(body))
		}
		return ""
	case http.StatusNotFound, http.StatusGone:
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxNotFoundBody+1))
		if err != nil {
			return fmt.Sprintf("reading a %d answer: %s", resp.StatusCode, redact.String(err.Error()))
		}
		if LooksHTML(body) {
			return fmt.Sprintf("answered %d with an HTML page: a web server, not a module proxy (wrong URL?)", resp.StatusCode)
		}
		if len(body) > maxNotFoundBody {
			return fmt.Sprintf("answered %d with a long body, not a module proxy's one-line reason", resp.StatusCode)
		}
		return ""
	case http.StatusProxyAuthRequired:
		return fmt.Sprintf("answered %s: the HTTP proxy wants credentials; put them in the proxy URL (HTTPS_PROXY=http://user:password@host:port)", resp.Status)
	case http.StatusUnauthorized, http.StatusForbidden:
		if resp.Request != nil && resp.Request.Header.Get("Authorization") != "" {
			return fmt.Sprintf("answered %s to the credentials sent (netrc or the URL's user:password): check them", resp.Status)
		}
		return fmt.Sprintf("answered %s: it wants credentials, and the netrc file has none for it (go may get some from a GOAUTH command)", resp.Status)
	}
	return "answered " + resp.Status
}

// snippet shortens a body for a message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

// checkSumDB asks whether the mirror proxies the checksum database
// (GET <mirror>/sumdb/<name>/supported answering 200), as go does before
// using a proxy for it.
func checkSumDB(ctx context.Context, client *http.Client, auth *goauth.Credentials, base, name string) (bool, *layerTrace) {
	tr := newLayerTrace()
	resp, err := get(tr.with(ctx), client, auth, strings.TrimRight(base, "/")+"/sumdb/"+name+"/supported")
	if err != nil {
		return false, tr
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxNotFoundBody))
	return resp.StatusCode == http.StatusOK && !LooksHTML(body), tr
}

// maxThroughputBytes bounds a throughput sample, whatever the link speed.
const maxThroughputBytes = 64 << 20

// sampleThroughput downloads the probe module's zip from m for at most
// limit and records the rate at which body bytes arrived. Samples run one
// mirror after another so that they do not share, and split, the link.
// A sample that fails leaves Throughput at 0 and says why in Err without
// changing OK: the mirror did answer the race.
func sampleThroughput(ctx context.Context, client *http.Client, auth *goauth.Credentials, m *Mirror, mod module.Version, limit time.Duration) {
	u, err := moduleFileURL(m.URL, mod, ".zip")
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	resp, err := get(ctx, client, auth, u)
	if err != nil {
		m.Err = "throughput sample: " + describeFailure(ctx, err, newLayerTrace(), limit)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		m.Err = fmt.Sprintf("throughput sample: %s answered %s", mod.Path+"/@v/"+mod.Version+".zip", resp.Status)
		return
	}
	start := time.Now()
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxThroughputBytes))
	elapsed := time.Since(start)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		// A sample cut short by its time limit still measured a rate.
		m.Err = "throughput sample: " + redact.String(err.Error())
		return
	}
	if n > 0 && elapsed > 0 {
		m.Throughput = float64(n) / elapsed.Seconds()
	}
}
