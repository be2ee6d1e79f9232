package prefetch

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/environ"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// loginMirror is an https mirror that answers 401 to any request without
// user alice's password.
func loginMirror(t *testing.T, tree *proxytest.Tree) *proxytest.Server {
	return proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true, Fault: func(r *http.Request) proxytest.Fault {
		if u, p, ok := r.BasicAuth(); ok && u == "alice" && p == "s3cret" {
			return proxytest.Fault{}
		}
		return proxytest.Fault{Kind: proxytest.Status, Status: http.StatusUnauthorized, Body: []byte("who are you")}
	}})
}

// netrcEnv writes a netrc file with text and returns an environment that
// points go's (and gofast's) credential lookup at it.
func netrcEnv(t *testing.T, text string) environ.Environ {
	t.Helper()
	p := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return environ.Environ{"NETRC=" + p}
}

// TestNetrcCredentials: a mirror that wants a login gets the netrc
// file's credentials for its host, as go sends them, and the prefetch
// completes; GOAUTH=off sends none.
func TestNetrcCredentials(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	mirror := loginMirror(t, tree)
	host := strings.TrimPrefix(mirror.URL, "https://")
	env := netrcEnv(t, "machine other.example login bob password nope\nmachine "+host+" login alice password s3cret\n")

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
	var sawAuth bool
	mirror := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: func(r *http.Request) proxytest.Fault {
		if r.Header.Get("Authorization") != "" {
			sawAuth = true
		}
		return proxytest.Fault{}
	}})
	u, _ := url.Parse(mirror.URL)
	rep, _ := run(t, tree, mirror.URL, func(o *Options) {
		o.Env = netrcEnv(t, "machine "+u.Host+" login alice password s3cret\n")
		o.Jobs = 1
	})
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if sawAuth {
		t.Fatal("netrc credentials were sent over plain http")
	}
}
