package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/dirhash"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// TestOverFetchOfAVersionGoNeverAsksFor: the tree holds only what go
// fetched (example.com/a v1.0.0), but a go.sum names v1.1.0 too. A
// read-ahead of v1.1.0, which go never asks for, must cost bytes at the
// emulated mirror, so that the over-fetch is not 0 by construction; the
// stand-in the mirror serves must verify against the emulated checksum
// database, and go's own queries must see only the tree.
func TestOverFetchOfAVersionGoNeverAsksFor(t *testing.T) {
	a := proxytest.Module{Path: "example.com/a", Version: "v1.0.0"}
	tree := proxytest.MustBuild(a)
	dir := t.TempDir()
	if err := tree.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	sums := newSumIndex(os.DirFS(dir))
	goSum := tree.GoSum(a) + "example.com/a v1.1.0 h1:realZipHashOfTheRealMirror=\nexample.com/a v1.1.0/go.mod h1:realModHashOfTheRealMirror=\n"
	if err := sums.addGoSum("go.sum", []byte(goSum)); err != nil {
		t.Fatal(err)
	}
	sums.addStandIns()

	run := func(paths ...string) (goFetch, map[string][]byte) {
		ms, err := startMirrors(dir, Link{ConnBandwidth: 1 << 30}, []mirrorSpec{{Kind: goodMirror, Sums: sums}})
		if err != nil {
			t.Fatal(err)
		}
		defer ms.Close()
		bodies := map[string][]byte{}
		for _, p := range paths {
			resp, err := http.Get(ms.URLs()[0] + "/" + p)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode == http.StatusOK {
				bodies[p] = body
			}
		}
		return ms.fetched(), bodies
	}
	goRun, goBodies := run("example.com/a/@v/list", "example.com/a/@v/v1.0.0.info", "example.com/a/@v/v1.0.0.mod", "example.com/a/@v/v1.0.0.zip", "example.com/a/@v/v9.9.9.info")
	if got := string(goBodies["example.com/a/@v/list"]); got != "v1.0.0\n" {
		t.Errorf("@v/list = %q: the stand-ins must not change go's queries", got)
	}
	if _, ok := goBodies["example.com/a/@v/v9.9.9.info"]; ok {
		t.Error("a version no checksum database knows was served")
	}
	gofastRun, bodies := run("example.com/a/@v/v1.0.0.info", "example.com/a/@v/v1.0.0.mod", "example.com/a/@v/v1.0.0.zip",
		"example.com/a/@v/v1.1.0.mod", "example.com/a/@v/v1.1.0.zip")

	o := measureOverFetch(gofastRun, goRun)
	mod, zip := bodies["example.com/a/@v/v1.1.0.mod"], bodies["example.com/a/@v/v1.1.0.zip"]
	if o.Files != 2 || o.Extra != int64(len(mod)+len(zip)) || o.Extra == 0 || o.Percent() == 0 {
		t.Errorf("over-fetch %+v (%.1f%%), want the v1.1.0 go.mod and zip (%d + %d bytes)", o, o.Percent(), len(mod), len(zip))
	}
	if real := len(goBodies["example.com/a/@v/v1.0.0.zip"]); len(zip) < real {
		t.Errorf("stand-in zip of %d bytes, want at least v1.0.0's %d", len(zip), real)
	}

	// gofast verifies a read-ahead as go would: the stand-ins' hashes are
	// what the checksum database signs.
	record, err := sums.lookup("example.com/a", "v1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	modHash, _ := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(mod)), nil })
	zipHash, err := proxytest.HashZipBytes(zip)
	if err != nil {
		t.Fatalf("stand-in zip: %v", err)
	}
	want := "example.com/a v1.1.0 " + zipHash + "\nexample.com/a v1.1.0/go.mod " + modHash + "\n"
	if string(record) != want {
		t.Errorf("checksum database record:\n%s\nwant:\n%s", record, want)
	}
	// The versions the tree holds keep their own hashes.
	if record, _ := sums.lookup("example.com/a", "v1.0.0"); !strings.Contains(string(record), tree.Sum["example.com/a v1.0.0"]) {
		t.Errorf("v1.0.0's record %q lost the tree's hash", record)
	}
}
