package modcache

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// ZipContentError says a zip's directory passed the module zip checks but
// its contents could not be read back as declared: a CRC mismatch, an
// entry larger than its recorded size, corrupt compressed data. Like a
// checksum mismatch, it means the mirror served wrong bytes.
type ZipContentError struct {
	Module module.Version
	Err    error
}

func (e *ZipContentError) Error() string {
	return fmt.Sprintf("zip of %s@%s: contents do not match its directory: %v", e.Module.Path, e.Module.Version, e.Err)
}

// Unwrap returns the read error.
func (e *ZipContentError) Unwrap() error { return e.Err }

// clearDirExcept removes what interrupted extractions of m left, as go's
// unzip does before extracting: old "<dir>.tmp-*" directories (but keep,
// our own staged tree) and a partly extracted dir. The caller holds m's
// lock, which proves their writers are gone.
func (c *Cache) clearDirExcept(m module.Version, dir, keep string) error {
	parent := filepath.Dir(dir)
	if old, err := filepath.Glob(filepath.Join(quoteGlob(parent), quoteGlob(filepath.Base(dir)+".tmp-")+"*")); err == nil {
		for _, p := range old {
			if p != keep {
				RemoveAll(p)
			}
		}
	}
	if _, err := os.Stat(dir); err == nil {
		if err := RemoveAll(dir); err != nil {
			return &PathError{Module: m, Op: "extract", Err: err}
		}
	}
	return nil
}

// unzipHashing extracts zipFile into dir exactly as x/mod/zip.Unzip does
// (the same module zip checks, files created read-only with O_EXCL,
// directories 0777, sizes enforced as declared) and returns the zip's
// "h1:" hash, computed as dirhash.HashZip computes it: over every entry,
// directories included, from the bytes read.
func unzipHashing(ctx context.Context, dir string, m module.Version, zipFile string) (string, error) {
	if files, _ := os.ReadDir(dir); len(files) > 0 {
		return "", &PathError{Module: m, Op: "extract", Err: fmt.Errorf("target directory %v exists and is not empty", dir)}
	}
	cf, err := modzip.CheckZip(m, zipFile)
	if err == nil {
		err = cf.Err()
	}
	if err != nil {
		return "", &ZipContentError{Module: m, Err: err}
	}
	z, err := zip.OpenReader(zipFile)
	if err != nil {
		return "", &ZipContentError{Module: m, Err: err}
	}
	defer z.Close()

	prefix := m.Path + "@" + m.Version + "/"
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "", &PathError{Module: m, Op: "extract", Err: err}
	}
	made := map[string]bool{dir: true}
	sums := make(map[string][sha256.Size]byte, len(z.File))
	names := make([]string, 0, len(z.File))
	buf := make([]byte, 32<<10)
	h := sha256.New()
	for i, zf := range z.File {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return "", err
			}
		}
		h.Reset()
		name := strings.TrimPrefix(zf.Name, prefix)
		if name == "" || strings.HasSuffix(name, "/") {
			// Directory entries are hashed (their content is empty), not
			// created.
			if err := copyEntry(h, zf, buf); err != nil {
				return "", &ZipContentError{Module: m, Err: err}
			}
		} else {
			dst := filepath.Join(dir, name)
			if parent := filepath.Dir(dst); !made[parent] {
				if err := os.MkdirAll(parent, 0o777); err != nil {
					return "", &PathError{Module: m, Op: "extract", Err: err}
				}
				made[parent] = true
			}
			if err := writeEntry(dst, zf, h, buf); err != nil {
				var we *writeError
				if errors.As(err, &we) {
					return "", &PathError{Module: m, Op: "extract", Err: we.err}
				}
				return "", &ZipContentError{Module: m, Err: err}
			}
		}
		names = append(names, zf.Name)
		sums[zf.Name] = [sha256.Size]byte(h.Sum(nil))
	}
	return hash1(names, sums)
}

// writeError marks a failure to write the extracted file (as opposed to
// a failure to read the zip entry).
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

// writeEntry creates dst and copies zf's content into it and into h.
func writeEntry(dst string, zf *zip.File, h io.Writer, buf []byte) error {
	w, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return &writeError{err}
	}
	err = copyEntry(io.MultiWriter(&fileWriter{w}, h), zf, buf)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = &writeError{cerr}
	}
	return err
}

// fileWriter marks the file's write errors as such.
type fileWriter struct{ f *os.File }

func (w *fileWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		err = &writeError{err}
	}
	return n, err
}

// copyEntry copies zf's content to w, refusing more bytes than declared,
// as x/mod/zip.Unzip does.
func copyEntry(w io.Writer, zf *zip.File, buf []byte) error {
	r, err := zf.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	lr := &io.LimitedReader{R: r, N: int64(zf.UncompressedSize64) + 1}
	if _, err := io.CopyBuffer(w, lr, buf); err != nil {
		return err
	}
	if lr.N <= 0 {
		return fmt.Errorf("uncompressed size of file %s is larger than declared size (%d bytes)", zf.Name, zf.UncompressedSize64)
	}
	return nil
}

// hash1 is dirhash.Hash1 over precomputed file hashes: the SHA-256 of the
// sorted lines "<hex sha256>  <name>\n", base64, with the "h1:" prefix.
func hash1(names []string, sums map[string][sha256.Size]byte) (string, error) {
	names = slices.Clone(names)
	slices.Sort(names)
	h := sha256.New()
	for _, name := range names {
		if strings.Contains(name, "\n") {
			return "", errors.New("dirhash: filenames with newlines are not supported")
		}
		fmt.Fprintf(h, "%x  %s\n", sums[name], name)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}
