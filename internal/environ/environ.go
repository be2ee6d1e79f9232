// Package environ carries the process environment as a value.
//
// Library packages never call os.Getenv: the environment arrives as an Environ
// built once in main, which is what lets tests run many configurations in one
// process. The package imports almost nothing, so that gofast's lean launcher
// can use it without linking more than it needs.
package environ

import (
	"errors"
	"path/filepath"
	"runtime"
	"strings"
)

// Environ is a process environment in os.Environ form ("KEY=value" entries).
// Later entries win over earlier ones, as they do for exec.
type Environ []string

// Get returns the value of key, or "" when it is unset.
func (e Environ) Get(key string) string {
	v, _ := e.Lookup(key)
	return v
}

// Lookup returns the value of key and whether it is set.
func (e Environ) Lookup(key string) (string, bool) {
	for i := len(e) - 1; i >= 0; i-- {
		k, v, ok := strings.Cut(e[i], "=")
		if ok && sameKey(k, key) {
			return v, true
		}
	}
	return "", false
}

// With returns a copy of e in which key is set to value, replacing every
// earlier definition so that the child sees exactly one.
func (e Environ) With(key, value string) Environ {
	out := e.Without(key)
	return append(out, key+"="+value)
}

// Without returns a copy of e with every definition of key removed.
func (e Environ) Without(key string) Environ {
	out := make(Environ, 0, len(e)+1)
	for _, kv := range e {
		k, _, _ := strings.Cut(kv, "=")
		if !sameKey(k, key) {
			out = append(out, kv)
		}
	}
	return out
}

// sameKey compares environment keys the way the platform does: Windows keys
// are case-insensitive.
func sameKey(a, b string) bool {
	if runtime.GOOS == "windows" {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// GofastCacheDir returns gofast's directory in the user cache directory,
// found from e exactly as os.UserCacheDir finds it from the process
// environment: %LocalAppData% on Windows, ~/Library/Caches on macOS,
// $XDG_CACHE_HOME or ~/.cache elsewhere.
func (e Environ) GofastCacheDir() (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = e.Get("LocalAppData")
		if dir == "" {
			return "", errors.New("%LocalAppData% is not defined")
		}
	case "darwin", "ios":
		home := e.Get("HOME")
		if home == "" {
			return "", errors.New("$HOME is not defined")
		}
		dir = filepath.Join(home, "Library", "Caches")
	case "plan9":
		home := e.Get("home")
		if home == "" {
			return "", errors.New("$home is not defined")
		}
		dir = filepath.Join(home, "lib", "cache")
	default:
		dir = e.Get("XDG_CACHE_HOME")
		if dir == "" || !filepath.IsAbs(dir) {
			home := e.Get("HOME")
			if home == "" {
				return "", errors.New("neither $XDG_CACHE_HOME nor $HOME are defined")
			}
			dir = filepath.Join(home, ".cache")
		}
	}
	return filepath.Join(dir, "gofast"), nil
}
