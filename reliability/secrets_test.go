//go:build linux

package reliability_test

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// password is the secret every mirror URL of TestNoCredentialsPrinted
// carries; it must appear nowhere gofast writes.
const password = "secret"

// TestNoCredentialsPrinted runs every gofast command that handles mirror
// URLs with user:secret@ in GOPROXY and in GOFAST_MIRRORS, against mirrors
// that fail in every way that produces a message (error status, login
// page, untrusted certificate, refused connection, wrong bytes, a
// redirect to plain http), and checks that the password appears in no
// output, no JSON, and no file gofast writes in the user cache directory.
func TestNoCredentialsPrinted(t *testing.T) {
	w := newWorld(t, faultMods, proxytest.Options{})
	gofastBin(t)
	evil := proxytest.MustBuild(evilMods...)
	everything := func(f proxytest.Fault) proxytest.Options {
		return proxytest.Options{TLS: true, FS: w.tree.FS, Fault: func(*http.Request) proxytest.Fault { return f }}
	}
	untrusted, err := proxytest.SelfSignedCertificate()
	if err != nil {
		t.Fatal(err)
	}
	servers := []proxytest.Options{
		everything(proxytest.Fault{Kind: proxytest.Status, Status: 500, Body: []byte("boom")}),
		everything(proxytest.Fault{Kind: proxytest.Status, Status: 401, Body: []byte("who are you")}),
		everything(proxytest.Fault{Kind: proxytest.Body, Body: []byte("<html>log in</html>"), Header: http.Header{"Content-Type": {"text/html"}}}),
		{TLS: true, FS: w.tree.FS, Certificate: untrusted},
		{TLS: true, FS: w.tree.FS, Fault: body(func(p string) []byte { return evil.FS[p].Data })},
		{TLS: true, FS: w.tree.FS, Fault: func(r *http.Request) proxytest.Fault {
			return proxytest.Fault{Kind: proxytest.Redirect, Location: w.good.URL + r.URL.Path}
		}},
	}
	var urls []string
	var pem string
	for _, o := range servers {
		srv := proxytest.New(t, o)
		if o.Certificate == nil {
			pem = string(srv.CertificatePEM())
		}
		urls = append(urls, strings.Replace(srv.URL, "https://", "https://user:"+password+"@", 1))
	}
	urls = append(urls, strings.Replace(closedPort(t), "http://", "http://user:"+password+"@", 1))

	commands := [][]string{
		{"mirrors"}, {"mirrors", "--json"}, {"mirrors", "test", "--json"}, {"mirrors", "use"},
		{"prefetch"}, {"prefetch", "--json"},
		{"doctor"}, {"doctor", "--json"},
		{"mod", "download"}, {"mod", "download", "-json"},
		{"lockcheck"}, {"lockcheck", "--json"},
	}
	settings := map[string]func(run string) []string{
		"GOPROXY": func(string) []string { return []string{"GOPROXY=" + strings.Join(urls, "|")} },
		"GOFAST_MIRRORS": func(string) []string {
			return []string{"GOPROXY=" + urls[0] + "," + urls[len(urls)-1], "GOFAST_MIRRORS=" + strings.Join(urls, ",")}
		},
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, 3)
	for name, setting := range settings {
		for _, args := range commands {
			wg.Add(1)
			go func() {
				defer wg.Done()
				slots <- struct{}{}
				defer func() { <-slots }()
				t.Run(name+"/"+strings.Join(args, " "), func(t *testing.T) {
					run := w.scratch("creds")
					certs := filepath.Join(run, "trusted.pem")
					if err := os.WriteFile(certs, []byte(pem), 0o666); err != nil {
						t.Fatal(err)
					}
					r := w.gofast(faultTimeout, w.env(run, append(setting(run), "SSL_CERT_FILE="+certs)...), args...)
					requireFinished(t, r)
					checkNoCrash(t, r)
					for what, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
						for _, l := range strings.Split(out, "\n") {
							if !strings.Contains(l, password) {
								continue
							}
							t.Errorf("the password is in %s: %s\n%s", what, strings.TrimSpace(l), r)
						}
					}
					// Everything the run wrote: the user cache directory
					// (rankings, warm-up records), home, config, module cache.
					if args[0] == "mirrors" || args[0] == "prefetch" || args[0] == "mod" {
						if m, _ := filepath.Glob(filepath.Join(run, "xdg-cache", "gofast", "mirrors", "ranking-*.json")); len(m) == 0 {
							t.Errorf("no mirror ranking remembered: the file check proves nothing\n%s", r)
						}
					}
					filepath.WalkDir(run, func(p string, d fs.DirEntry, err error) error {
						if err != nil || d.IsDir() || p == certs {
							return nil
						}
						if data, err := os.ReadFile(p); err == nil && strings.Contains(string(data), password) {
							t.Errorf("the password is in %s", strings.TrimPrefix(p, run))
						}
						return nil
					})
				})
			}()
		}
	}
	wg.Wait()
}
