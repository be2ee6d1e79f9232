package modcache

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// Extracted reports whether m's directory is completely extracted, by go's
// DownloadDir rules: the directory exists, no .partial marker is present,
// and the .ziphash is there.
func (c *Cache) Extracted(m module.Version) bool {
	dir, err := c.Dir(m)
	if err != nil {
		return false
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return false
	}
	partial, err := c.File(m, "partial")
	if err != nil || exists(partial) {
		return false
	}
	zip, _ := c.File(m, "zip")
	return exists(zip + "hash")
}

// Extract unpacks m's cached zip into its directory exactly as go's unzip
// does: under m's lock, after removing leftovers of interrupted
// extractions, with a .partial marker present for the whole extraction so
// that no go process uses a half-extracted tree, and with directories made
// read-only afterwards (unless ReadWrite). x/mod/zip.Unzip enforces the
// module zip rules (paths, sizes, case collisions).
func (c *Cache) Extract(ctx context.Context, m module.Version) (err error) {
	zipfile, err := c.File(m, "zip")
	if err != nil {
		return err
	}
	dir, err := c.Dir(m)
	if err != nil {
		return err
	}
	partial, err := c.File(m, "partial")
	if err != nil {
		return err
	}
	unlock, err := c.Lock(ctx, m)
	if err != nil {
		return err
	}
	defer unlock()

	if c.Extracted(m) {
		return nil
	}
	if !c.HasZip(m) {
		return &PathError{Module: m, Op: "extract", Err: fs.ErrNotExist}
	}
	// Leftovers of go before 1.16 and of interrupted extractions: safe to
	// remove only because the lock proves their writers are gone.
	if err := c.clearDirExcept(m, dir, ""); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o777); err != nil {
		return &PathError{Module: m, Op: "extract", Err: err}
	}
	if err := os.WriteFile(partial, nil, 0o666); err != nil {
		return &PathError{Module: m, Op: "extract", Err: err}
	}
	if err := modzip.Unzip(dir, m, zipfile); err != nil {
		if rmErr := RemoveAll(dir); rmErr == nil {
			os.Remove(partial)
		}
		return &PathError{Module: m, Op: "extract", Err: err}
	}
	if err := os.Remove(partial); err != nil {
		return &PathError{Module: m, Op: "extract", Err: err}
	}
	if !c.ReadWrite {
		makeDirsReadOnly(dir)
	}
	return nil
}

// makeDirsReadOnly removes write permission from dir and every directory
// below it, children first, as go's makeDirsReadOnly (best effort).
func makeDirsReadOnly(dir string) {
	type pathMode struct {
		path string
		mode fs.FileMode
	}
	var dirs []pathMode
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			if info, err := d.Info(); err == nil && info.Mode()&0o222 != 0 {
				dirs = append(dirs, pathMode{path, info.Mode()})
			}
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Chmod(dirs[i].path, dirs[i].mode&^0o222)
	}
}

// RemoveAll removes an extracted module directory, first making its
// read-only directories writable, as go's modfetch.RemoveAll. Tests use it
// to clean caches up.
func RemoveAll(dir string) error {
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(path, 0o777)
		}
		return nil
	})
	err := os.RemoveAll(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
