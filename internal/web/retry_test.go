package web

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"2", 2 * time.Second, true},
		{"3600", RetryAfterCap, true},
		{"-1", 0, false},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second, true},
		{now.Add(-5 * time.Second).Format(http.TimeFormat), 0, true},
		{"soon", 0, false},
	} {
		got, ok := retryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	for attempt := 0; attempt < 8; attempt++ {
		for range 50 {
			d := Backoff(RetryWaitMin, RetryWaitMax, attempt, nil)
			if d < RetryWaitMin || d > RetryWaitMax {
				t.Fatalf("Backoff(attempt %d) = %v outside [%v, %v]", attempt, d, RetryWaitMin, RetryWaitMax)
			}
		}
	}
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"1"}}}
	if d := Backoff(RetryWaitMin, RetryWaitMax, 0, resp); d != time.Second {
		t.Errorf("Retry-After ignored: %v", d)
	}
}

func TestCheckRetry(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	bg := context.Background()
	urlErr := func(err error) error { return &url.Error{Op: "Get", URL: "https://x", Err: err} }
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		status int
		err    error
		want   bool
	}{
		{"404", bg, 404, nil, false},
		{"410", bg, 410, nil, false},
		{"403", bg, 403, nil, false},
		{"429", bg, 429, nil, true},
		{"500", bg, 500, nil, true},
		{"503", bg, 503, nil, true},
		{"501", bg, 501, nil, false},
		{"200", bg, 200, nil, false},
		{"reset", bg, 0, errors.New("read: connection reset by peer"), true},
		{"unknown CA", bg, 0, urlErr(x509.UnknownAuthorityError{}), false},
		{"hostname", bg, 0, fmt.Errorf("tls: %w", x509.HostnameError{Host: "x"}), false},
		{"cancelled", cancelled, 0, context.Canceled, false},
		{"deadline", bg, 0, urlErr(context.DeadlineExceeded), false},
		{"insecure redirect", bg, 0, urlErr(ErrInsecureRedirect), false},
		{"too many redirects", bg, 0, urlErr(ErrTooManyRedirects), false},
		{"insecure credentials", bg, 0, urlErr(ErrInsecureCredentials), false},
		{"unsupported scheme", bg, 0, urlErr(ErrUnsupportedScheme), false},
		{"net/http unsupported scheme", bg, 0, urlErr(errors.New(`unsupported protocol scheme "ftp"`)), false},
	} {
		var resp *http.Response
		if tc.status != 0 {
			resp = &http.Response{StatusCode: tc.status}
		}
		got, _ := CheckRetry(tc.ctx, resp, tc.err)
		if got != tc.want {
			t.Errorf("%s: retry = %v, want %v", tc.name, got, tc.want)
		}
	}
}
