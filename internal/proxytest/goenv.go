package proxytest

import (
	"os"
	"strings"
)

// fetchSettings are the variables of the developer's machine that change
// what the go tool fetches, from where, with what credentials, how it
// checks it, or where it keeps it. IsolatedEnv drops every one of them, so
// that a test or a benchmark sees go's defaults plus what it sets itself:
//
//   - GOPROXY, GOSUMDB, GONOSUMDB, GOPRIVATE, GONOPROXY, GOINSECURE: where
//     go fetches and what it verifies;
//   - GOAUTH and NETRC: the credentials go sends (GOAUTH can also run a
//     command or git); without NETRC go reads $HOME/.netrc, which is the
//     caller's HOME;
//   - GOVCS: which version-control tools direct mode may run;
//   - GOFLAGS: -mod, -modcacherw, -insecure and the like;
//   - GOENV: the user's go env file, which can set all of the above (the
//     isolated environment sets GOENV=off);
//   - GOTOOLCHAIN: a switch downloads a toolchain (callers pin it);
//   - GOWORK and GO111MODULE: a workspace changes the module graph, and
//     GOPATH mode fetches nothing as modules do (GOWORK=off is set);
//   - GOMODCACHE and GOPATH: where downloads and checksum-database state
//     go (callers set them);
//   - GOCACHEPROG: not a fetch setting, but a program of the developer's
//     (often a remote cache) that every go command starts, which would
//     make a test's result depend on it; GOCACHE itself is left, as the
//     build cache changes no fetch and keeps tests fast;
//   - HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY, in either case: an
//     HTTP proxy between go and a loopback server (NO_PROXY is set to
//     loopback);
//   - GOFAST_*: gofast's own settings.
//
// Left alone, as not changing fetches from a loopback server: GOROOT,
// GOCACHE, HOME, TMPDIR, GODEBUG, SSL_CERT_FILE and SSL_CERT_DIR (a test
// serving TLS sets SSL_CERT_FILE itself), and git's variables (direct
// mode is never used against a test server).
var fetchSettings = []string{
	"GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOINSECURE",
	"GOAUTH", "NETRC", "GOVCS", "GOFLAGS", "GOENV", "GOTOOLCHAIN", "GOWORK", "GO111MODULE",
	"GOMODCACHE", "GOPATH", "GOCACHEPROG",
	"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
}

// IsolatedEnv returns base (usually os.Environ()) without the settings of
// the developer's machine that change go's fetches (see fetchSettings),
// without the variables named in drop, and with GOENV=off, GOWORK=off and
// NO_PROXY=127.0.0.1,localhost. Names are compared ignoring case: Windows
// does, and go's HTTP proxy rules read both spellings. The caller then
// sets GOPROXY, GOMODCACHE, GOPATH, GOTOOLCHAIN, GOFLAGS and GOSUMDB as
// its run needs; one it leaves unset is go's default.
func IsolatedEnv(base []string, drop ...string) []string {
	dropped := map[string]bool{}
	for _, k := range append(fetchSettings, drop...) {
		dropped[strings.ToUpper(k)] = true
	}
	var env []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if dropped[strings.ToUpper(k)] || strings.HasPrefix(strings.ToUpper(k), "GOFAST_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GOENV=off", "GOWORK=off", "NO_PROXY=127.0.0.1,localhost")
}

// GoEnv returns an environment for running the real go tool against s in
// isolation (IsolatedEnv): s as the only proxy, its checksum database
// (when served), modcache as GOMODCACHE, GOPATH beside it (go keeps the
// checksum database's signed tree state in $GOPATH/pkg/sumdb, and every
// test server has its own key), GOFLAGS=-mod=mod, and a local toolchain.
// base is usually os.Environ(); the build cache is kept so tests stay
// fast.
func GoEnv(base []string, s *Server, modcache string) []string {
	gosumdb := "off"
	if s != nil && s.GOSUMDB != "" {
		gosumdb = s.GOSUMDB
	}
	proxy := "off"
	if s != nil {
		proxy = s.URL
	}
	return append(IsolatedEnv(base),
		"GOPROXY="+proxy,
		"GOSUMDB="+gosumdb,
		"GOMODCACHE="+modcache,
		"GOPATH="+modcache+".gopath",
		"GOFLAGS=-mod=mod",
		"GOTOOLCHAIN=local",
	)
}

// Environ is os.Environ, for callers that build GoEnv from the process
// environment in tests.
func Environ() []string { return os.Environ() }
