package prefetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/gofastdev/gofast/internal/modset"
	"github.com/gofastdev/gofast/internal/modsum"
	"github.com/gofastdev/gofast/mirrors"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
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

// checkGoModSum verifies a go.mod against go.sum. known is false when go.sum
// has no line for it: such a file is left to go, never published.
func checkGoModSum(sums *modset.Sums, m module.Version, data []byte) (known bool, err error) {
	want := sums.Mod(m)
	if len(want) == 0 {
		return false, nil
	}
	return true, checkSum(KindMod, m, want, modsum.GoMod(data))
}

// checkSum rejects got, the hash of m's .mod or .zip (kind), when it is
// none of want, the hashes go.sum (or the checksum database) records: the
// mirror served wrong bytes. An empty want matches nothing; callers that
// leave a file without a recorded hash to go decide that before.
func checkSum(kind Kind, m module.Version, want []string, got string) error {
	if ok, _ := modset.Match(want, got); !ok {
		return &ChecksumError{Module: m, File: string(kind), Got: got, Want: want}
	}
	return nil
}

// CheckHash rejects a .mod (data) or .zip (file) whose hash is none of
// want (go.sum's lines, or the checksum database's) with a ChecksumError,
// so that the next mirror is asked (go alone would stop at a SECURITY
// ERROR). No hash wanted checks nothing: go then leaves the file to the
// database, or to no one. A zip that cannot be hashed is a BodyError; a
// missing file is fs.ErrNotExist.
func CheckHash(kind Kind, m module.Version, want []string, data []byte, file string) error {
	if len(want) == 0 {
		return nil
	}
	var got string
	switch kind {
	case KindZip:
		var err error
		if got, err = modsum.Zip(file); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return err
			}
			return &BodyError{Reason: "not a valid module zip", Err: err}
		}
	case KindMod:
		got = modsum.GoMod(data)
	default:
		return nil
	}
	return checkSum(kind, m, want, got)
}

// modConsumer reads a .mod body, checks its syntax and, when sums is not
// nil, its hash; the accepted bytes are stored in *out.
func modConsumer(m module.Version, sums *modset.Sums, out *[]byte) consumer {
	return func(ctx context.Context, body io.Reader) error {
		data, err := readLimited(body, modsum.MaxGoMod)
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
