package mirrors

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// TestProbeSendsNetrcCredentials: a mirror behind a login is probed with
// the credentials go would send it (the netrc file's, over https), so it
// is ranked like any other; without them, or with wrong ones, the reason
// says which.
func TestProbeSendsNetrcCredentials(t *testing.T) {
	t.Parallel()
	tree := testTree()
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS, Lookup: tree.Lookup, TLS: true, SumDB: "sum.test", Fault: func(r *http.Request) proxytest.Fault {
		if u, p, ok := r.BasicAuth(); ok && u == "alice" && p == "s3cret" {
			return proxytest.Fault{}
		}
		return proxytest.Fault{Kind: proxytest.Status, Status: http.StatusUnauthorized, Body: []byte("login required")}
	}})
	host := strings.TrimPrefix(srv.URL, "https://")
	netrc := func(text string) string {
		p := filepath.Join(t.TempDir(), "netrc")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return "NETRC=" + p
	}
	cands, err := ParseList(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, netrc, goauth string
		ok                  bool
		why                 string
	}{
		{name: "netrc", netrc: "machine " + host + " login alice password s3cret\n", ok: true},
		{name: "no entry", netrc: "machine elsewhere.example login alice password s3cret\n", why: "the netrc file has none"},
		{name: "wrong password", netrc: "machine " + host + " login alice password guess\n", why: "check them"},
		{name: "GOAUTH off", netrc: "machine " + host + " login alice password s3cret\n", goauth: "off", why: "the netrc file has none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings(t, srv.URL, "sum.test")
			s.GOAUTH = tc.goauth
			opts := testOptions(t, s, netrc(tc.netrc))
			opts.Client = srv.Client()
			m := Probe(context.Background(), opts, cands)[0]
			if m.OK != tc.ok || (tc.ok && (!m.Found || !m.SumDB)) {
				t.Fatalf("OK %v Found %v SumDB %v (%s), want OK %v", m.OK, m.Found, m.SumDB, m.Err, tc.ok)
			}
			if !tc.ok && (m.Status != http.StatusUnauthorized || !strings.Contains(m.Err, tc.why) || strings.Contains(m.Err, "s3cret")) {
				t.Fatalf("status %d, reason %q; want 401 and %q", m.Status, m.Err, tc.why)
			}
		})
	}
}
