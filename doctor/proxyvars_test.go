package doctor

import (
	"net/url"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/goenv"
)

// The cases follow net/http's ProxyFromEnvironment (the vendored
// golang.org/x/net/http/httpproxy), which the go command uses.
func TestProxyFor(t *testing.T) {
	const proxy = "http://proxy.example:3128"
	tests := []struct {
		name string
		env  goenv.Environ
		url  string
		want string // "" for direct
	}{
		{"https uses HTTPS_PROXY", goenv.Environ{"HTTPS_PROXY=" + proxy}, "https://m.example", proxy},
		{"http ignores HTTPS_PROXY", goenv.Environ{"HTTPS_PROXY=" + proxy}, "http://m.example", ""},
		{"https ignores HTTP_PROXY", goenv.Environ{"HTTP_PROXY=" + proxy}, "https://m.example", ""},
		{"lower case", goenv.Environ{"https_proxy=" + proxy}, "https://m.example", proxy},
		{"upper case wins", goenv.Environ{"https_proxy=http://lower.example:1", "HTTPS_PROXY=" + proxy}, "https://m.example", proxy},
		{"empty upper falls to lower", goenv.Environ{"HTTPS_PROXY=", "https_proxy=" + proxy}, "https://m.example", proxy},
		{"no scheme means http", goenv.Environ{"HTTPS_PROXY=proxy.example:3128"}, "https://m.example", proxy},
		{"localhost never", goenv.Environ{"HTTPS_PROXY=" + proxy}, "https://localhost:8443", ""},
		{"loopback never", goenv.Environ{"HTTPS_PROXY=" + proxy}, "https://127.0.0.1:8443", ""},
		{"NO_PROXY domain and subdomains", goenv.Environ{"HTTPS_PROXY=" + proxy, "NO_PROXY=corp.example"}, "https://goproxy.corp.example", ""},
		{"NO_PROXY domain itself", goenv.Environ{"HTTPS_PROXY=" + proxy, "NO_PROXY=corp.example"}, "https://corp.example", ""},
		{"NO_PROXY suffix is not a substring", goenv.Environ{"HTTPS_PROXY=" + proxy, "NO_PROXY=corp.example"}, "https://notcorp.example", proxy},
		{"NO_PROXY leading dot: subdomains only", goenv.Environ{"HTTPS_PROXY=" + proxy, "NO_PROXY=.corp.example"}, "https://corp.example", proxy},
		{"NO_PROXY star dot", goenv.Environ{"HTTPS_PROXY=" + proxy, "NO_PROXY=*.corp.example"}, "https://a.corp.example", ""},
		{"NO_PROXY port must match", goenv.Environ{"HTTPS_PROXY=" + proxy, "NO_PROXY=corp.example:8443"}, "https://corp.example", proxy},
		{"NO_PROXY port matches", goenv.Environ{"HTTPS_PROXY=" + proxy, "NO_PROXY=corp.example:443"}, "https://corp.example", ""},
		{"NO_PROXY CIDR", goenv.Environ{"HTTPS_PROXY=" + proxy, "NO_PROXY=10.0.0.0/8"}, "https://10.1.2.3", ""},
		{"NO_PROXY CIDR is not for names", goenv.Environ{"HTTPS_PROXY=" + proxy, "NO_PROXY=10.0.0.0/8"}, "https://m.example", proxy},
		{"NO_PROXY IP", goenv.Environ{"HTTPS_PROXY=" + proxy, "NO_PROXY=192.0.2.1"}, "https://192.0.2.1", ""},
		{"NO_PROXY star", goenv.Environ{"HTTPS_PROXY=" + proxy, "NO_PROXY=*"}, "https://m.example", ""},
		{"NO_PROXY spaces and case", goenv.Environ{"HTTPS_PROXY=" + proxy, "no_proxy= Corp.Example , x"}, "https://GOPROXY.corp.example", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse(tt.url)
			got, _, err := newProxyConfig(tt.env).proxyFor(u)
			if err != nil {
				t.Fatal(err)
			}
			gotS := ""
			if got != nil {
				gotS = got.String()
			}
			if gotS != tt.want {
				t.Errorf("proxy for %s = %q, want %q", tt.url, gotS, tt.want)
			}
		})
	}
}

func TestProxyForCGI(t *testing.T) {
	pc := newProxyConfig(goenv.Environ{"HTTP_PROXY=http://proxy.example:3128", "REQUEST_METHOD=GET"})
	u, _ := url.Parse("http://m.example")
	if _, _, err := pc.proxyFor(u); err == nil {
		t.Fatal("HTTP_PROXY used in a CGI environment")
	}
}

// TestProxyForIgnoresWhatGoIgnores: a proxy value that does not parse is
// ignored by go, which then connects directly; doctor says so.
func TestProxyForIgnoresWhatGoIgnores(t *testing.T) {
	pc := newProxyConfig(goenv.Environ{"https_proxy=http://proxy.example\x7f:1"})
	u, _ := url.Parse("https://m.example")
	if p, _, err := pc.proxyFor(u); p != nil || err != nil {
		t.Errorf("proxy %v, %v; want a direct connection", p, err)
	}
	if pc.any() || len(pc.errs) != 1 || !strings.Contains(pc.errs[0].Error(), "https_proxy=") || !strings.Contains(pc.errs[0].Error(), "connects directly") {
		t.Errorf("any %v, errs %v", pc.any(), pc.errs)
	}
}
