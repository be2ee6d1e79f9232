package toolchain

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"

	"github.com/gofastdev/gofast/internal/environ"
)

// config reads go's settings as cmd/go/internal/cfg.Getenv does: a
// non-empty environment variable wins, then the user's go env file (the one
// `go env -w` writes), then $GOROOT/go.env.
type config struct {
	env    environ.Environ
	goroot string            // the GOROOT go uses, after the user file's and the environment's say
	file   map[string]string // the user file's settings, then go.env's where the user file is silent
}

// newConfig reads the two files once. goroot is the real go tool's own
// GOROOT; as in go's findGOROOT, a GOROOT in the user file and then one in
// the environment take precedence over it when choosing the go.env to read.
func newConfig(env environ.Environ, goroot string) *config {
	c := &config{env: env, file: map[string]string{}}
	if name := userEnvFile(env); name != "" {
		readEnvFile(c.file, name, false)
	}
	root := c.file["GOROOT"]
	if root == "" {
		root = env.Get("GOROOT")
	}
	if root == "" {
		root = goroot
	}
	if root != "" {
		root = filepath.Clean(root)
		readEnvFile(c.file, filepath.Join(root, "go.env"), true)
	}
	c.goroot = root
	return c
}

// get returns key's value as the go command sees it.
func (c *config) get(key string) string {
	if v := c.env.Get(key); v != "" {
		return v
	}
	return c.file[key]
}

// Setting returns GOTOOLCHAIN as the go command reads it from the
// environment env: the variable when it is set and not empty, else the
// user's go env file ($GOENV, or go/env in the user configuration directory;
// GOENV=off means none), else $GOROOT/go.env, where goroot is the real go
// tool's GOROOT. It returns "" when none of them sets it, in which case go
// never switches.
func Setting(env environ.Environ, goroot string) string {
	return newConfig(env, goroot).get("GOTOOLCHAIN")
}

// ModCache returns the module cache directory as the go command resolves
// it, without running go: GOMODCACHE from the environment or the go env
// files (see Setting), else the first entry of GOPATH followed by pkg/mod,
// GOPATH itself defaulting to go in the home directory unless that is
// GOROOT. It returns "" when go would have no usable module cache: neither
// variable gives one, or the result is a relative path, which go refuses.
func ModCache(env environ.Environ, goroot string) string {
	c := newConfig(env, goroot)
	dir := c.get("GOMODCACHE")
	if dir == "" {
		gopath := c.get("GOPATH")
		if gopath == "" {
			gopath = defaultGOPATH(env, goroot)
		}
		list := filepath.SplitList(gopath)
		if len(list) == 0 || list[0] == "" {
			return ""
		}
		dir = filepath.Join(list[0], "pkg", "mod")
	}
	if !filepath.IsAbs(dir) {
		return ""
	}
	return dir
}

// defaultGOPATH is go/build's default: go in the home directory, unless
// that is GOROOT itself.
func defaultGOPATH(env environ.Environ, goroot string) string {
	key := "HOME"
	switch runtime.GOOS {
	case "windows":
		key = "USERPROFILE"
	case "plan9":
		key = "home"
	}
	home := env.Get(key)
	if home == "" {
		return ""
	}
	def := filepath.Join(home, "go")
	if goroot != "" && filepath.Clean(def) == filepath.Clean(goroot) {
		return ""
	}
	return def
}

// userEnvFile returns the user's go env file, as cfg.EnvFile finds it: GOENV
// from the environment only (never from a file), "off" meaning none, else
// go/env in os.UserConfigDir as env defines it.
func userEnvFile(env environ.Environ) string {
	if f := env.Get("GOENV"); f != "" {
		if f == "off" {
			return ""
		}
		return f
	}
	dir, err := userConfigDir(env)
	if err != nil || dir == "" {
		return ""
	}
	return filepath.Join(dir, "go", "env")
}

// userConfigDir is os.UserConfigDir computed from env instead of the
// process environment.
func userConfigDir(env environ.Environ) (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := env.Get("AppData"); d != "" {
			return d, nil
		}
		return "", errors.New("%AppData% is not defined")
	case "darwin", "ios":
		if h := env.Get("HOME"); h != "" {
			return h + "/Library/Application Support", nil
		}
		return "", errors.New("$HOME is not defined")
	case "plan9":
		if h := env.Get("home"); h != "" {
			return h + "/lib", nil
		}
		return "", errors.New("$home is not defined")
	}
	dir := env.Get("XDG_CONFIG_HOME")
	if dir == "" {
		h := env.Get("HOME")
		if h == "" {
			return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME are defined")
		}
		return h + "/.config", nil
	}
	if !filepath.IsAbs(dir) {
		return "", errors.New("path in $XDG_CONFIG_HOME is relative")
	}
	return dir, nil
}

// GoEnv returns the settings of goroot's go.env file, the defaults the
// toolchain ships with, read as the go command reads them (see
// readEnvFile): the value go uses for a key that neither the environment
// nor the user's go env file sets. It is the one reader of go.env in
// gofast. The error is the file's: go runs without one, and callers say
// what its absence means to them.
func GoEnv(goroot string) (map[string]string, error) {
	m := map[string]string{}
	if err := readEnvFile(m, filepath.Join(goroot, "go.env"), true); err != nil {
		return nil, err
	}
	return m, nil
}

// readEnvFile adds the KEY=value lines of name to m, as cfg.readEnvFile
// does: a line without '=' or not starting with an upper-case letter
// (a comment, a blank or indented line) is skipped, the key is everything
// before the first '=' and the value everything after it, both verbatim
// (go trims nothing, not spaces, not quotes, not even a '\r'). With keep,
// keys already in m are not overwritten: go.env never overrides the
// user's file, nor a later line of go.env an earlier one. The error is
// the file's; go ignores it, and so does newConfig.
func readEnvFile(m map[string]string, name string, keep bool) error {
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		i := bytes.IndexByte(line, '=')
		if i < 0 || line[0] < 'A' || 'Z' < line[0] {
			continue
		}
		key, val := string(line[:i]), string(line[i+1:])
		if _, ok := m[key]; keep && ok {
			continue
		}
		m[key] = val
	}
	return nil
}
