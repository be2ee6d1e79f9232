package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	mathrand "math/rand"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// standIns are the files of module versions that exist (the checksum
// database has a hash for them: a go.sum line or a cached lookup) but that
// the tree lacks, because the tree holds only what go fetched when it was
// filled. A mirror serving only that tree answers 404 for anything else,
// so a read-ahead of a version go never asks for would cost no bytes and
// the over-fetch would be 0 by construction; the emulated mirrors of the
// proxy-path rows serve a stand-in for each such version instead, so that
// reading it ahead costs what it would cost at a real mirror.
//
// A stand-in's go.mod is the go.mod of another version of the module in
// the tree (so a walk of the graph goes on from it much as it would), its
// .info names the version, and its zip is a valid module zip about the
// size of another version's. The emulated checksum database signs the
// stand-ins' own hashes (sumIndex.lookup), so that gofast verifies them
// as it verifies real files. go's own run does not ask for one: what it
// fetches is in the tree, and only versions some go.sum or lookup names
// get a stand-in, not the versions go probes at module-path prefixes. The
// @v/list files still name only the tree's versions (listingFS), so go's
// queries pick what they picked before.
type standIns struct {
	x *sumIndex

	mu      sync.Mutex
	files   map[string][]byte // .info and .mod stand-ins, built on first use
	zipHash map[string]string // of the zip stand-ins, which are built anew for each request
}

// standInTime is every stand-in's .info time.
var standInTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// covers reports whether path@version has a stand-in file with the
// extension ext: the tree lacks that file, and the index knows a hash of
// the version (of its zip, for a zip: a version known only by its go.mod
// line has no zip anyone could verify, and a stand-in zip for each of the
// hundreds such lines would cost the emulator more than the runs).
func (s *standIns) covers(path, version, ext string) bool {
	key := path + " " + version
	switch {
	case s.x.tree == nil:
		return false
	case ext == ".zip" && s.x.zip[key] == "":
		return false
	case s.x.zip[key] == "" && s.x.mod[key] == "":
		return false
	}
	ep, err1 := module.EscapePath(path)
	ev, err2 := module.EscapeVersion(version)
	if err1 != nil || err2 != nil {
		return false
	}
	_, err := fs.Stat(s.x.tree, ep+"/@v/"+ev+ext)
	return err != nil
}

// file returns path@version's file with the extension ext (".info",
// ".mod", ".zip"): the tree's, else its stand-in, else nil.
func (s *standIns) file(path, version, ext string) []byte {
	if !s.covers(path, version, ext) {
		return s.x.treeFile(path, version, ext)
	}
	if ext == ".zip" {
		return s.zip(path, version)
	}
	key := path + "@" + version + ext
	s.mu.Lock()
	data, ok := s.files[key]
	s.mu.Unlock()
	if ok {
		return data
	}
	switch ext {
	case ".info":
		data = fmt.Appendf(nil, "{\"Version\":%q,\"Time\":%q}\n", version, standInTime.Format(time.RFC3339))
	case ".mod":
		data, _ = s.another(path, ".mod", true)
		if data == nil {
			data = []byte("module " + path + "\n")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files == nil {
		s.files = map[string][]byte{}
	}
	s.files[key] = data
	return data
}

// another returns the file with the extension ext of another version of
// path in the tree (the last in name order) and its size, or nil and 0;
// the file is read only when read is set.
func (s *standIns) another(path, ext string, read bool) ([]byte, int64) {
	ep, err := module.EscapePath(path)
	if err != nil {
		return nil, 0
	}
	entries, err := fs.ReadDir(s.x.tree, ep+"/@v")
	if err != nil {
		return nil, 0
	}
	for i := len(entries) - 1; i >= 0; i-- {
		name := ep + "/@v/" + entries[i].Name()
		if !strings.HasSuffix(name, ext) {
			continue
		}
		if !read {
			if info, err := entries[i].Info(); err == nil {
				return nil, info.Size()
			}
			continue
		}
		if data, err := fs.ReadFile(s.x.tree, name); err == nil {
			return data, int64(len(data))
		}
	}
	return nil, 0
}

// zip builds path@version's stand-in zip: its go.mod and one file of
// pseudo-random (incompressible) bytes, about as large as the zip of
// another version of the module in the tree. The bytes depend only on the
// version, so that every mirror serves the same zip.
func (s *standIns) zip(path, version string) []byte {
	_, size := s.another(path, ".zip", false)
	filler := make([]byte, size)
	seed := int64(0)
	for _, c := range path + "@" + version {
		seed = seed*31 + int64(c)
	}
	mathrand.New(mathrand.NewSource(seed)).Read(filler)
	files := []modzip.File{memZipFile{"go.mod", s.file(path, version, ".mod")}, memZipFile{"standin.bin", filler}}
	var b bytes.Buffer
	if err := modzip.Create(&b, module.Version{Path: path, Version: version}, files); err != nil {
		return nil
	}
	return b.Bytes()
}

// hashes returns the h1 hashes of path@version's stand-in zip and go.mod,
// each "" when that file is not a stand-in.
func (s *standIns) hashes(path, version string) (zip, mod string) {
	if s.covers(path, version, ".mod") {
		data := s.file(path, version, ".mod")
		mod, _ = dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		})
	}
	if s.covers(path, version, ".zip") {
		key := path + "@" + version
		s.mu.Lock()
		h, ok := s.zipHash[key]
		s.mu.Unlock()
		zip = h
		if !ok {
			if data := s.zip(path, version); data != nil {
				zip, _ = proxytest.HashZipBytes(data)
			}
			s.mu.Lock()
			if s.zipHash == nil {
				s.zipHash = map[string]string{}
			}
			s.zipHash[key] = zip
			s.mu.Unlock()
		}
	}
	return zip, mod
}

// serve returns fsys with the stand-ins added.
func (s *standIns) serve(fsys fs.FS) fs.FS { return standInFS{fsys, s} }

// standInFS is a GOPROXY tree with standIns added for what it lacks.
type standInFS struct {
	fs.FS
	s *standIns
}

func (f standInFS) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err == nil {
		return file, nil
	}
	dir, base, ok := strings.Cut(name, "/@v/")
	if !ok || strings.Contains(base, "/") {
		return nil, err
	}
	for _, ext := range []string{".info", ".mod", ".zip"} {
		ev, ok := strings.CutSuffix(base, ext)
		if !ok {
			continue
		}
		path, err1 := module.UnescapePath(dir)
		version, err2 := module.UnescapeVersion(ev)
		if err1 != nil || err2 != nil {
			break
		}
		if !f.s.covers(path, version, ext) {
			break
		}
		if data := f.s.file(path, version, ext); data != nil {
			return fstest.MapFS{base: {Data: data, Mode: 0o444}}.Open(base)
		}
	}
	return nil, err
}

// memZipFile is a file of a module zip built in memory.
type memZipFile struct {
	name string
	data []byte
}

func (f memZipFile) Path() string                 { return f.name }
func (f memZipFile) Lstat() (fs.FileInfo, error)  { return memZipInfo(f), nil }
func (f memZipFile) Open() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(f.data)), nil }

type memZipInfo memZipFile

func (fi memZipInfo) Name() string       { return fi.name }
func (fi memZipInfo) Size() int64        { return int64(len(fi.data)) }
func (fi memZipInfo) Mode() fs.FileMode  { return 0o644 }
func (fi memZipInfo) ModTime() time.Time { return time.Time{} }
func (fi memZipInfo) IsDir() bool        { return false }
func (fi memZipInfo) Sys() any           { return nil }
