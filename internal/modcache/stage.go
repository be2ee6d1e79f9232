package modcache

import (
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
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
		s.hash, err = dirhash.HashZip(tmpZip, dirhash.DefaultHash)
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
			RemoveAll(s.dir)
			s.dir = ""
		}
	}
	if s.dir == "" || c.Extracted(m) {
		if s.dir != "" {
			RemoveAll(s.dir)
			s.dir = ""
		}
		if haveZip {
			return nil
		}
		if err := writeLockedFile(final+"hash", []byte(s.hash)); err != nil {
			return &PathError{Module: m, Op: "write .ziphash", Err: err}
		}
		if err := rename(s.zip, final); err != nil {
			return &PathError{Module: m, Op: "write .zip", Err: err}
		}
		s.zip = ""
		return nil
	}

	dir, err := c.Dir(m)
	if err != nil {
		return err
	}
	partial, err := c.File(m, "partial")
	if err != nil {
		return err
	}
	if err := c.clearDirExcept(m, dir, s.dir); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.WriteFile(partial, nil, 0o666); err != nil {
		return &PathError{Module: m, Op: "extract", Err: err}
	}
	if rerr := rename(s.dir, dir); rerr != nil {
		RemoveAll(s.dir)
		s.dir = ""
		zip := s.zip
		if haveZip {
			zip = final
		}
		got, err := unzipHashing(ctx, dir, m, zip)
		if err == nil && got != s.hash {
			err = &PathError{Module: m, Op: "extract", Err: errors.New("zip changed after it was verified")}
		}
		if err != nil {
			if rmErr := RemoveAll(dir); rmErr == nil {
				os.Remove(partial)
			}
			return err
		}
	}
	s.dir = ""
	if !haveZip {
		if err := writeLockedFile(final+"hash", []byte(s.hash)); err != nil {
			return &PathError{Module: m, Op: "write .ziphash", Err: err}
		}
		if err := rename(s.zip, final); err != nil {
			return &PathError{Module: m, Op: "write .zip", Err: err}
		}
		s.zip = ""
	}
	if err := os.Remove(partial); err != nil {
		return &PathError{Module: m, Op: "extract", Err: err}
	}
	if !c.ReadWrite {
		makeDirsReadOnly(dir)
	}
	return nil
}

// Zip is the staged zip's temporary file ("" once published or dropped).
func (s *Staged) Zip() string { return s.zip }
