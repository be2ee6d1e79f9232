// Package proxytest serves Go modules from an in-process module proxy for
// tests and benchmarks: modules built in memory or a GOPROXY tree on disk,
// with an emulated network (round-trip latency, shared bandwidth) and
// injected faults (stalls, resets, error statuses, wrong bytes), plus a
// checksum database so the real go tool runs with verification on.
//
// It listens on 127.0.0.1 only.
package proxytest

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"testing/fstest"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// Module is one module version to serve.
type Module struct {
	Path    string
	Version string
	// GoMod is the go.mod file's content. If empty, "module <Path>\n" is used.
	GoMod string
	// Files are the module's files other than go.mod, by slash path. If nil,
	// a single Go file declaring a package named after the path's last
	// element is used, so the module can be imported and built.
	Files map[string]string
	// Time is the .info timestamp; zero means a fixed date.
	Time time.Time
	// ModOnly serves only .info and .mod, as for a module needed only for
	// its go.mod in the module graph (no zip).
	ModOnly bool
}

// ModFile returns the go.mod content of m.
func (m Module) ModFile() string {
	if m.GoMod != "" {
		return m.GoMod
	}
	return "module " + m.Path + "\n"
}

// Tree is a GOPROXY tree held in memory, with the go.sum lines of its
// modules.
type Tree struct {
	FS fstest.MapFS
	// Sum maps "path version" and "path version/go.mod" to h1 hashes.
	Sum map[string]string
}

// GoSum returns go.sum lines for the given modules (both the zip and the
// go.mod line; only the go.mod line for mod-only modules), sorted as go
// writes them.
func (t *Tree) GoSum(mods ...Module) string {
	var lines []string
	for _, m := range mods {
		if h, ok := t.Sum[m.Path+" "+m.Version]; ok {
			lines = append(lines, m.Path+" "+m.Version+" "+h)
		}
		lines = append(lines, m.Path+" "+m.Version+"/go.mod "+t.Sum[m.Path+" "+m.Version+"/go.mod"])
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// Lookup serves the checksum database: the go.sum lines of path@version.
func (t *Tree) Lookup(modPath, version string) ([]byte, error) {
	zipHash, okZip := t.Sum[modPath+" "+version]
	modHash, okMod := t.Sum[modPath+" "+version+"/go.mod"]
	if !okMod {
		return nil, fmt.Errorf("%s@%s: %w", modPath, version, fs.ErrNotExist)
	}
	var b strings.Builder
	if okZip {
		fmt.Fprintf(&b, "%s %s %s\n", modPath, version, zipHash)
	}
	fmt.Fprintf(&b, "%s %s/go.mod %s\n", modPath, version, modHash)
	return []byte(b.String()), nil
}

// Build makes a GOPROXY tree serving mods: for each, <path>/@v/<v>.info,
// .mod and .zip (escaped as go escapes them), and @v/list files.
func Build(mods ...Module) (*Tree, error) {
	t := &Tree{FS: fstest.MapFS{}, Sum: map[string]string{}}
	lists := map[string][]string{}
	for _, m := range mods {
		if err := t.add(m); err != nil {
			return nil, err
		}
		lists[m.Path] = append(lists[m.Path], m.Version)
	}
	for p, vs := range lists {
		esc, _ := module.EscapePath(p)
		sort.Strings(vs)
		t.FS[esc+"/@v/list"] = &fstest.MapFile{Data: []byte(strings.Join(vs, "\n") + "\n")}
	}
	return t, nil
}

// MustBuild is Build for tests, panicking on a malformed module.
func MustBuild(mods ...Module) *Tree {
	t, err := Build(mods...)
	if err != nil {
		panic(err)
	}
	return t
}

func (t *Tree) add(m Module) error {
	mv := module.Version{Path: m.Path, Version: m.Version}
	if err := module.Check(m.Path, m.Version); err != nil {
		return err
	}
	base, err := module.EscapePath(m.Path)
	if err != nil {
		return err
	}
	ev, err := module.EscapeVersion(m.Version)
	if err != nil {
		return err
	}
	prefix := base + "/@v/" + ev
	when := m.Time
	if when.IsZero() {
		when = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	}
	info, _ := json.Marshal(struct {
		Version string
		Time    time.Time
	}{m.Version, when.UTC()})
	gomod := []byte(m.ModFile())
	t.FS[prefix+".info"] = &fstest.MapFile{Data: info}
	t.FS[prefix+".mod"] = &fstest.MapFile{Data: gomod}
	modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(gomod)), nil
	})
	if err != nil {
		return err
	}
	t.Sum[m.Path+" "+m.Version+"/go.mod"] = modHash
	if m.ModOnly {
		return nil
	}
	files := m.Files
	if files == nil {
		name := path.Base(m.Path)
		if module.IsPseudoVersion(m.Version) || !isIdent(name) {
			name = "pkg"
		}
		if strings.HasPrefix(name, "v") && isDigits(name[1:]) {
			name = path.Base(path.Dir(m.Path))
		}
		files = map[string]string{name + ".go": "package " + sanitize(name) + "\n\n// Version is the module version.\nconst Version = \"" + m.Version + "\"\n"}
	}
	var zfiles []modzip.File
	names := make([]string, 0, len(files)+1)
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	zfiles = append(zfiles, memFile{"go.mod", gomod})
	for _, n := range names {
		zfiles = append(zfiles, memFile{n, []byte(files[n])})
	}
	var zbuf bytes.Buffer
	if err := modzip.Create(&zbuf, mv, zfiles); err != nil {
		return fmt.Errorf("building zip for %s@%s: %w", m.Path, m.Version, err)
	}
	t.FS[prefix+".zip"] = &fstest.MapFile{Data: zbuf.Bytes()}
	zh, err := HashZipBytes(zbuf.Bytes())
	if err != nil {
		return err
	}
	t.Sum[m.Path+" "+m.Version] = zh
	return nil
}

// HashZipBytes returns the h1 hash of a module zip held in memory, the same
// value dirhash.HashZip computes from a file.
func HashZipBytes(data []byte) (string, error) {
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", err
	}
	var names []string
	byName := map[string]*zip.File{}
	for _, f := range z.File {
		names = append(names, f.Name)
		byName[f.Name] = f
	}
	return dirhash.Hash1(names, func(n string) (io.ReadCloser, error) { return byName[n].Open() })
}

// WriteDir writes the tree to dir, for a file:// GOPROXY or a disk-backed
// server.
func (t *Tree) WriteDir(dir string) error {
	for name, f := range t.FS {
		p := path.Join(dir, name)
		if err := os.MkdirAll(path.Dir(p), 0o777); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o666); err != nil {
			return err
		}
	}
	return nil
}

type memFile struct {
	name string
	data []byte
}

func (f memFile) Path() string                 { return f.name }
func (f memFile) Lstat() (os.FileInfo, error)  { return memInfo(f), nil }
func (f memFile) Open() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(f.data)), nil }

type memInfo memFile

func (fi memInfo) Name() string       { return path.Base(fi.name) }
func (fi memInfo) Size() int64        { return int64(len(fi.data)) }
func (fi memInfo) Mode() os.FileMode  { return 0o644 }
func (fi memInfo) ModTime() time.Time { return time.Time{} }
func (fi memInfo) IsDir() bool        { return false }
func (fi memInfo) Sys() any           { return nil }

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func sanitize(s string) string {
	if isIdent(s) {
		return s
	}
	return "pkg"
}
