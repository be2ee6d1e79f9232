package prefetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxyenv"
	"github.com/hashicorp/go-retryablehttp"
)

// Retry settings: short waits, because a mirror that keeps failing is
// better replaced by the next one than waited for.
const (
	retryWaitMin  = 100 * time.Millisecond
	retryWaitMax  = 2 * time.Second
	retryMax      = 3
	retryAfterCap = 10 * time.Second
)

// newHTTPClient returns the client shared by every download: one transport,
// so connections (and HTTP/2 streams over TLS) are reused across modules,
// with enough idle connections per host to keep jobs streams open, and the
// proxy taken from env rather than from the process environment.
func newHTTPClient(env goenv.Environ, jobs int) *http.Client {
	t := &http.Transport{
		Proxy: proxyenv.Func(env),
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2 * jobs,
		MaxIdleConnsPerHost:   jobs,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: credentialGuard{t}, CheckRedirect: checkRedirect}
}

// errInsecureCredentials is a request that would send a URL's user name
// and password over plain http, which the go command refuses (web.Get:
// "refusing to pass credentials to insecure URL").
var errInsecureCredentials = errors.New("refusing to pass credentials to insecure URL")

// credentialGuard is the transport every download goes through: it
// refuses, as go does, a request carrying URL credentials that is not
// https, before anything is sent.
type credentialGuard struct{ http.RoundTripper }

func (g credentialGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.User != nil && r.URL.Scheme != "https" {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("%w: %s", errInsecureCredentials, r.URL.Redacted())
	}
	return g.RoundTripper.RoundTrip(r)
}

// maxRedirects is how many redirects one request follows, as net/http's
// default policy and the go command.
const maxRedirects = 10

// errInsecureRedirect is a redirect from https to another scheme, which
// the go command refuses (web.securityPreservingHTTPClient): following it
// would send the request, and take the answer, in clear text.
var errInsecureRedirect = errors.New("redirected from a secure URL to an insecure one")

// checkRedirect is the go command's redirect policy: at most maxRedirects
// hops, and never from https down to plain http.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > 0 && via[len(via)-1].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: %s to %s", errInsecureRedirect, via[len(via)-1].URL.Redacted(), req.URL.Redacted())
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	return nil
}

// newRetryClient wraps hc in go-retryablehttp configured for mirrors:
// short jittered waits, no logger, and retries only where another attempt
// can help (see checkRetry).
func newRetryClient(hc *http.Client, hooks *attemptHooks) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   hc,
		Logger:       nil,
		RetryWaitMin: retryWaitMin,
		RetryWaitMax: retryWaitMax,
		RetryMax:     retryMax,
		CheckRetry:   checkRetry,
		Backoff:      backoff,
		// Keep the last response so the caller sees the real status
		// (404 vs 503) instead of a generic "giving up" error.
		ErrorHandler:    retryablehttp.PassthroughErrorHandler,
		RequestLogHook:  hooks.request,
		ResponseLogHook: hooks.response,
	}
}

// checkRetry retries network errors, 429 and 5xx (but 501), and never
// 404/410 or other 4xx, TLS verification failures, too many redirects, or
// a cancelled or expired context.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, context.Cause(ctx)
	}
	if err != nil {
		if !retryableNetError(err) {
			return false, err
		}
		return true, nil
	}
	return retryableStatus(resp.StatusCode), nil
}

// retryableStatus reports whether an answer may be different next time:
// 429 and 5xx, but 501 (the mirror does not do what was asked).
func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500 && code != http.StatusNotImplemented
}

// retryableNetError reports whether a transport error may go away on a new
// attempt: certificate problems and redirect loops do not.
func retryableNetError(err error) bool {
	var (
		unknownAuth x509.UnknownAuthorityError
		invalidCert x509.CertificateInvalidError
		hostname    x509.HostnameError
		verify      *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownAuth) || errors.As(err, &invalidCert) || errors.As(err, &hostname) || errors.As(err, &verify) {
		return false
	}
	if errors.Is(err, errInsecureRedirect) || errors.Is(err, errInsecureCredentials) {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	msg := err.Error()
	if strings.Contains(msg, "stopped after") && strings.Contains(msg, "redirects") {
		return false
	}
	if strings.Contains(msg, "unsupported protocol scheme") {
		return false
	}
	return true
}

// backoff waits a random time between min and an exponentially growing
// bound (full jitter, so many parallel streams hitting one busy mirror do
// not retry in lock step), and honours Retry-After on 429 and 503 up to a
// cap.
func backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return d
		}
	}
	bound := min << uint(attempt)
	if bound > max || bound <= 0 {
		bound = max
	}
	if bound <= min {
		return min
	}
	return min + rand.N(bound-min)
}

// retryAfter parses a Retry-After value (seconds or an HTTP date) and caps
// it, so a mirror cannot park a download for long.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
		if d < 0 {
			d = 0
		}
	} else {
		return 0, false
	}
	return min(d, retryAfterCap), true
}
