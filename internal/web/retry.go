package web

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Retry settings: short waits, because a mirror that keeps failing is
// better replaced by the next one than waited for.
const (
	RetryWaitMin  = 100 * time.Millisecond
	RetryWaitMax  = 2 * time.Second
	RetryMax      = 3
	RetryAfterCap = 10 * time.Second
)

// RetryHooks are called by the retry client around every attempt (see
// retryablehttp.Client's RequestLogHook and ResponseLogHook). Nil hooks are
// not called.
type RetryHooks struct {
	Request  retryablehttp.RequestLogHook
	Response retryablehttp.ResponseLogHook
}

// NewRetryClient wraps hc in go-retryablehttp configured for mirrors: short
// jittered waits, no logger, retries only where another attempt can help
// (CheckRetry), and the last response handed back as it is, so the caller
// sees the real status (404 vs 503) instead of a generic "giving up" error.
func NewRetryClient(hc *http.Client, hooks RetryHooks) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:      hc,
		Logger:          nil,
		RetryWaitMin:    RetryWaitMin,
		RetryWaitMax:    RetryWaitMax,
		RetryMax:        RetryMax,
		CheckRetry:      CheckRetry,
		Backoff:         Backoff,
		ErrorHandler:    retryablehttp.PassthroughErrorHandler,
		RequestLogHook:  hooks.Request,
		ResponseLogHook: hooks.Response,
	}
}

// CheckRetry is the retryablehttp.CheckRetry policy: retry network errors
// (RetryableError), 429 and 5xx but 501 (RetryableStatus); never 404/410 or
// other 4xx, and never once ctx is done.
func CheckRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, context.Cause(ctx)
	}
	if err != nil {
		if !RetryableError(err) {
			return false, err
		}
		return true, nil
	}
	return RetryableStatus(resp.StatusCode), nil
}

// RetryableStatus reports whether an answer may be different next time:
// 429 and 5xx, but 501 (the mirror does not do what was asked).
func RetryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500 && code != http.StatusNotImplemented
}

// RetryableError reports whether a transport error may go away on a new
// attempt. Network errors may; certificate verification failures, refused
// redirects and credentials, cancellation and expired deadlines, and
// unsupported schemes do not. No error is not retried.
func RetryableError(err error) bool {
	if err == nil {
		return false
	}
	var (
		unknownAuth x509.UnknownAuthorityError
		invalidCert x509.CertificateInvalidError
		hostname    x509.HostnameError
		verify      *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknownAuth), errors.As(err, &invalidCert), errors.As(err, &hostname), errors.As(err, &verify):
		return false
	case errors.Is(err, ErrInsecureRedirect), errors.Is(err, ErrTooManyRedirects),
		errors.Is(err, ErrInsecureCredentials), errors.Is(err, ErrUnsupportedScheme):
		return false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	}
	// A client not built by NewClient gets net/http's own error for a
	// scheme it cannot speak, which has no sentinel.
	return !strings.Contains(err.Error(), "unsupported protocol scheme")
}

// Backoff waits a random time between min and an exponentially growing
// bound (full jitter, so many parallel streams hitting one busy mirror do
// not retry in lock step), and honours Retry-After on 429 and 503 up to
// RetryAfterCap. It is a retryablehttp.Backoff.
func Backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
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
	return min(d, RetryAfterCap), true
}
