package proxytest

import (
	"strings"
	"testing"
)

// TestGoEnvDropsTheMachinesFetchSettings checks that no setting of the
// developer's machine that changes go's fetches reaches a test's go, and
// that everything else does.
func TestGoEnvDropsTheMachinesFetchSettings(t *testing.T) {
	base := []string{
		"GOPROXY=https://corp.example", "GOSUMDB=off", "GONOSUMDB=*", "GOPRIVATE=*", "GONOPROXY=*",
		"GOINSECURE=*", "GOAUTH=git /src", "NETRC=/home/me/.netrc", "GOVCS=*:all", "GOFLAGS=-mod=vendor",
		"GOENV=/home/me/go.env", "GOTOOLCHAIN=go1.99.0", "GOWORK=/src/go.work", "GO111MODULE=off",
		"GOMODCACHE=/home/me/mod", "GOPATH=/home/me/go", "GOCACHEPROG=remote-cache",
		"https_proxy=http://proxy:3128", "ALL_PROXY=socks5://proxy", "no_proxy=corp.example",
		"GOFAST_JOBS=99", "GOFAST_MIRRORS=https://m.example",
		"LANG=C", "HOME=/home/me", "GOCACHE=/home/me/cache",
	}
	env := GoEnv(base, nil, "/tmp/mod")
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := got[strings.ToUpper(k)]; dup {
			t.Errorf("%s set twice", k)
		}
		got[strings.ToUpper(k)] = v
	}
	want := map[string]string{
		"GOPROXY": "off", "GOSUMDB": "off", "GOMODCACHE": "/tmp/mod", "GOPATH": "/tmp/mod.gopath",
		"GOFLAGS": "-mod=mod", "GOENV": "off", "GOTOOLCHAIN": "local", "GOWORK": "off",
		"NO_PROXY": "127.0.0.1,localhost", "LANG": "C", "HOME": "/home/me", "GOCACHE": "/home/me/cache",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s=%s of the machine reached the test's go", k, got[k])
		}
	}
}
