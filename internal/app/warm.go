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

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/mirrors"
	"github.com/gofastdev/gofast/prefetch"
	"github.com/gofastdev/gofast/wrap"
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
// and settings: a hash of the go.mod and go.sum sizes and times, the
// go-relevant environment, the go env file and the go tool. It is "" when
// no record can be trusted (no cache directory, a workspace, no go.mod).
func (s *session) warmStamp(dir, cacheDir string) string {
	if cacheDir == "" || s.env.Get("GOWORK") != "" && s.env.Get("GOWORK") != "off" {
		return ""
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	root := abs
	for {
		if fi, err := os.Stat(filepath.Join(root, "go.mod")); err == nil && !fi.IsDir() {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return ""
		}
		root = parent
	}
	// A go.work above the module puts go in workspace mode: its member
	// modules' files are not in this fingerprint, so trust nothing.
	for d := root; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil && s.env.Get("GOWORK") != "off" {
			return ""
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "gofast-warm-1\n%s\n", root)
	for _, f := range []string{"go.mod", "go.sum", filepath.Join("vendor", "modules.txt")} {
		fmt.Fprintf(h, "%s %s\n", f, statLine(filepath.Join(root, f)))
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
