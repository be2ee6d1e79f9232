package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// fileSet is the proxy files a module cache holds under cache/download:
// every .zip, .mod and .info, by slash path relative to cache/download,
// with its size. Lock files, .ziphash, list files, .partial leftovers and
// the checksum-database cache are not part of it: they are bookkeeping, not
// what was fetched.
type fileSet map[string]int64

// isProxyFile reports whether rel (a slash path under cache/download)
// belongs in a fileSet.
func isProxyFile(rel string) bool {
	if strings.HasPrefix(rel, "sumdb/") || !strings.Contains(rel, "/@v/") {
		return false
	}
	switch path.Ext(rel) {
	case ".zip", ".mod", ".info":
		return true
	}
	return false
}

// scanDownloads reads the fileSet of the GOPROXY tree at dir (a module
// cache's cache/download). A missing dir is an empty set.
func scanDownloads(dir string) (fileSet, error) {
	set := fileSet{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !isProxyFile(rel) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		set[rel] = info.Size()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", dir, err)
	}
	return set, nil
}

// Size returns the total size of the files in the set.
func (s fileSet) Size() int64 {
	var n int64
	for _, size := range s {
		n += size
	}
	return n
}

// Count returns how many files in the set end in ext (".zip").
func (s fileSet) Count(ext string) int {
	n := 0
	for p := range s {
		if strings.HasSuffix(p, ext) {
			n++
		}
	}
	return n
}

// setDiff is how a run's fileSet differs from the expected one.
type setDiff struct {
	// Missing files were expected and not fetched; Extra were fetched and
	// not expected; Changed .zip and .mod files differ in size. An .info
	// file's size is not compared: it is metadata whose JSON encoding a
	// correct client may write differently.
	Missing, Extra, Changed []string
}

// diffSets compares got with want.
func diffSets(want, got fileSet) setDiff {
	var d setDiff
	for p, size := range want {
		gs, ok := got[p]
		switch {
		case !ok:
			d.Missing = append(d.Missing, p)
		case gs != size && path.Ext(p) != ".info":
			d.Changed = append(d.Changed, p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			d.Extra = append(d.Extra, p)
		}
	}
	slices.Sort(d.Missing)
	slices.Sort(d.Extra)
	slices.Sort(d.Changed)
	return d
}

// Empty reports whether the sets were the same.
func (d setDiff) Empty() bool { return len(d.Missing)+len(d.Extra)+len(d.Changed) == 0 }

// String summarizes the difference in one line, naming the first file of
// each kind: "2 missing (a/@v/v1.zip, …), 1 extra (b/@v/v2.mod)".
func (d setDiff) String() string {
	var parts []string
	add := func(what string, files []string) {
		if len(files) == 0 {
			return
		}
		first := files[0]
		if len(files) > 1 {
			first += ", …"
		}
		parts = append(parts, fmt.Sprintf("%d %s (%s)", len(files), what, first))
	}
	add("missing", d.Missing)
	add("extra", d.Extra)
	add("changed", d.Changed)
	if len(parts) == 0 {
		return "same files"
	}
	return strings.Join(parts, ", ")
}
