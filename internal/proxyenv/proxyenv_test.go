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
