package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/mirrors"
	"github.com/gofastdev/gofast/prefetch"
	"github.com/gofastdev/gofast/wrap"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// warm prepares the module cache before a go command that may fetch modules
// and returns the environment go should run with. A warm-up problem is
// reported in one line and go runs as usual, with one exception: when a
// mirror misbehaved on files gofast could not get in a way go does not
// survive (a stall, which go would wait on forever; an endless .mod), the
// error is returned and go is not run (see hangStop).
func (s *session) warm(ctx context.Context, inv wrap.Invocation) (goenv.Environ, error) {
	if inv.Command == "mod" && inv.Sub == "download" {
		return s.warmModDownload(ctx, inv)
	}
	return s.warmBuild(ctx, inv)
}

// warmBuild is the warm-up for build, test, list and the other fetching
// commands. When go.mod, go.sum and the settings are unchanged since the
// last complete warm-up, it only stats the files that warm-up recorded (a
// few milliseconds, no `go env`). Otherwise it runs one `go env -json` and
// a prefetch of what is missing, without extraction: go extracts the
// modules it builds, and only those.
func (s *session) warmBuild(ctx context.Context, inv wrap.Invocation) (goenv.Environ, error) {
	cacheDir, _ := mirrors.CacheDir(s.env)
	stamp := s.warmStamp(inv.Dir, cacheDir)
	if stamp != "" && stampStillValid(stamp) {
		return s.env, nil
	}
	rep, st, err := s.prefetchForGo(ctx, inv, nil)
	if err != nil {
		return nil, err
	}
	if rep == nil {
		return s.env, nil
	}
	if stamp != "" && rep.Failed == 0 {
		writeStamp(stamp, st, rep)
	}
	return s.envWithChain(rep, st), nil
}

// stampRecord is a completed warm-up: the module cache files that were
// present for this fingerprint.
type stampRecord struct {
	Files []string `json:"files"`
}

// warmStamp returns the path of the record for the current main module
// (or workspace) and settings: a hash of the sizes and times of the files
// that decide what go needs (go.mod, go.sum and vendor/modules.txt; in a
// workspace go.work, go.work.sum and every used module's go.mod and
// go.sum), the go-relevant environment, the go env file and the go tool.
// It is "" when no record can be trusted (no cache directory, no go.mod,
// a go.work that does not parse).
func (s *session) warmStamp(dir, cacheDir string) string {
	if cacheDir == "" {
		return ""
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	files, root := stampFiles(abs, s.env.Get("GOWORK"))
	if files == nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "gofast-warm-2\n%s\n", root)
	for _, f := range files {
		fmt.Fprintf(h, "%s %s\n", f, statLine(f))
	}
	for _, k := range []string{"GOFLAGS", "GOWORK", "GOMODCACHE", "GOPATH", "GOPROXY", "GOPRIVATE",
		"GONOPROXY", "GONOSUMDB", "GOSUMDB", "GOENV", "GOTOOLCHAIN", "GO111MODULE", "GOFAST_MIRRORS", "GOFAST_GO"} {
		v, set := s.env.Lookup(k)
		fmt.Fprintf(h, "%s %t %q\n", k, set, v)
	}
	fmt.Fprintf(h, "goenv %s\n", statLine(s.goEnvFile()))
	if tool, err := s.GoTool(); err == nil {
		fmt.Fprintf(h, "go %s %s\n", tool, statLine(tool))
	}
	return filepath.Join(cacheDir, "warm", hex.EncodeToString(h.Sum(nil))[:32]+".json")
}

// stampFiles lists the files whose changes can change what go needs when
// it runs in dir, and the root they hang from (the go.work or go.mod
// directory). GOWORK is the environment's value: "off" is module mode, a
// path names the workspace file, "" or "auto" lets go look for a go.work
// from dir upwards, as go does. nil means no trustworthy list.
func stampFiles(dir, gowork string) ([]string, string) {
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
// vendor/modules.txt, and the files of every module it uses.
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
		files = append(files, moduleFiles(d)[:2]...)
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

// goEnvFile is the file `go env -w` writes, found as go finds it.
func (s *session) goEnvFile() string {
	if v, ok := s.env.Lookup("GOENV"); ok {
		return v
	}
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = s.env.Get("AppData")
	case "darwin", "ios":
		dir = filepath.Join(s.env.Get("HOME"), "Library", "Application Support")
	default:
		dir = s.env.Get("XDG_CONFIG_HOME")
		if dir == "" {
			dir = filepath.Join(s.env.Get("HOME"), ".config")
		}
	}
	return filepath.Join(dir, "go", "env")
}

// stampStillValid reports whether the record exists and every file it
// lists is still in the module cache.
func stampStillValid(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var rec stampRecord
	if json.Unmarshal(data, &rec) != nil {
		return false
	}
	for _, f := range rec.Files {
		if _, err := os.Stat(f); err != nil {
			return false
		}
	}
	return true
}

// writeStamp records the cache files of the modules the prefetch found or
// fetched. Failing to write it only costs the next run a `go env`.
func writeStamp(path string, st *goenv.Settings, rep *prefetch.Report) {
	c := &modcache.Cache{Root: st.GOMODCACHE}
	var rec stampRecord
	for _, r := range rep.Modules {
		if r.Status != prefetch.Fetched && r.Status != prefetch.Cached {
			continue
		}
		m := module.Version{Path: r.Path, Version: r.Version}
		for _, ext := range []string{"mod", "zip"} {
			if f, err := c.File(m, ext); err == nil {
				if _, err := os.Stat(f); err == nil {
					rec.Files = append(rec.Files, f)
				}
			}
		}
	}
	data, err := json.Marshal(&rec)
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(path), 0o777) != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+"*.tmp")
	if err != nil {
		return
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil && cerr == nil && os.Rename(f.Name(), path) == nil {
		return
	}
	os.Remove(f.Name())
}
