//go:build linux

package reliability_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// TestNetrcLoginMirror: a mirror behind a login, with the credentials in
// the netrc file go reads (GOAUTH's default). gofast authenticates as go
// does, so its prefetch fills the cache on its own and go then verifies
// it offline; with GOAUTH=off it sends nothing and says the mirror
// answered 401. The password is never printed.
func TestNetrcLoginMirror(t *testing.T) {
	const login, secret = "alice", "netrc-s3cret"
	w := newWorld(t, faultMods, proxytest.Options{})
	gofastBin(t)
	srv := proxytest.New(t, proxytest.Options{TLS: true, FS: withProbe(w.tree.FS), Fault: proxytest.RequireLogin(login, secret)})
	setup := func(name string, extra ...string) (string, []string) {
		run := w.scratch(name)
		pem := filepath.Join(run, "trusted.pem")
		netrc := proxytest.NetrcFile(t, strings.TrimPrefix(srv.URL, "https://"), login, secret)
		if err := os.WriteFile(pem, srv.CertificatePEM(), 0o666); err != nil {
			t.Fatal(err)
		}
		env := append([]string{"GOPROXY=" + srv.URL, "NETRC=" + netrc, "SSL_CERT_FILE=" + pem}, extra...)
		return run, w.env(run, env...)
	}
	noSecret := func(t *testing.T, r *result) {
		t.Helper()
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("the netrc password was printed:\n%s", r)
		}
	}

	t.Run("prefetch", func(t *testing.T) {
		run, env := setup("netrc-prefetch")
		before := countModuleRequests(srv)
		r := w.gofast(faultTimeout, env, "prefetch")
		requireFinished(t, r)
		checkNoCrash(t, r)
		noSecret(t, r)
		if r.code != 0 {
			t.Fatalf("gofast prefetch through a login mirror with netrc credentials:\n%s", r)
		}
		if countModuleRequests(srv) == before {
			t.Fatalf("the login mirror served nothing\n%s", r)
		}
		w.checkCache(t, cacheOf(run))
		w.verify(t, run)
	})
	t.Run("mod download", func(t *testing.T) {
		run, env := setup("netrc-moddownload")
		r := w.gofast(faultTimeout, env, "mod", "download")
		requireFinished(t, r)
		noSecret(t, r)
		if r.code != 0 {
			t.Fatalf("gofast mod download:\n%s", r)
		}
		w.checkCache(t, cacheOf(run))
		w.verify(t, run)
	})
	t.Run("GOAUTH=off", func(t *testing.T) {
		run, env := setup("netrc-off", "GOAUTH=off")
		r := w.gofast(faultTimeout, env, "prefetch")
		requireFinished(t, r)
		noSecret(t, r)
		if r.code != 1 || failureLine(r, srv.URL, "401") == "" {
			t.Fatalf("want exit 1 and a line naming the module, the mirror and 401:\n%s", r)
		}
		w.checkCache(t, cacheOf(run))
	})
}
