package modsum

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// h1 is the "h1:" hash of files (name to content) by its definition: the
// SHA-256 of the sorted lines "<hex sha256 of content>  <name>\n", in
// base64. Enough for the one-file trees below.
func h1(name, content string) string {
	line := fmt.Sprintf("%x  %s\n", sha256.Sum256([]byte(content)), name)
	sum := sha256.Sum256([]byte(line))
	return "h1:" + base64.StdEncoding.EncodeToString(sum[:])
}

// TestHashes checks GoMod and Zip against the definition of go.sum's h1
// hashes, and against the empty go.mod's hash go itself knows (modfetch's
// emptyGoModHash, which an old go bug wrote into go.sum files).
func TestHashes(t *testing.T) {
	if got, want := GoMod(nil), "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY="; got != want {
		t.Errorf("GoMod of an empty go.mod = %s, want %s", got, want)
	}
	const gomod = "module example.com/m\n\ngo 1.21\n"
	if got, want := GoMod([]byte(gomod)), h1("go.mod", gomod); got != want {
		t.Errorf("GoMod = %s, want %s", got, want)
	}

	name := filepath.Join(t.TempDir(), "m.zip")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, err := zw.Create("example.com/m@v1.0.0/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(gomod))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// A zip's hash names each file by its path in the zip.
	got, err := Zip(name)
	if want := h1("example.com/m@v1.0.0/go.mod", gomod); err != nil || got != want {
		t.Errorf("Zip = %s, %v; want %s", got, err, want)
	}
	if _, err := Zip(filepath.Join(t.TempDir(), "missing.zip")); err == nil {
		t.Error("Zip of a missing file: no error")
	}
}
