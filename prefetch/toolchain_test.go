package prefetch

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
	"golang.org/x/mod/sumdb/note"
)

// toolchainWorld is a mirror serving a fake toolchain and a checksum
// database that knows it; bad, when set, serves another zip for the same
// version (a mirror that lies).
func toolchainWorld(t *testing.T, bad bool) (*proxytest.Server, proxytest.Module) {
	t.Helper()
	tc := proxytest.FakeToolchain("1.999.0")
	tree := proxytest.MustBuild(tc)
	opts := proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup}
	if bad {
		other := tc
		other.Files = map[string]string{"bin/go": "#!/bin/sh\necho not the toolchain the database signed\n"}
		lie := proxytest.MustBuild(other)
		zip := lie.FS[treeFile(tc, "zip")].Data
		opts.Fault = func(r *http.Request) proxytest.Fault {
			if strings.HasSuffix(r.URL.Path, ".zip") {
				return proxytest.Fault{Kind: proxytest.Body, Body: zip}
			}
			return proxytest.Fault{}
		}
	}
	return proxytest.New(t, opts), tc
}

func (b *ToolchainBundle) forTest(t *testing.T, srv *proxytest.Server, cache string) {
	t.Helper()
	st := settings(cache, srv.URL)
	st.GOSUMDB = srv.GOSUMDB
	f, err := NewFetcher(FetcherOptions{Settings: st})
	if err != nil {
		t.Fatal(err)
	}
	b.Fetcher, b.Settings = f, st
}

// TestToolchainBundle: the tree gets the toolchain's files and exactly the
// database files a fresh client reads; a zip that is not the one the
// database signed is refused and nothing of the toolchain is written.
func TestToolchainBundle(t *testing.T) {
	t.Run("good", func(t *testing.T) {
		srv, tc := toolchainWorld(t, false)
		out := t.TempDir()
		b := &ToolchainBundle{Version: tc.Version, OutputDir: out}
		b.forTest(t, srv, newCache(t))
		if err := b.Write(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{treeFile(tc, "zip"), treeFile(tc, "mod"), treeFile(tc, "info"),
			"sumdb/sum.test/supported", "sumdb/sum.test/lookup/golang.org/toolchain@" + tc.Version, "sumdb/sum.test/tile/8/0/000.p/1"} {
			if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(name))); err != nil {
				t.Errorf("bundle lacks %s: %v", name, err)
			}
		}
	})
	t.Run("lying mirror", func(t *testing.T) {
		srv, tc := toolchainWorld(t, true)
		out := t.TempDir()
		b := &ToolchainBundle{Version: tc.Version, OutputDir: out}
		b.forTest(t, srv, newCache(t))
		err := b.Write(context.Background())
		var ce *ChecksumError
		if !errors.As(err, &ce) {
			t.Fatalf("Write = %v, want a checksum error", err)
		}
		if _, err := os.Stat(filepath.Join(out, "golang.org")); !os.IsNotExist(err) {
			t.Errorf("a toolchain file was written from a zip the database does not sign: %v", err)
		}
	})
	t.Run("database signed with another key", func(t *testing.T) {
		srv, tc := toolchainWorld(t, false)
		_, vkey, err := note.GenerateKey(rand.Reader, "sum.test")
		if err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		b := &ToolchainBundle{Version: tc.Version, OutputDir: out}
		b.forTest(t, srv, newCache(t))
		b.Settings.GOSUMDB = vkey
		if err := b.Write(context.Background()); err == nil || !strings.Contains(err.Error(), "no verifiable signatures") {
			t.Fatalf("Write = %v, want a verification failure", err)
		}
		if entries, _ := os.ReadDir(out); len(entries) != 0 {
			t.Errorf("wrote %d entries from an unverified database", len(entries))
		}
	})
	t.Run("wrong zip in the cache", func(t *testing.T) {
		srv, tc := toolchainWorld(t, false)
		cache := newCache(t)
		zip := cacheFile(t, cache, tc, "zip")
		os.MkdirAll(filepath.Dir(zip), 0o777)
		other := tc
		other.Files = map[string]string{"bin/go": "#!/bin/sh\n"}
		os.WriteFile(zip, proxytest.MustBuild(other).FS[treeFile(tc, "zip")].Data, 0o666)
		// A stale .ziphash beside it, which go itself would trust.
		os.WriteFile(zip+"hash", []byte(proxytest.MustBuild(tc).Sum[tc.Path+" "+tc.Version]), 0o666)
		out := t.TempDir()
		b := &ToolchainBundle{Version: tc.Version, OutputDir: out}
		b.forTest(t, srv, cache)
		var ce *ChecksumError
		if err := b.Write(context.Background()); !errors.As(err, &ce) {
			t.Fatalf("Write = %v, want a checksum error", err)
		}
	})
}
