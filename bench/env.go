package main

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// toolEnv describes the isolated environment both tools of a comparison run
// in. go and gofast get byte-for-byte the same environment: go ignores the
// GOFAST_ variables, and gofast hands the rest to go.
type toolEnv struct {
	// GoRoot is the real go tool's GOROOT; its bin directory goes first on
	// PATH so that "go" there is the real tool, never gofast.
	GoRoot string
	// Proxy is GOPROXY; "off" forbids downloads.
	Proxy string
	// Mirrors is GOFAST_MIRRORS, "" to leave it unset.
	Mirrors string
	// ModCache is GOMODCACHE, fresh for a cold run.
	ModCache string
	// GoCache is GOCACHE, shared by the runs of one harness run.
	GoCache string
	// Home is a scratch directory that becomes HOME, holds the user cache
	// and config directories (gofast keeps its mirror ranking there) and
	// GOPATH, so that nothing leaks between runs (go keeps the checksum
	// database's tree state in $GOPATH/pkg/sumdb).
	Home string
	// SumDB is GOSUMDB; "" leaves go's default.
	SumDB string
	// NoModMod leaves GOFLAGS empty instead of -mod=mod: go install
	// pkg@version and the other proxy-path commands run with go's defaults.
	NoModMod bool
	// MaxProcs, when above 0, is GOMAXPROCS: the GOMAXPROCS=64 go side.
	MaxProcs int
	// TmpDir, when set, is TMPDIR, so that a run's temporary files lie on
	// its own file system; "" leaves TMPDIR unset.
	TmpDir string
	// Toolchain is GOTOOLCHAIN; "" is local (the toolchain row uses auto).
	Toolchain string
}

// droppedEnv lists variables removed from the harness's environment before
// the tools see it: every setting that could redirect, weaken or speed up
// module fetching, or point at the user's caches.
var droppedEnv = map[string]bool{
	"GOPROXY": true, "GOSUMDB": true, "GONOSUMDB": true, "GOPRIVATE": true, "GONOPROXY": true,
	"GOINSECURE": true, "GOAUTH": true, "GOMODCACHE": true, "GOCACHE": true, "GOCACHEPROG": true,
	"GOENV": true, "GOFLAGS": true, "GOTOOLCHAIN": true, "GOWORK": true, "GO111MODULE": true,
	"GOPATH": true, "GOROOT": true, "GOVCS": true, "GOMAXPROCS": true, "GOTMPDIR": true, "TMPDIR": true,
	"HOME": true, "XDG_CACHE_HOME": true, "XDG_CONFIG_HOME": true, "PATH": true,
	"HTTP_PROXY": true, "HTTPS_PROXY": true, "ALL_PROXY": true, "NO_PROXY": true,
}

// environ builds the environment from base (usually os.Environ()). Unless
// SumDB is set, GOSUMDB stays unset, so go uses its built-in checksum
// database: the corpus go.sum files hold every hash the cold download runs
// need, so go never consults it, and inside the network namespace a lookup
// would fail loudly instead of leaking.
func (e toolEnv) environ(base []string) []string {
	var env []string
	path := filepath.Join(e.GoRoot, "bin")
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		if strings.EqualFold(k, "PATH") && v != "" {
			path += string(os.PathListSeparator) + v
		}
		if droppedEnv[strings.ToUpper(k)] || strings.HasPrefix(k, "GOFAST_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"PATH="+path,
		"GOPROXY="+e.Proxy,
		"GOMODCACHE="+e.ModCache,
		"GOCACHE="+e.GoCache,
		"GOENV=off",
		"GOTOOLCHAIN="+cmp.Or(e.Toolchain, "local"),
		"GOWORK=off",
		"HOME="+e.Home,
		"XDG_CACHE_HOME="+filepath.Join(e.Home, "cache"),
		"XDG_CONFIG_HOME="+filepath.Join(e.Home, "config"),
		"GOPATH="+filepath.Join(e.Home, "gopath"),
		"NO_PROXY=127.0.0.1,localhost",
	)
	if e.NoModMod {
		env = append(env, "GOFLAGS=")
	} else {
		env = append(env, "GOFLAGS=-mod=mod")
	}
	if e.SumDB != "" {
		env = append(env, "GOSUMDB="+e.SumDB)
	}
	if e.MaxProcs > 0 {
		env = append(env, fmt.Sprintf("GOMAXPROCS=%d", e.MaxProcs))
	}
	if e.Mirrors != "" {
		env = append(env, "GOFAST_MIRRORS="+e.Mirrors)
	}
	if e.TmpDir != "" {
		env = append(env, "TMPDIR="+e.TmpDir)
	}
	return env
}
