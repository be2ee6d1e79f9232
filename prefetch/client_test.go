package prefetch

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxyenv"

	"github.com/gofastdev/gofast/internal/goenv"
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
		{"3600", retryAfterCap, true},
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
			d := backoff(retryWaitMin, retryWaitMax, attempt, nil)
			if d < retryWaitMin || d > retryWaitMax {
				t.Fatalf("backoff(attempt %d) = %v outside [%v, %v]", attempt, d, retryWaitMin, retryWaitMax)
			}
		}
	}
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"1"}}}
	if d := backoff(retryWaitMin, retryWaitMax, 0, resp); d != time.Second {
		t.Errorf("Retry-After ignored: %v", d)
	}
}

func TestCheckRetry(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	bg := context.Background()
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
		{"unknown CA", bg, 0, &url.Error{Op: "Get", URL: "https://x", Err: x509.UnknownAuthorityError{}}, false},
		{"hostname", bg, 0, fmt.Errorf("tls: %w", x509.HostnameError{Host: "x"}), false},
		{"cancelled", cancelled, 0, context.Canceled, false},
	} {
		var resp *http.Response
		if tc.status != 0 {
			resp = &http.Response{StatusCode: tc.status}
		}
		got, _ := checkRetry(tc.ctx, resp, tc.err)
		if got != tc.want {
			t.Errorf("%s: retry = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestProxyFromPassedEnvironment(t *testing.T) {
	env := goenv.Environ{"HTTPS_PROXY=http://proxy.corp:3128", "http_proxy=proxy.corp:8080", "NO_PROXY=.internal.example,10.0.0.0/8,mirror.example:8443"}
	f := proxyenv.Func(env)
	for _, tc := range []struct {
		url, want string
	}{
		{"https://proxy.golang.example/x", "http://proxy.corp:3128"},
		{"http://plain.example/x", "http://proxy.corp:8080"},
		{"https://a.internal.example/x", ""},
		{"https://internal.example/x", "http://proxy.corp:3128"}, // ".internal.example" matches subdomains only, as in net/http
		{"https://10.1.2.3/x", ""},
		{"https://mirror.example:8443/x", ""},
		{"https://mirror.example/x", "http://proxy.corp:3128"},
		{"http://127.0.0.1:8080/x", ""},
		{"http://localhost/x", ""},
	} {
		u, _ := url.Parse(tc.url)
		got, err := f(&http.Request{URL: u})
		s := ""
		if got != nil {
			s = got.String()
		}
		if err != nil || s != tc.want {
			t.Errorf("proxy for %s = %q, %v; want %q", tc.url, s, err, tc.want)
		}
	}
	if got, _ := proxyenv.Func(nil)(&http.Request{URL: &url.URL{Scheme: "https", Host: "x.example"}}); got != nil {
		t.Errorf("nil env gave proxy %v", got)
	}
}

func TestModCacheRW(t *testing.T) {
	for in, want := range map[string]bool{"": false, "-mod=mod": false, "-modcacherw": true, "-mod=mod --modcacherw": true, "-modcacherw=true": true, "-modcacherw=false": false} {
		if got := modCacheRW(in); got != want {
			t.Errorf("modCacheRW(%q) = %v", in, got)
		}
	}
}
