package main

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofastdev/gofast/internal/proxytest"
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

// benchOnlyEnv lists what the harness drops beyond proxytest.IsolatedEnv:
// the caches, scratch and home directories each run gets of its own (so
// nothing leaks between runs), GOROOT and PATH (the real go goes first on
// PATH), and GOMAXPROCS (the GOMAXPROCS=64 side sets it).
var benchOnlyEnv = []string{
	"GOCACHE", "GOROOT", "GOMAXPROCS", "GOTMPDIR", "TMPDIR", "HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "PATH",
}

// environ builds the environment from base (usually os.Environ()). Unless
// SumDB is set, GOSUMDB stays unset, so go uses its built-in checksum
// database: the corpus go.sum files hold every hash the cold download runs
// need, so go never consults it, and inside the network namespace a lookup
// would fail loudly instead of leaking.
func (e toolEnv) environ(base []string) []string {
	path := filepath.Join(e.GoRoot, "bin")
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		if strings.EqualFold(k, "PATH") && v != "" {
			path += string(os.PathListSeparator) + v
		}
	}
	env := append(proxytest.IsolatedEnv(base, benchOnlyEnv...),
		"PATH="+path,
		"GOPROXY="+e.Proxy,
		"GOMODCACHE="+e.ModCache,
		"GOCACHE="+e.GoCache,
		"GOTOOLCHAIN="+cmp.Or(e.Toolchain, "local"),
		"HOME="+e.Home,
		"XDG_CACHE_HOME="+filepath.Join(e.Home, "cache"),
		"XDG_CONFIG_HOME="+filepath.Join(e.Home, "config"),
		"GOPATH="+filepath.Join(e.Home, "gopath"),
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
