package prefetch

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gofastdev/gofast/internal/environ"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// netrcEnv points go's (and gofast's) credential lookup at a netrc file
// with alice's password for machine.
func netrcEnv(t *testing.T, machine string) environ.Environ {
	return environ.Environ{"NETRC=" + proxytest.NetrcFile(t, machine, "alice", "s3cret")}
}

// TestNetrcCredentials: a mirror that wants a login gets the netrc
// file's credentials for its host, as go sends them, and the prefetch
// completes; GOAUTH=off sends none.
func TestNetrcCredentials(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	mirror := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true, Fault: proxytest.RequireLogin("alice", "s3cret")})
	env := netrcEnv(t, strings.TrimPrefix(mirror.URL, "https://"))

	rep, cache := run(t, tree, mirror.URL, func(o *Options) {
		o.Env = env
		o.Client = trustingClient(mirror)
	})
	if err := rep.Err(); err != nil {
		t.Fatalf("with netrc credentials: %v", err)
	}
	if _, err := os.Stat(cacheFile(t, cache, testMods[0], "zip")); err != nil {
		t.Errorf("%s: zip not published: %v", testMods[0].Path, err)
	}

	rep, _ = run(t, tree, mirror.URL, func(o *Options) {
		o.Env = env
		o.Settings.GOAUTH = "off"
		o.Client = trustingClient(mirror)
	})
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("GOAUTH=off: want a 401 failure, got %v", err)
	}
}

// TestNetrcNeverOverHTTP: credentials for a host are not sent to it over
// plain http, as go never sends them there.
func TestNetrcNeverOverHTTP(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	var sawAuth atomic.Bool
	mirror := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: func(r *http.Request) proxytest.Fault {
		if r.Header.Get("Authorization") != "" {
			sawAuth.Store(true)
		}
		return proxytest.Fault{}
	}})
	u, _ := url.Parse(mirror.URL)
	rep, _ := run(t, tree, mirror.URL, func(o *Options) {
		o.Env = netrcEnv(t, u.Host)
		o.Jobs = 1
	})
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if sawAuth.Load() {
		t.Fatal("netrc credentials were sent over plain http")
	}
}
