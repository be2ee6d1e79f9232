//go:build linux

package reliability_test

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// TestGOAUTHCommandMirror: a mirror behind a login whose credentials only
// a GOAUTH command gives, and only when asked for a URL after a 401, as
// go's protocol allows. go alone authenticates itself; through gofast the
// loopback proxy stands in for the mirror, so gofast must run the command
// as go would, or go gets a 502. The secret is never printed.
func TestGOAUTHCommandMirror(t *testing.T) {
	const login, secret = "carol", "cmd-s3cret"
	w := newWorld(t, faultMods, proxytest.Options{})
	gofastBin(t)
	srv := proxytest.New(t, proxytest.Options{TLS: true, FS: withProbe(w.tree.FS), Fault: proxytest.RequireLogin(login, secret)})
	host := strings.TrimPrefix(srv.URL, "https://")

	dir := t.TempDir()
	log := filepath.Join(dir, "runs")
	token := base64.StdEncoding.EncodeToString([]byte(login + ":" + secret))
	script := "#!/bin/sh\necho \"$#\" >> '" + log + "'\n" +
		"if [ $# -gt 0 ]; then printf 'https://" + host + "\\n\\nAuthorization: Basic " + token + "\\n\\n'; fi\n"
	cmd := filepath.Join(dir, "goauth-cmd")
	if err := os.WriteFile(cmd, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	setup := func(name string, goauth ...string) (string, []string) {
		run := w.scratch(name)
		pem := filepath.Join(run, "trusted.pem")
		if err := os.WriteFile(pem, srv.CertificatePEM(), 0o666); err != nil {
			t.Fatal(err)
		}
		value := cmd
		if len(goauth) > 0 {
			value = goauth[0]
		}
		return run, w.env(run, "GOPROXY="+srv.URL, "GOAUTH="+value, "NETRC="+filepath.Join(run, "no-netrc"), "SSL_CERT_FILE="+pem,
			"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	}
	check := func(t *testing.T, who string, r *result, run string) {
		t.Helper()
		requireFinished(t, r)
		checkNoCrash(t, r)
		if strings.Contains(r.stdout+r.stderr, secret) || strings.Contains(r.stdout+r.stderr, token) {
			t.Errorf("%s printed the credentials:\n%s", who, r)
		}
		if r.code != 0 {
			t.Fatalf("%s mod download from a mirror that needs the GOAUTH command:\n%s", who, r)
		}
		w.checkCache(t, cacheOf(run))
		w.verify(t, run)
	}

	t.Run("go alone", func(t *testing.T) {
		run, env := setup("goauth-cmd-go")
		before := countModuleRequests(srv)
		check(t, "go", w.goCmd(faultTimeout, env, "mod", "download"), run)
		if countModuleRequests(srv) == before {
			t.Fatal("the login mirror served nothing")
		}
	})
	t.Run("gofast", func(t *testing.T) {
		os.Remove(log)
		run, env := setup("goauth-cmd-gofast")
		before := countModuleRequests(srv)
		check(t, "gofast", w.gofast(faultTimeout, env, "mod", "download"), run)
		if countModuleRequests(srv) == before {
			t.Fatal("the login mirror served nothing")
		}
		runs, _ := os.ReadFile(log)
		if !strings.HasPrefix(string(runs), "0\n1\n") {
			t.Errorf("command runs (argument counts) %q, want one without the URL, then with it", runs)
		}
	})
	t.Run("gofast, git dir", func(t *testing.T) {
		if _, err := exec.LookPath("git"); err != nil {
			t.Skip("no git")
		}
		repo := t.TempDir()
		helper := "!f() { test \"$1\" = get && { echo username=" + login + "; echo password=" + secret + "; }; true; }; f"
		for _, args := range [][]string{{"init", "-q", repo}, {"-C", repo, "config", "credential.helper", helper}} {
			if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
				t.Fatalf("git %s: %v\n%s", args, err, out)
			}
		}
		run, env := setup("goauth-git-gofast", "git "+repo)
		before := countModuleRequests(srv)
		check(t, "gofast", w.gofast(faultTimeout, env, "mod", "download"), run)
		if countModuleRequests(srv) == before {
			t.Fatal("the login mirror served nothing")
		}
	})
}
