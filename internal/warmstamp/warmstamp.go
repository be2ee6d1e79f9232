// Package warmstamp is the record of a completed warm-up: which module
// cache files were present for a given main module (or workspace), go
// settings and go tool. When nothing that decides what go needs has changed
// and every recorded file is still in the cache, the warm-up can be skipped
// with a few stats, without `go env`.
//
// The lean launcher (cmd/gofast-front) checks the record itself, so that a
// warm `gofast build` goes straight to go without starting gofast-core;
// the package therefore links nothing heavy (no net, no encoding/json).
package warmstamp

import (
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gofastdev/gofast/internal/environ"
	"golang.org/x/mod/modfile"
)

// format names the record's key scheme and file layout; a new one makes
// every older record unreachable.
const format = "gofast-warm-3"

// Path returns the record's path for a go command run in dir with env and
// the go tool at goTool, under gofast's cache directory: a hash of the
// sizes and times of the files that decide what go needs (go.mod, go.sum
// and vendor/modules.txt; in a workspace go.work, go.work.sum, its
// vendor/modules.txt and every used module's go.mod and go.sum), the
// go-relevant environment, the go env file and the go tool. It is "" when
// no record can be trusted (no cache directory, no go.mod, a go.work that
// does not parse).
func Path(env environ.Environ, dir, goTool string) string {
	cacheDir, err := env.GofastCacheDir()
	if err != nil {
		return ""
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	files, root := deciding(abs, env.Get("GOWORK"))
	if files == nil {
		return ""
	}
	h := fnv.New128a()
	fmt.Fprintf(h, "%s\n%s\n", format, root)
	for _, f := range files {
		fmt.Fprintf(h, "%s %s\n", f, statLine(f))
	}
	for _, k := range []string{"GOFLAGS", "GOWORK", "GOMODCACHE", "GOPATH", "GOPROXY", "GOPRIVATE",
		"GONOPROXY", "GONOSUMDB", "GOSUMDB", "GOENV", "GOTOOLCHAIN", "GO111MODULE", "GOFAST_MIRRORS", "GOFAST_GO"} {
		v, set := env.Lookup(k)
		fmt.Fprintf(h, "%s %t %q\n", k, set, v)
	}
	fmt.Fprintf(h, "goenv %s\n", statLine(GoEnvFile(env)))
	fmt.Fprintf(h, "go %s %s\n", goTool, statLine(goTool))
	return filepath.Join(cacheDir, "warm", hex.EncodeToString(h.Sum(nil))+".txt")
}

// Valid reports whether the record at path exists and every file it lists
// is still there.
func Valid(path string) bool {
	if path == "" {
		return false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	body, ok := strings.CutPrefix(string(data), format+"\n")
	if !ok {
		return false
	}
	for _, f := range strings.Split(body, "\n") {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return false
		}
	}
	return true
}

// Write records files (absolute paths) at path, atomically: a reader sees
// the old record, the new one or none.
func Write(path string, files []string) error {
	if path == "" {
		return errors.New("no record path")
	}
	var b strings.Builder
	b.WriteString(format + "\n")
	for _, f := range files {
		if strings.ContainsAny(f, "\n\r") {
			return fmt.Errorf("cannot record %q", f)
		}
		b.WriteString(f + "\n")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+"*.tmp")
	if err != nil {
		return err
	}
	_, werr := f.WriteString(b.String())
	cerr := f.Close()
	if werr == nil && cerr == nil {
		if err := os.Rename(f.Name(), path); err == nil {
			return nil
		} else {
			werr = err
		}
	}
	os.Remove(f.Name())
	return errors.Join(werr, cerr)
}

// deciding lists the files whose changes can change what go needs when it
// runs in dir, and the root they hang from (the go.work or go.mod
// directory). gowork is the environment's GOWORK: "off" is module mode, a
// path names the workspace file, "" or "auto" lets go look for a go.work
// from dir upwards, as go does. nil means no trustworthy list.
func deciding(dir, gowork string) ([]string, string) {
	work := ""
	switch gowork {
	case "off":
	case "", "auto":
		for d := dir; ; d = filepath.Dir(d) {
			if fi, err := os.Stat(filepath.Join(d, "go.work")); err == nil && !fi.IsDir() {
				work = filepath.Join(d, "go.work")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	default:
		work = gowork
	}
	if work != "" {
		return workspaceFiles(work)
	}
	for root := dir; ; root = filepath.Dir(root) {
		if fi, err := os.Stat(filepath.Join(root, "go.mod")); err == nil && !fi.IsDir() {
			return moduleFiles(root), root
		}
		if filepath.Dir(root) == root {
			return nil, ""
		}
	}
}

// moduleFiles are a module's files that decide its requirements.
func moduleFiles(root string) []string {
	return []string{filepath.Join(root, "go.mod"), filepath.Join(root, "go.sum"), filepath.Join(root, "vendor", "modules.txt")}
}

// workspaceFiles are a workspace's deciding files: go.work, its .sum and
// vendor/modules.txt, and the go.mod and go.sum of every module it uses.
func workspaceFiles(work string) ([]string, string) {
	data, err := os.ReadFile(work)
	if err != nil {
		return nil, ""
	}
	wf, err := modfile.ParseWork(work, data, nil)
	if err != nil {
		return nil, ""
	}
	root := filepath.Dir(work)
	files := []string{work, strings.TrimSuffix(work, ".work") + ".work.sum", filepath.Join(root, "vendor", "modules.txt")}
	for _, u := range wf.Use {
		d := filepath.FromSlash(u.Path)
		if !filepath.IsAbs(d) {
			d = filepath.Join(root, d)
		}
		files = append(files, filepath.Join(d, "go.mod"), filepath.Join(d, "go.sum"))
	}
	return files, root
}

// statLine is a file's size and modification time, or "absent".
func statLine(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "absent"
	}
	return fmt.Sprintf("%d %d", fi.Size(), fi.ModTime().UnixNano())
}

// GoEnvFile is the file `go env -w` writes, found as go finds it.
func GoEnvFile(env environ.Environ) string {
	if v, ok := env.Lookup("GOENV"); ok {
		return v
	}
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = env.Get("AppData")
	case "darwin", "ios":
		dir = filepath.Join(env.Get("HOME"), "Library", "Application Support")
	default:
		dir = env.Get("XDG_CONFIG_HOME")
		if dir == "" {
			dir = filepath.Join(env.Get("HOME"), ".config")
		}
	}
	return filepath.Join(dir, "go", "env")
}
