package modcache

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// CreateTemp creates a temporary file for m's file with the given suffix in
// the directory of its final path (so the rename that publishes it is
// atomic), named "<final name><random>.tmp" as go's tempFile names it: go
// removes zip leftovers of that pattern while holding the version lock.
func (c *Cache) CreateTemp(ctx context.Context, m module.Version, suffix string) (*os.File, error) {
	final, err := c.File(m, suffix)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o777); err != nil {
		return nil, &PathError{Module: m, Op: "create temp ." + suffix, Err: err}
	}
	return tempFile(ctx, filepath.Dir(final), filepath.Base(final), 0o666)
}

// tempFile is go's modfetch.tempFile.
func tempFile(ctx context.Context, dir, prefix string, perm fs.FileMode) (f *os.File, err error) {
	for i := 0; i < 10000; i++ {
		name := filepath.Join(dir, prefix+strconv.Itoa(rand.IntN(1000000000))+".tmp")
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if os.IsExist(err) {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		break
	}
	return f, err
}

// CleanZipTemps removes leftovers of interrupted zip downloads of m
// ("<version>.zip*.tmp"), as go's downloadZip does, sparing keep (the
// caller's own download, made before it took the lock; "" spares nothing).
// The caller must hold m's lock: only then are their writers known to be
// gone.
func (c *Cache) CleanZipTemps(m module.Version, keep string) {
	zip, err := c.File(m, "zip")
	if err != nil {
		return
	}
	pattern := filepath.Join(quoteGlob(filepath.Dir(zip)), quoteGlob(filepath.Base(zip))+"*.tmp")
	old, _ := filepath.Glob(pattern)
	for _, p := range old {
		if p != keep {
			os.Remove(p) // best effort, as go
		}
	}
}

// quoteGlob escapes glob metacharacters, as go's str.QuoteGlob.
func quoteGlob(s string) string {
	if !strings.ContainsAny(s, `*?[]`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// PublishMod writes m's go.mod file as go's writeDiskCache does (temp file,
// rename) and then rewrites @v/list as rewriteVersionList does. The caller
// has verified data. Like go, it does not take the version lock: a reader
// sees either no file or the whole file.
func (c *Cache) PublishMod(ctx context.Context, m module.Version, data []byte) error {
	if err := c.writeFile(ctx, m, "mod", data); err != nil {
		return err
	}
	dir, _ := c.DownloadDir(m.Path)
	// go ignores list errors too: the list is only an index of the .mod files.
	c.rewriteVersionList(dir)
	return nil
}

// PublishInfo writes m's .info file (temp file, rename). The caller passes
// the JSON go would write (see CleanInfo).
func (c *Cache) PublishInfo(ctx context.Context, m module.Version, data []byte) error {
	return c.writeFile(ctx, m, "info", data)
}

func (c *Cache) writeFile(ctx context.Context, m module.Version, suffix string, data []byte) (err error) {
	final, err := c.File(m, suffix)
	if err != nil {
		return err
	}
	f, err := c.CreateTemp(ctx, m, suffix)
	if err != nil {
		return &PathError{Module: m, Op: "write ." + suffix, Err: err}
	}
	defer func() {
		// Remove the temp file only if the rename did not happen: after it,
		// another process may own a file of the same name.
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return &PathError{Module: m, Op: "write ." + suffix, Err: err}
	}
	if err = f.Close(); err != nil {
		return &PathError{Module: m, Op: "write ." + suffix, Err: err}
	}
	if err = rename(f.Name(), final); err != nil {
		return &PathError{Module: m, Op: "write ." + suffix, Err: err}
	}
	return nil
}

// writeLockedFile replaces name's content while holding an exclusive lock
// on it, as go's lockedfile.Create + Truncate + WriteAt in hashZip: go reads
// .ziphash with a shared lock, so it never sees it half-written.
func writeLockedFile(name string, data []byte) (err error) {
	f, err := openLocked(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := closeLocked(f); err == nil {
			err = cerr
		}
	}()
	if err := f.Truncate(int64(len(data))); err != nil {
		return err
	}
	_, err = f.WriteAt(data, 0)
	return err
}

// rewriteVersionList rewrites dir/list from the .mod files in dir, exactly
// as go's rewriteVersionList: under the list file's own lock, skipping the
// write when nothing changed, and zero-filling first so that an
// interrupted write is detectable.
func (c *Cache) rewriteVersionList(dir string) (err error) {
	if filepath.Base(dir) != "@v" {
		return fmt.Errorf("modcache: rewriteVersionList on %s", dir)
	}
	f, err := openLocked(filepath.Join(dir, "list"), os.O_RDWR|os.O_CREATE)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := closeLocked(f); cerr != nil && err == nil {
			err = cerr
		}
	}()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var list []string
	for _, e := range entries {
		if v, ok := strings.CutSuffix(e.Name(), ".mod"); ok && v != "" && module.CanonicalVersion(v) == v {
			list = append(list, v)
		}
	}
	semver.Sort(list)
	var buf bytes.Buffer
	for _, v := range list {
		buf.WriteString(v)
		buf.WriteString("\n")
	}
	if fi, err := f.Stat(); err == nil && int(fi.Size()) == buf.Len() {
		old := make([]byte, buf.Len()+1)
		if n, err := f.ReadAt(old, 0); err == io.EOF && n == buf.Len() && bytes.Equal(buf.Bytes(), old[:n]) {
			return nil
		}
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if err := f.Truncate(int64(buf.Len())); err != nil {
		return err
	}
	if _, err := f.WriteAt(buf.Bytes(), 0); err != nil {
		f.Truncate(0)
		return err
	}
	return nil
}
