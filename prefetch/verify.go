package prefetch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gofastdev/gofast/internal/modset"
	"github.com/gofastdev/gofast/mirrors"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// Size limits, as go's: a go.mod is at most 16 MB (modfetch's
// codehost.MaxGoMod), a zip at most 500 MB (MaxZipFile), and an .info is a
// small JSON object.
const (
	maxGoMod = 16 << 20
	maxInfo  = 1 << 20
	maxZip   = modzip.MaxZipFile
)

// readLimited reads a small body whole, refusing more than limit bytes.
func readLimited(body io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &BodyError{Reason: fmt.Sprintf("answer larger than %d bytes", limit), TooLarge: true}
	}
	return data, nil
}

// checkGoModSyntax rejects a .mod answer that is not a go.mod file; used
// while the module graph is walked, before go.sum hashes are at hand.
func checkGoModSyntax(m module.Version, data []byte) error {
	if mirrors.LooksHTML(data) {
		return &BodyError{Reason: "answered an HTML page, not a go.mod file"}
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return &BodyError{Reason: "answered binary data, not a go.mod file"}
	}
	if _, err := modfile.ParseLax("go.mod", data, nil); err != nil {
		return &BodyError{Reason: "answered a go.mod that does not parse", Err: err}
	}
	return nil
}

// goModHash is the go.sum "/go.mod" hash of data, as go's goModSum.
func goModHash(data []byte) (string, error) {
	return dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}

// checkGoModSum verifies a go.mod against go.sum. known is false when go.sum
// has no line for it: such a file is left to go, never published.
func checkGoModSum(sums *modset.Sums, m module.Version, data []byte) (known bool, err error) {
	h, err := goModHash(data)
	if err != nil {
		return false, err
	}
	ok, known := modset.Match(sums.Mod(m), h)
	if known && !ok {
		return true, &ChecksumError{Module: m, File: "mod", Got: h, Want: sums.Mod(m)}
	}
	return known, nil
}

// modConsumer reads a .mod body, checks its syntax and, when sums is not
// nil, its hash; the accepted bytes are stored in *out.
func modConsumer(m module.Version, sums *modset.Sums, out *[]byte) consumer {
	return func(ctx context.Context, body io.Reader) error {
		data, err := readLimited(body, maxGoMod)
		if err != nil {
			return err
		}
		if err := checkGoModSyntax(m, data); err != nil {
			return err
		}
		if sums != nil {
			if _, err := checkGoModSum(sums, m, data); err != nil {
				return err
			}
		}
		*out = data
		return nil
	}
}

// checkZipFile applies x/mod's module zip rules (file paths under
// path@version/, sizes, case collisions, no vendor or submodule files).
func checkZipFile(m module.Version, name string) error {
	cf, err := modzip.CheckZip(m, name)
	if err == nil {
		err = cf.Err()
	}
	if err == nil {
		return nil
	}
	head := make([]byte, 512)
	if f, ferr := os.Open(name); ferr == nil {
		k, _ := io.ReadFull(f, head)
		f.Close()
		if mirrors.LooksHTML(head[:k]) {
			return &BodyError{Reason: "answered an HTML page, not a zip"}
		}
	}
	return &BodyError{Reason: "not a valid module zip", Err: err}
}
