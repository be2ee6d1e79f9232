// Package modsum owns what a module file is checked against before
// anything trusts it: the "h1:" hashes go.sum records for a go.mod and a
// zip, computed as go computes them (modfetch's goModSum and HashZip), and
// the size limits put on module files. The fetch, the loopback proxy, the
// bundles and the module cache all hash and bound through it, so that each
// is done one way.
package modsum

import (
	"bytes"
	"io"

	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// Size limits of module files, as go's: a go.mod is at most 16 MB
// (modfetch's codehost.MaxGoMod) and a zip at most 500 MB
// (codehost.MaxZipFile, x/mod's MaxZipFile). go reads an .info whole with
// no limit; a real one is a small JSON object, so 1 MB refuses only an
// endless or gigantic answer. Other small answers (@v/list, @latest, the
// checksum database's) are held to MaxGoMod.
const (
	MaxGoMod = 16 << 20
	MaxInfo  = 1 << 20
	MaxZip   = modzip.MaxZipFile
)

// GoMod returns the hash go.sum records for a go.mod file with content
// data (the "path version/go.mod" line): dirhash.Hash1 over one file
// named go.mod.
func GoMod(data []byte) string {
	// Hash1 fails only for a file name with a newline or an open error;
	// the one name is fixed and the reader is in memory.
	h, _ := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	return h
}

// Zip returns the hash go.sum records for the module zip file at name
// (the "path version" line), as go computes it for its .ziphash.
func Zip(name string) (string, error) {
	return dirhash.HashZip(name, dirhash.Hash1)
}
