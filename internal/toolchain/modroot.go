package toolchain

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gofastdev/gofast/internal/environ"
)

// modulesEnabled reports whether go will run in module mode, as
// modload.State.WillBeEnabled does: GO111MODULE on or unset, or auto with a
// go.mod above wd. Any other value, including an invalid one that go later
// rejects, means GOPATH mode, in which go never switches toolchains.
func modulesEnabled(c *config, wd string) bool {
	switch c.get("GO111MODULE") {
	case "on", "":
		return true
	case "auto":
		return findGoMod(c.env, wd) != ""
	}
	return false
}

// goWorkFile returns the go.work file go consults in wd, as
// modload.State.FindGoWork does: GOWORK=off means none; unset or auto
// means the nearest go.work above wd, not crossing GOROOT; any other value
// must be an absolute path. A named file that does not exist is none, as
// in select.go's modGoToolchain (it may be about to be made by go work init).
func goWorkFile(c *config, wd string) (string, error) {
	var file string
	switch gowork := c.get("GOWORK"); gowork {
	case "off":
		return "", nil
	case "", "auto":
		file = findGoWork(wd, c.goroot)
	default:
		if !filepath.IsAbs(gowork) {
			return "", errors.New("invalid GOWORK: not an absolute path")
		}
		file = gowork
	}
	if file == "" {
		return "", nil
	}
	if _, err := os.Stat(file); err != nil {
		return "", nil
	}
	return file, nil
}

// findGoWork walks up from dir to the nearest go.work file, stopping
// before it would step into goroot, as modload.findWorkspaceFile does.
func findGoWork(dir, goroot string) string {
	dir = filepath.Clean(dir)
	for {
		f := filepath.Join(dir, "go.work")
		if fi, err := os.Stat(f); err == nil && !fi.IsDir() {
			return f
		}
		d := filepath.Dir(dir)
		if d == dir || d == goroot {
			return ""
		}
		dir = d
	}
}

// findGoMod walks up from dir to the nearest go.mod file, as
// modload.FindGoMod does, including its refusal of a go.mod in the
// temporary directory itself (golang.org/issue/26708).
func findGoMod(env environ.Environ, dir string) string {
	dir = filepath.Clean(dir)
	for {
		f := filepath.Join(dir, "go.mod")
		if fi, err := os.Stat(f); err == nil && !fi.IsDir() {
			if sameDir(dir, tempDir(env)) {
				return ""
			}
			return f
		}
		d := filepath.Dir(dir)
		if d == dir {
			return ""
		}
		dir = d
	}
}

// tempDir is os.TempDir computed from env instead of the process
// environment.
func tempDir(env environ.Environ) string {
	switch runtime.GOOS {
	case "windows":
		for _, k := range []string{"TMP", "TEMP", "USERPROFILE"} {
			if d := env.Get(k); d != "" {
				return d
			}
		}
		return os.TempDir()
	case "plan9":
		return "/tmp"
	}
	if d := env.Get("TMPDIR"); d != "" {
		return d
	}
	return "/tmp"
}

// sameDir reports whether a and b name one directory, lexically or once
// symbolic links are resolved, as search.InDir(a, b) == "." does.
func sameDir(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	if a == b {
		return true
	}
	ra, erra := filepath.EvalSymlinks(a)
	rb, errb := filepath.EvalSymlinks(b)
	return erra == nil && errb == nil && ra == rb ||
		erra == nil && ra == b || errb == nil && a == rb
}

// goModLookup returns the value of the first line of a go.mod or go.work
// file that starts with key followed by a space or tab, with any //
// comment and surrounding white space removed; "" when there is none.
//
// It is gover.GoModLookup, which select.go uses, rather than a go.mod
// parser, on purpose: the toolchain decision must be the one go makes
// before it parses anything, even for a file its parser would reject. So a
// quoted value ("go \"1.27.0\"") stays quoted, and thus malformed, as it
// does for go; a '\r' before the newline is white space and goes.
func goModLookup(data []byte, key string) string {
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		s, ok := strings.CutPrefix(string(bytes.TrimSpace(line)), key)
		if !ok || s == "" || s[0] != ' ' && s[0] != '\t' {
			continue
		}
		s, _, _ = strings.Cut(s, "//")
		return strings.TrimSpace(s)
	}
	return ""
}
