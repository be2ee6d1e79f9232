package proxytest

import (
	"os"
	"strings"
)

// GoEnv returns an environment for running the real go tool against s in
// isolation: s as the only proxy, its checksum database (when served),
// modcache as GOMODCACHE, GOPATH beside it (go keeps the checksum
// database's signed tree state in $GOPATH/pkg/sumdb, and every test server
// has its own key), no user go env file, no private patterns, and a local
// toolchain. base is usually os.Environ(); the build cache is kept so
// tests stay fast.
func GoEnv(base []string, s *Server, modcache string) []string {
	drop := map[string]bool{
		"GOPROXY": true, "GOSUMDB": true, "GOMODCACHE": true, "GOENV": true, "GOFLAGS": true,
		"GOPRIVATE": true, "GONOPROXY": true, "GONOSUMDB": true, "GOINSECURE": true,
		"GOTOOLCHAIN": true, "GOWORK": true, "GOPATH": true, "GO111MODULE": true, "GOFAST_MIRRORS": true,
		"GOFAST_OFF": true, "GOFAST_JOBS": true, "GOFAST_TTL": true,
		"HTTP_PROXY": true, "HTTPS_PROXY": true, "http_proxy": true, "https_proxy": true,
	}
	var env []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	gosumdb := "off"
	if s != nil && s.GOSUMDB != "" {
		gosumdb = s.GOSUMDB
	}
	proxy := "off"
	if s != nil {
		proxy = s.URL
	}
	return append(env,
		"GOPROXY="+proxy,
		"GOSUMDB="+gosumdb,
		"GOMODCACHE="+modcache,
		"GOPATH="+modcache+".gopath",
		"GOENV=off",
		"GOFLAGS=-mod=mod",
		"GOTOOLCHAIN=local",
		"GOWORK=off",
		"NO_PROXY=127.0.0.1,localhost",
	)
}

// Environ is os.Environ, for callers that build GoEnv from the process
// environment in tests.
func Environ() []string { return os.Environ() }
