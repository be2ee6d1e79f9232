// Package wrap runs the real go tool exactly as if gofast were not there:
// it finds go, classifies the invocation, and hands over the process.
package wrap

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gofastdev/gofast/internal/environ"
)

// ErrNoGo is returned when no real go tool can be found.
var ErrNoGo = errors.New("no go tool found")

// Locate returns the path of the real go tool: $GOFAST_GO when set, else the
// first "go" on PATH that is none of selves. selves are the paths of gofast's
// own executables: the running one (os.Executable) and, when the lean
// launcher started the engine, the launcher (GOFAST_FRONT). Files are
// compared after resolving links, and by content when their sizes match, so
// gofast installed, symlinked, hard-linked or copied as "go" earlier on PATH
// is never chosen: gofast must never exec itself.
func Locate(env environ.Environ, selves ...string) (string, error) {
	if p := env.Get("GOFAST_GO"); p != "" {
		fi, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("GOFAST_GO=%s: %w", p, err)
		}
		if fi.IsDir() {
			return "", fmt.Errorf("GOFAST_GO=%s: is a directory", p)
		}
		if isAny(p, selves) {
			return "", fmt.Errorf("GOFAST_GO=%s: names gofast itself, not the go tool", p)
		}
		return p, nil
	}
	name := "go"
	if runtime.GOOS == "windows" {
		name = "go.exe"
	}
	for _, dir := range filepath.SplitList(env.Get("PATH")) {
		if dir == "" {
			dir = "."
		}
		cand := filepath.Join(dir, name)
		fi, err := os.Stat(cand)
		if err != nil || fi.IsDir() || (runtime.GOOS != "windows" && fi.Mode()&0o111 == 0) {
			continue
		}
		if isAny(cand, selves) {
			continue
		}
		if !filepath.IsAbs(cand) {
			if abs, err := filepath.Abs(cand); err == nil {
				cand = abs
			}
		}
		return cand, nil
	}
	return "", fmt.Errorf("%w on PATH (set GOFAST_GO to the go binary)", ErrNoGo)
}

// isAny reports whether path is the same program as one of selves.
func isAny(path string, selves []string) bool {
	for _, self := range selves {
		if isSelf(path, self) {
			return true
		}
	}
	return false
}

// isSelf reports whether path is the same program as self: the same file
// after resolving links, or a copy with identical bytes.
func isSelf(path, self string) bool {
	if self == "" {
		return false
	}
	a, err1 := os.Stat(path)
	b, err2 := os.Stat(self)
	if err1 != nil || err2 != nil {
		return false
	}
	if os.SameFile(a, b) {
		return true
	}
	if a.Size() != b.Size() {
		return false
	}
	// Same size: a copy of gofast is the only likely way. Compare contents;
	// this is rare and bounded by the binary's size.
	x, err1 := os.ReadFile(path)
	y, err2 := os.ReadFile(self)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// SelfPath returns the resolved path of the running executable, or "" when
// the platform cannot say.
func SelfPath() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	return strings.TrimSpace(p)
}
