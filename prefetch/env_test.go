package prefetch

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/gofastdev/gofast/internal/proxyenv"

	"github.com/gofastdev/gofast/internal/goenv"
)

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
