// Package goenv reads the go command's settings the way go itself reads
// them, and carries the process environment as a value (Environ).
package goenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gofastdev/gofast/internal/environ"
	"github.com/gofastdev/gofast/internal/toolchain"
)

// Environ is a process environment in os.Environ form; see package environ.
type Environ = environ.Environ

// Settings are the go command's effective settings, as `go env -json` reports
// them: the environment first, then the user's `go env -w` file, then
// $GOROOT/go.env, then go's built-in defaults.
type Settings struct {
	GOPROXY     string
	GONOPROXY   string
	GOPRIVATE   string
	GONOSUMDB   string
	GOSUMDB     string
	GOINSECURE  string
	GOFLAGS     string
	GOMODCACHE  string
	GOPATH      string
	GOROOT      string
	GOVERSION   string
	GOMOD       string
	GOWORK      string
	GO111MODULE string
	GOTOOLCHAIN string
	GOENV       string
	GOAUTH      string
	GOOS        string
	GOARCH      string

	// Raw holds every variable go reported, including the ones above.
	Raw map[string]string

	// goEnv holds $GOROOT/go.env once read; Parse (and so Load) makes it,
	// so that SumDB, asked on every request of the loopback proxy, reads
	// the file once per Settings. A Settings made otherwise reads the
	// file on every call.
	goEnv *goEnvOnce
}

// goEnvOnce reads $GOROOT/go.env on first use, safely for concurrent use.
type goEnvOnce struct {
	once sync.Once
	m    map[string]string
	err  error
}

// Load runs `go env -json` with the given environment in dir (the current
// directory when dir is empty) and returns the settings. It costs one run of
// the go tool, so callers use it only on paths that need the settings.
//
// go runs with GOTOOLCHAIN=local, so that reading the settings never makes
// it switch toolchains: in a module whose go.mod asks for a newer go, a
// plain `go env -json` would first download that toolchain. The settings are
// therefore the local go's (GOVERSION and GOROOT included), except
// GOTOOLCHAIN, which is the user's own setting as go reads it (see
// toolchain.Setting), not the "local" gofast imposed.
//
// When go fails, the error's message is the first line go printed, and the
// error wraps go's failure (an *exec.ExitError when go ran and exited).
func Load(ctx context.Context, goTool, dir string, env Environ) (*Settings, error) {
	cmd := exec.CommandContext(ctx, goTool, "env", "-json")
	cmd.Dir = dir
	cmd.Env = env.With("GOTOOLCHAIN", "local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, &loadError{msg: firstLine(msg), err: err}
	}
	s, err := Parse(out)
	if err != nil {
		return nil, err
	}
	s.GOTOOLCHAIN = toolchain.Setting(env, s.GOROOT)
	s.Raw["GOTOOLCHAIN"] = s.GOTOOLCHAIN
	return s, nil
}

// loadError is a failed `go env -json`: the message is the first line go
// printed, which says what is wrong better than an exit status, and the
// cause stays reachable for errors.Is and errors.As.
type loadError struct {
	msg string
	err error
}

func (e *loadError) Error() string {
	return "reading go settings (go env -json): " + e.msg
}

func (e *loadError) Unwrap() error { return e.err }

// Parse decodes the output of `go env -json`.
func Parse(data []byte) (*Settings, error) {
	raw := map[string]string{}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parsing go env -json output: %w", err)
	}
	s := &Settings{Raw: raw, goEnv: &goEnvOnce{}}
	fields := map[string]*string{
		"GOPROXY": &s.GOPROXY, "GONOPROXY": &s.GONOPROXY, "GOPRIVATE": &s.GOPRIVATE,
		"GONOSUMDB": &s.GONOSUMDB, "GOSUMDB": &s.GOSUMDB, "GOINSECURE": &s.GOINSECURE,
		"GOFLAGS": &s.GOFLAGS, "GOMODCACHE": &s.GOMODCACHE, "GOPATH": &s.GOPATH,
		"GOROOT": &s.GOROOT, "GOVERSION": &s.GOVERSION, "GOMOD": &s.GOMOD,
		"GOWORK": &s.GOWORK, "GO111MODULE": &s.GO111MODULE, "GOTOOLCHAIN": &s.GOTOOLCHAIN,
		"GOENV": &s.GOENV, "GOAUTH": &s.GOAUTH, "GOOS": &s.GOOS, "GOARCH": &s.GOARCH,
	}
	for k, p := range fields {
		*p = raw[k]
	}
	return s, nil
}

// DefaultGOPROXY returns the GOPROXY value the toolchain ships with, read from
// $GOROOT/go.env. gofast never writes go's default proxy as a literal: it
// takes it from the toolchain in use, so it follows whatever that toolchain
// considers its default.
func (s *Settings) DefaultGOPROXY() (string, error) {
	return s.goEnvSetting("GOPROXY")
}

// DefaultGOSUMDB returns the GOSUMDB value the toolchain ships with.
func (s *Settings) DefaultGOSUMDB() (string, error) {
	return s.goEnvSetting("GOSUMDB")
}

// GOPROXYIsDefault reports whether the effective GOPROXY is the toolchain's
// own default, that is, the user has not chosen one.
func (s *Settings) GOPROXYIsDefault() bool {
	def, err := s.DefaultGOPROXY()
	return err == nil && def == s.GOPROXY
}

// goEnvSetting returns key's value in $GOROOT/go.env, read as go reads
// it (toolchain.GoEnv): verbatim, the first line for key winning.
func (s *Settings) goEnvSetting(key string) (string, error) {
	var m map[string]string
	var err error
	if s.goEnv == nil {
		m, err = toolchain.GoEnv(s.GOROOT)
	} else {
		s.goEnv.once.Do(func() { s.goEnv.m, s.goEnv.err = toolchain.GoEnv(s.GOROOT) })
		m, err = s.goEnv.m, s.goEnv.err
	}
	if err != nil {
		return "", err
	}
	v, ok := m[key]
	if !ok {
		return "", fmt.Errorf("%s: no %s setting: %w", filepath.Join(s.GOROOT, "go.env"), key, errors.ErrUnsupported)
	}
	return v, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
