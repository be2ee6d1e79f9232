package proxyenv

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/gofastdev/gofast/internal/environ"
)

func TestFunc(t *testing.T) {
	env := environ.Environ{
		"HTTPS_PROXY=http://upper.example:3128", "https_proxy=http://lower.example:1",
		"http_proxy=proxy.example:8080",
		"NO_PROXY=internal.example,10.0.0.0/8,.corp.example,only.example:444",
	}
	for _, tc := range []struct{ target, want string }{
		{"https://mirror.example/x", "http://upper.example:3128"},
		{"http://mirror.example/x", "http://proxy.example:8080"},
		{"https://internal.example/x", ""},
		{"https://sub.internal.example/x", ""},
		{"https://a.corp.example/x", ""},
		{"https://10.1.2.3/x", ""},
		{"https://only.example:444/x", ""},
		{"https://only.example/x", "http://upper.example:3128"},
		{"https://127.0.0.1:8443/x", ""},
		{"http://localhost:3000/x", ""},
	} {
		u, _ := url.Parse(tc.target)
		got, err := Func(env)(&http.Request{URL: u})
		if err != nil {
			t.Fatalf("%s: %v", tc.target, err)
		}
		g := ""
		if got != nil {
			g = got.String()
		}
		if g != tc.want {
			t.Errorf("%s: proxy %q, want %q", tc.target, g, tc.want)
		}
	}
	u, _ := url.Parse("https://mirror.example/")
	if got, _ := Func(nil)(&http.Request{URL: u}); got != nil {
		t.Errorf("no proxy variables: got proxy %v", got)
	}
}

func TestVariable(t *testing.T) {
	for _, tc := range []struct {
		env         environ.Environ
		name, value string
	}{
		{nil, "HTTPS_PROXY", ""},
		{environ.Environ{"https_proxy=low"}, "https_proxy", "low"},
		{environ.Environ{"https_proxy=low", "HTTPS_PROXY=up"}, "HTTPS_PROXY", "up"},
		{environ.Environ{"HTTPS_PROXY=", "https_proxy=low"}, "https_proxy", "low"},
	} {
		if n, v := Variable(tc.env, "HTTPS_PROXY"); n != tc.name || v != tc.value {
			t.Errorf("%v: %s=%q, want %s=%q", tc.env, n, v, tc.name, tc.value)
		}
	}
}

func TestProxyURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "",
		"http://proxy.example:1":     "http://proxy.example:1",
		"proxy.example:3128":         "http://proxy.example:3128",
		"socks5://127.0.0.1:1080":    "socks5://127.0.0.1:1080",
		"http://proxy.example\x7f:1": "", // go ignores what does not parse
	} {
		got := ""
		if u := ProxyURL(in); u != nil {
			got = u.String()
		}
		if got != want {
			t.Errorf("ProxyURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCGIRefusesHTTPProxy(t *testing.T) {
	env := environ.Environ{"HTTP_PROXY=http://proxy.example:3128", "REQUEST_METHOD=GET"}
	u, _ := url.Parse("http://m.example/x")
	if _, err := Func(env)(&http.Request{URL: u}); err == nil {
		t.Error("HTTP_PROXY used in a CGI environment")
	}
}
