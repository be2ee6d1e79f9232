package lockcheck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/module"
)

// version is what the cache holds for one module version: its lock file and
// the leftovers a crashed writer may have left next to it.
type version struct {
	escPath, escVer string // as escaped in file names
	module, version string // unescaped, for messages
	vdir            string // cache/download/<escaped path>/@v
	lock            *lockState
	zip, ziphash    bool
	zipTemps        []string // <v>.zip<random>.tmp, written under the lock
	otherTemps      []string // <v>.mod<random>.tmp, <v>.info<random>.tmp, written without it
	partial         string   // <root>/<path>@<v>.partial marker, if present
	tmpDirs         []string // <root>/<path>@<v>.tmp-<random>, extractions of go before 1.16
}

// extractDir is where the go command extracts the version.
func (v *version) extractDir(root string) string {
	return filepath.Join(root, filepath.FromSlash(v.escPath)+"@"+v.escVer)
}

// walk finds the cache's lock files and the leftovers next to them, reading
// only cache/download (without its sumdb tiles), cache/vcs and the parent
// directories of extracted modules: never the extracted module trees, which
// hold most of a cache's files.
func (sc *scanner) walk(ctx context.Context) error {
	cache := filepath.Join(sc.root, "cache")
	sc.addLock(filepath.Join(cache, "lock"), nil)
	if ents, err := os.ReadDir(filepath.Join(cache, "vcs")); err == nil {
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".lock") && e.Type().IsRegular() {
				sc.addLock(filepath.Join(cache, "vcs", e.Name()), nil)
			}
		}
	} else if errors.Is(err, fs.ErrPermission) {
		sc.unreadable = append(sc.unreadable, filepath.Join(cache, "vcs"))
	}

	dl := filepath.Join(cache, "download")
	err := filepath.WalkDir(dl, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			switch {
			case path == dl && errors.Is(err, fs.ErrNotExist):
				return filepath.SkipAll
			case errors.Is(err, fs.ErrPermission):
				sc.unreadable = append(sc.unreadable, path)
				return nil
			}
			return fmt.Errorf("reading module cache: %w", err)
		}
		if !d.IsDir() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case d.Name() == "@v":
			return sc.readVersionDir(dl, path)
		case path == filepath.Join(dl, "sumdb"):
			// Checksum-database tiles: many files, no lock files.
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		return err
	}
	sc.findPartials()
	sort.Slice(sc.locks, func(i, j int) bool { return sc.locks[i].Path < sc.locks[j].Path })
	return nil
}

// readVersionDir records the lock files and leftovers of one @v directory.
func (sc *scanner) readVersionDir(dl, vdir string) error {
	ents, err := os.ReadDir(vdir)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			sc.unreadable = append(sc.unreadable, vdir)
			return filepath.SkipDir
		}
		return fmt.Errorf("reading module cache: %w", err)
	}
	rel, err := filepath.Rel(dl, filepath.Dir(vdir))
	if err != nil {
		return fmt.Errorf("reading module cache: %w", err)
	}
	escPath := filepath.ToSlash(rel)
	sc.lockDirs = append(sc.lockDirs, vdir)
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".tmp"):
			base := strings.TrimRight(strings.TrimSuffix(name, ".tmp"), "0123456789")
			switch ext := filepath.Ext(base); ext {
			case ".zip":
				v := sc.version(vdir, escPath, strings.TrimSuffix(base, ext))
				v.zipTemps = append(v.zipTemps, filepath.Join(vdir, name))
			case ".mod", ".info":
				v := sc.version(vdir, escPath, strings.TrimSuffix(base, ext))
				v.otherTemps = append(v.otherTemps, filepath.Join(vdir, name))
			default:
				sc.strayTemps = append(sc.strayTemps, filepath.Join(vdir, name))
			}
		case strings.HasSuffix(name, ".lock") && e.Type().IsRegular():
			v := sc.version(vdir, escPath, strings.TrimSuffix(name, ".lock"))
			v.lock = sc.addLock(filepath.Join(vdir, name), e)
			v.lock.version = v
			v.lock.Module, v.lock.Version = v.module, v.version
		case strings.HasSuffix(name, ".ziphash"):
			sc.version(vdir, escPath, strings.TrimSuffix(name, ".ziphash")).ziphash = true
		case strings.HasSuffix(name, ".zip"):
			sc.version(vdir, escPath, strings.TrimSuffix(name, ".zip")).zip = true
		}
	}
	return filepath.SkipDir
}

// version returns the record of one module version, creating it.
func (sc *scanner) version(vdir, escPath, escVer string) *version {
	key := escPath + "@" + escVer
	if v, ok := sc.versions[key]; ok {
		return v
	}
	v := &version{escPath: escPath, escVer: escVer, module: escPath, version: escVer, vdir: vdir}
	if p, err := module.UnescapePath(escPath); err == nil {
		v.module = p
	}
	if ver, err := module.UnescapeVersion(escVer); err == nil {
		v.version = ver
	}
	sc.versions[key] = v
	return v
}

// addLock records a lock file. e is its directory entry, or nil to stat it;
// a lock file that does not exist is not recorded.
func (sc *scanner) addLock(path string, e fs.DirEntry) *lockState {
	var fi fs.FileInfo
	var err error
	if e != nil {
		fi, err = e.Info()
	} else {
		fi, err = os.Lstat(path)
		if err == nil && !fi.Mode().IsRegular() {
			return nil
		}
	}
	ls := &lockState{Lock: Lock{Path: path}, info: fi}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && e == nil {
			return nil
		}
		ls.Err = err.Error()
	}
	sc.locks = append(sc.locks, ls)
	return ls
}

// findPartials looks for interrupted extractions: a <path>@<v>.partial
// marker (go 1.16 and later) or a <path>@<v>.tmp-<random> directory (older
// go) beside where a version in cache/download would be extracted. Each
// parent directory is read once.
func (sc *scanner) findPartials() {
	dl := filepath.Join(sc.root, "cache", "download")
	parents := map[string]bool{}
	for _, v := range sc.versions {
		parents[filepath.Dir(v.extractDir(sc.root))] = true
	}
	for parent := range parents {
		ents, err := os.ReadDir(parent)
		if err != nil {
			continue
		}
		rel, err := filepath.Rel(sc.root, parent)
		if err != nil {
			continue
		}
		for _, e := range ents {
			name := e.Name()
			stem, isPartial := strings.CutSuffix(name, ".partial")
			tmpDir := false
			if !isPartial {
				if i := strings.Index(name, ".tmp-"); i > 0 && e.IsDir() {
					stem, tmpDir = name[:i], true
				}
			}
			if !isPartial && !tmpDir {
				continue
			}
			at := strings.LastIndex(stem, "@")
			if at <= 0 {
				continue
			}
			escPath := filepath.ToSlash(filepath.Join(rel, stem[:at]))
			v := sc.version(filepath.Join(dl, filepath.FromSlash(escPath), "@v"), escPath, stem[at+1:])
			if isPartial {
				v.partial = filepath.Join(parent, name)
			} else {
				v.tmpDirs = append(v.tmpDirs, filepath.Join(parent, name))
			}
		}
	}
}
