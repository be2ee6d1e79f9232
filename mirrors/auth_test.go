package mirrors

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// TestProbeSendsNetrcCredentials: a mirror behind a login is probed with
// the credentials go would send it (the netrc file's, over https), so it
// is ranked like any other; without them, or with wrong ones, the reason
// says which.
func TestProbeSendsNetrcCredentials(t *testing.T) {
	t.Parallel()
	tree := testTree()
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS, Lookup: tree.Lookup, TLS: true, SumDB: "sum.test", Fault: proxytest.RequireLogin("alice", "s3cret")})
	host := strings.TrimPrefix(srv.URL, "https://")
	cands, err := ParseList(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, machine, password, goauth string
		ok                              bool
		why                             string
	}{
		{name: "netrc", machine: host, password: "s3cret", ok: true},
		{name: "no entry", machine: "elsewhere.example", password: "s3cret", why: "the netrc file has none"},
		{name: "wrong password", machine: host, password: "guess", why: "check them"},
		{name: "GOAUTH off", machine: host, password: "s3cret", goauth: "off", why: "the netrc file has none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings(t, srv.URL, "sum.test")
			s.GOAUTH = tc.goauth
			opts := testOptions(t, s, "NETRC="+proxytest.NetrcFile(t, tc.machine, "alice", tc.password))
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

// TestNewNetrcEntryOutdatesRanking: a ranking made while the netrc file
// had no entry for a mirror behind a login is not reused once it has one.
func TestNewNetrcEntryOutdatesRanking(t *testing.T) {
	t.Parallel()
	tree := testTree()
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS, TLS: true, Fault: proxytest.RequireLogin("alice", "s3cret")})
	home := t.TempDir()
	opts := testOptions(t, testSettings(t, srv.URL, ""), "HOME="+home)
	opts.Client = srv.Client()
	opts.TTL = time.Hour
	r, err := Select(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.FromCache || r.Mirrors[0].OK {
		t.Fatalf("without credentials: from cache %v, OK %v", r.FromCache, r.Mirrors[0].OK)
	}
	if r, err = Select(context.Background(), opts); err != nil || !r.FromCache {
		t.Fatalf("unchanged credentials: the ranking was not reused (%v)", err)
	}
	machine := strings.TrimPrefix(srv.URL, "https://")
	if err := os.WriteFile(filepath.Join(home, ".netrc"), []byte("machine "+machine+" login alice password s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err = Select(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.FromCache || !r.Mirrors[0].OK {
		t.Fatalf("after adding a netrc entry: from cache %v, OK %v (%s)", r.FromCache, r.Mirrors[0].OK, r.Mirrors[0].Err)
	}
}
