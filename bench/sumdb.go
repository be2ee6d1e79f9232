package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing/fstest"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
)

// sumIndex answers checksum-database lookups for the emulated mirrors from
// go.sum lines: the proxy-path rows run go with no go.sum, so go checks
// every module against the checksum database, and the corpus go.sum files
// hold the real hashes of the corpus trees (which are real module caches).
type sumIndex struct {
	// lines maps "path version" (without /go.mod) to the go.sum hash of
	// the zip and of the go.mod file.
	zip, mod map[string]string
	// tree, when set, is a GOPROXY tree that is a real module cache: for a
	// hash no go.sum line gives, the zip's comes from its .ziphash (which go
	// wrote after checking the zip against the real checksum database) and
	// the go.mod's is computed from the .mod file.
	tree fs.FS

	// standIns, when set (addStandIns), are served by the mirrors for the
	// versions the index knows and the tree lacks, and the index answers
	// their hashes.
	standIns *standIns

	recordsOnce sync.Once
	recs        []module.Version
}

// addStandIns makes the mirrors serving x's tree serve stand-ins (see
// standIns) and x answer their hashes.
func (x *sumIndex) addStandIns() { x.standIns = &standIns{x: x} }

// newSumIndex returns an empty index reading missing hashes from tree (nil
// for none).
func newSumIndex(tree fs.FS) *sumIndex {
	return &sumIndex{zip: map[string]string{}, mod: map[string]string{}, tree: tree}
}

// addGoSum adds the lines of one go.sum file. Malformed lines are an
// error naming the file, as go reports them.
func (x *sumIndex) addGoSum(name string, data []byte) error {
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 || !strings.HasPrefix(f[2], "h1:") {
			return fmt.Errorf("%s:%d: malformed go.sum line %q", name, i+1, line)
		}
		if v, ok := strings.CutSuffix(f[1], "/go.mod"); ok {
			x.mod[f[0]+" "+v] = f[2]
		} else {
			x.zip[f[0]+" "+f[1]] = f[2]
		}
	}
	return nil
}

// addGoSums adds every go.sum file under dir (the corpus folder, with
// etcd's sub-modules).
func (x *sumIndex) addGoSums(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "go.sum" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return x.addGoSum(p, data)
	})
}

// lookup is proxytest's Options.Lookup: the checksum-database record of
// path@version, the go.sum lines of its zip and its go.mod, as the real
// database signs them. A module the index knows nothing of is not found.
func (x *sumIndex) lookup(path, version string) ([]byte, error) {
	key := path + " " + version
	zip, mod := x.zip[key], x.mod[key]
	if x.standIns != nil {
		// A stand-in's hash is what the mirrors serve for it; go never
		// fetches one, so no hash go checks changes.
		sz, sm := x.standIns.hashes(path, version)
		zip, mod = cmp.Or(sz, zip), cmp.Or(sm, mod)
	}
	if zip == "" {
		zip = x.treeZipHash(path, version)
	}
	if mod == "" {
		mod = x.treeModHash(path, version)
	}
	if zip == "" && mod == "" {
		return nil, fmt.Errorf("%s@%s: %w", path, version, fs.ErrNotExist)
	}
	var b bytes.Buffer
	if zip != "" {
		fmt.Fprintf(&b, "%s %s %s\n", path, version, zip)
	}
	if mod != "" {
		fmt.Fprintf(&b, "%s %s/go.mod %s\n", path, version, mod)
	}
	return b.Bytes(), nil
}

// records returns every module version the index can answer for (its
// go.sum lines and lookups, and the tree's go.mod files), sorted: the
// records the mirrors' database holds from the start (see
// proxytest.Options.SumDBRecords). The real database holds every module
// before go asks, so its tree does not grow during a run; one that grew
// with each lookup would give go a new tree head, and new tiles to fetch,
// at nearly every answer.
func (x *sumIndex) records() []module.Version {
	x.recordsOnce.Do(func() {
		seen := map[module.Version]bool{}
		add := func(key string) {
			p, v, ok := strings.Cut(key, " ")
			if ok {
				seen[module.Version{Path: p, Version: v}] = true
			}
		}
		for k := range x.zip {
			add(k)
		}
		for k := range x.mod {
			add(k)
		}
		if x.tree != nil {
			fs.WalkDir(x.tree, ".", func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() || !strings.HasSuffix(p, ".mod") {
					return nil
				}
				dir, file, ok := strings.Cut(p, "/@v/")
				if !ok || strings.Contains(file, "/") {
					return nil
				}
				mp, err1 := module.UnescapePath(dir)
				mv, err2 := module.UnescapeVersion(strings.TrimSuffix(file, ".mod"))
				if err1 == nil && err2 == nil {
					seen[module.Version{Path: mp, Version: mv}] = true
				}
				return nil
			})
		}
		for m := range seen {
			x.recs = append(x.recs, m)
		}
		slices.SortFunc(x.recs, func(a, b module.Version) int {
			if c := strings.Compare(a.Path, b.Path); c != 0 {
				return c
			}
			return strings.Compare(a.Version, b.Version)
		})
	})
	return x.recs
}

// treeFile returns the tree's file for path@version with the extension
// ext, or nil.
func (x *sumIndex) treeFile(path, version, ext string) []byte {
	if x.tree == nil {
		return nil
	}
	ep, err1 := module.EscapePath(path)
	ev, err2 := module.EscapeVersion(version)
	if err1 != nil || err2 != nil {
		return nil
	}
	data, err := fs.ReadFile(x.tree, ep+"/@v/"+ev+ext)
	if err != nil {
		return nil
	}
	return data
}

func (x *sumIndex) treeZipHash(path, version string) string {
	h := strings.TrimSpace(string(x.treeFile(path, version, ".ziphash")))
	if !strings.HasPrefix(h, "h1:") {
		return ""
	}
	return h
}

func (x *sumIndex) treeModHash(path, version string) string {
	data := x.treeFile(path, version, ".mod")
	if data == nil {
		return ""
	}
	h, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	if err != nil {
		return ""
	}
	return h
}

// listingFS serves a GOPROXY tree that is a module cache, adding the
// @v/list files go only writes when it queried them: a tree-backed
// mirror lists the versions whose zip it holds, so that go's @latest
// queries (mod tidy with new imports) pick the version the tree can serve.
type listingFS struct{ fs.FS }

func (l listingFS) Open(name string) (fs.File, error) {
	dir, ok := strings.CutSuffix(name, "/@v/list")
	if !ok {
		return l.FS.Open(name)
	}
	data, err := zipVersions(l.FS, dir+"/@v")
	if err != nil {
		return nil, err
	}
	return fstest.MapFS{"list": {Data: data, Mode: 0o444}}.Open("list")
}

// zipVersions returns the list file for the @v folder dir: one version a
// line, unescaped, for every .zip in it. A folder without zips is not
// found, as a mirror answers for a module it does not have.
func zipVersions(fsys fs.FS, dir string) ([]byte, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, e := range entries {
		ev, ok := strings.CutSuffix(e.Name(), ".zip")
		if !ok || e.IsDir() {
			continue
		}
		if v, err := module.UnescapeVersion(ev); err == nil {
			b.WriteString(v + "\n")
		}
	}
	if b.Len() == 0 {
		return nil, fmt.Errorf("%s: %w", dir, fs.ErrNotExist)
	}
	return b.Bytes(), nil
}

// addLookups adds the records of every checksum-database lookup the go
// command cached in a GOPROXY tree that is a real module cache
// (sumdb/<host>/lookup/<path>@<version>): the lines the real database
// signed, so that a tool corpus, which has no go.sum, is covered, and a
// toolchain zip's record carries its go.mod line too, as the real one does.
func (x *sumIndex) addLookups(tree fs.FS) error {
	dbs, err := fs.ReadDir(tree, "sumdb")
	if err != nil {
		return nil // no lookups cached: nothing to add
	}
	for _, db := range dbs {
		root := "sumdb/" + db.Name() + "/lookup"
		err := fs.WalkDir(tree, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == root && errors.Is(err, fs.ErrNotExist) {
					return fs.SkipAll
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			data, err := fs.ReadFile(tree, p)
			if err != nil {
				return err
			}
			return x.addGoSum(p, recordLines(data))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// recordLines returns the go.sum lines of a checksum-database lookup
// record: the lines after its record number, up to the blank line before
// the signed tree head.
func recordLines(data []byte) []byte {
	lines := strings.Split(string(data), "\n")
	var b bytes.Buffer
	for i, l := range lines {
		if i == 0 {
			continue // the record number
		}
		if strings.TrimSpace(l) == "" {
			break
		}
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}
