package modcache

import (
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gofastdev/gofast/internal/modsum"
	"golang.org/x/mod/module"
)

// Staged is a downloaded zip that has been verified (and, when asked,
// unpacked) under private names that go never reads: the zip under its
// temporary name from CreateTemp, the tree in "<dir>.tmp-<random>", the
// pattern of the temporary directories older go versions extracted into,
// which go removes as leftovers (under the version lock) when it extracts
// the module itself. Staging takes no lock, so it may run before it is
// known whether the module will be published at all; Publish, under the
// lock, then only renames things into place, and Discard removes them.
type Staged struct {
	c    *Cache
	m    module.Version
	zip  string // the temporary zip
	dir  string // the unpacked tree, "" when not extracted
	hash string
}

// Hash is the zip's "h1:" hash, as go.sum records it.
func (s *Staged) Hash() string { return s.hash }

// StageZip hashes the downloaded zip at tmpZip (a closed file from
// CreateTemp) and passes the hash to check, which may refuse it. With
// extract it also unpacks the zip, in the same pass, exactly as
// x/mod/zip.Unzip would, hashing each file as it is written (so each is
// decompressed once, where go decompresses it twice: to hash, then to
// unpack). On error nothing is left behind,
// tmpZip included; the error is a *ZipContentError when the zip's contents
// are at fault.
func (c *Cache) StageZip(ctx context.Context, m module.Version, tmpZip string, extract bool, check func(hash string) error) (_ *Staged, err error) {
	s := &Staged{c: c, m: m, zip: tmpZip}
	defer func() {
		if err != nil {
			s.Discard()
		}
	}()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !extract {
		s.hash, err = modsum.Zip(tmpZip)
		if err != nil {
			return nil, &ZipContentError{Module: m, Err: err}
		}
	} else {
		final, err := c.Dir(m)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(final), 0o777); err != nil {
			return nil, &PathError{Module: m, Op: "extract", Err: err}
		}
		if s.dir, err = stagingDir(final); err != nil {
			return nil, &PathError{Module: m, Op: "extract", Err: err}
		}
		if s.hash, err = unzipHashing(ctx, s.dir, m, tmpZip); err != nil {
			return nil, err
		}
	}
	if check != nil {
		if err := check(s.hash); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// stagingDir creates an empty directory "<final>.tmp-<random>", with the
// mode go's Unzip gives the module directory (0777 less umask).
func stagingDir(final string) (string, error) {
	for range 10000 {
		name := final + ".tmp-" + strconv.Itoa(rand.IntN(1000000000))
		err := os.Mkdir(name, 0o777)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", errors.New("no free temporary directory name")
}

// Discard removes what was staged.
func (s *Staged) Discard() {
	if s == nil {
		return
	}
	if s.dir != "" {
		RemoveAll(s.dir)
	}
	os.Remove(s.zip)
}

// Publish moves a staged zip (and tree) into place exactly as go leaves
// them: with the .partial marker present, the tree is renamed to the
// module directory, the .ziphash written, the zip renamed into place,
// the marker removed, and the directories made read-only (unless the cache
// is ReadWrite). What another process already published is kept (ours is
// dropped). The caller holds m's lock. If the tree cannot be renamed
// (Windows refuses to rename a directory a virus scanner has open), the
// zip is unpacked in place instead. On error what is left is a state go
// repairs: a .partial marker, or nothing.
func (s *Staged) Publish(ctx context.Context) (err error) {
	c, m := s.c, s.m
	final, err := c.File(m, "zip")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			s.Discard()
		}
	}()
	haveZip := c.HasZip(m)
	if haveZip {
		// Another process published the zip while we staged ours; its
		// .ziphash is what go trusts, so our zip goes, and our tree too
		// unless it is of the same zip.
		os.Remove(s.zip)
		s.zip = ""
		if zh, err := os.ReadFile(final + "hash"); err != nil || string(zh) != s.hash {
			s.dropTree()
		}
	}
	if s.dir != "" && c.Extracted(m) {
		s.dropTree()
	}
	var dir, partial string
	if s.dir != "" {
		zip := s.zip
		if haveZip {
			zip = final
		}
		if dir, partial, err = s.placeTree(ctx, zip); err != nil {
			return err
		}
	}
	if !haveZip {
		// The .ziphash first, the zip last: go never pairs a zip with a
		// missing or stale hash.
		if err := writeLockedFile(final+"hash", []byte(s.hash)); err != nil {
			return &PathError{Module: m, Op: "write .ziphash", Err: err}
		}
		if err := rename(s.zip, final); err != nil {
			return &PathError{Module: m, Op: "write .zip", Err: err}
		}
		s.zip = ""
	}
	if partial == "" {
		return nil
	}
	if err := os.Remove(partial); err != nil {
		return &PathError{Module: m, Op: "extract", Err: err}
	}
	if !c.ReadWrite {
		makeDirsReadOnly(dir)
	}
	return nil
}

// dropTree removes the staged tree, if any.
func (s *Staged) dropTree() {
	if s.dir != "" {
		RemoveAll(s.dir)
		s.dir = ""
	}
}

// placeTree renames the staged tree to m's directory under a new .partial
// marker, after removing what interrupted extractions left, as go's unzip
// does; if the rename fails it unpacks zip there instead. It returns the
// directory and the marker, which the caller removes once the zip is in
// place. On error the marker stays only if the directory could not be
// removed.
func (s *Staged) placeTree(ctx context.Context, zip string) (dir, partial string, err error) {
	c, m := s.c, s.m
	if dir, err = c.Dir(m); err != nil {
		return "", "", err
	}
	if partial, err = c.File(m, "partial"); err != nil {
		return "", "", err
	}
	if err := c.clearDirExcept(m, dir, s.dir); err != nil {
		return "", "", err
	}
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(partial, nil, 0o666); err != nil {
		return "", "", &PathError{Module: m, Op: "extract", Err: err}
	}
	if rerr := rename(s.dir, dir); rerr != nil {
		s.dropTree()
		got, err := unzipHashing(ctx, dir, m, zip)
		if err == nil && got != s.hash {
			err = &PathError{Module: m, Op: "extract", Err: errors.New("zip changed after it was verified")}
		}
		if err != nil {
			if rmErr := RemoveAll(dir); rmErr == nil {
				os.Remove(partial)
			}
			return "", "", err
		}
	}
	s.dir = ""
	return dir, partial, nil
}

// PublishZip is StageZip without extraction followed by Publish, for a
// caller that already holds m's lock and fetches the zip under it, as go's
// DownloadZip does: the zip at tmpPath (a closed file from CreateTemp) is
// hashed, the hash passed to check (which may refuse it), and the
// .ziphash and zip put in place. It returns the hash. On error tmpPath is
// removed.
func (c *Cache) PublishZip(ctx context.Context, m module.Version, tmpPath string, check func(hash string) error) (string, error) {
	st, err := c.StageZip(ctx, m, tmpPath, false, check)
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		st.Discard()
		return "", err
	}
	if err := st.Publish(ctx); err != nil {
		return "", err
	}
	return st.Hash(), nil
}

// Zip is the staged zip's temporary file ("" once published or dropped).
func (s *Staged) Zip() string { return s.zip }
