// Package goauth finds the credentials the go command would send to a
// module mirror: GOAUTH's netrc method (go's default), read with go's own
// rules, so that gofast's downloads and probes authenticate wherever go's
// would.
//
// The rules, as cmd/go applies them:
//   - GOAUTH unset means "netrc"; "off" sends nothing; several methods are
//     separated by ';', and an earlier method's credentials win.
//   - The netrc file is $NETRC, else ~/.netrc (on Windows ~/_netrc first).
//     A machine entry counts only once it has both login and password; when
//     a machine is listed twice the first entry wins; parsing stops at
//     "default", whose credentials go never uses; macdef bodies run to the
//     next empty line.
//   - Credentials are looked up by URL prefix: "host[:port]/path" and each
//     shorter prefix, so a netrc machine matches a URL of that host with no
//     port; and they are sent only over https.
//
// The "git dir" and custom-command methods are not run: running a user's
// credential helper (which may prompt) is left to go, which runs it again
// anyway; a mirror that refuses gofast may therefore still let go in.
package goauth

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gofastdev/gofast/internal/environ"
)

// Credentials are the Authorization headers go would attach, by URL prefix.
// The zero value and nil send nothing.
type Credentials struct {
	byPrefix map[string]string // "host[:port][/path]" → Authorization value
}

// Machine is one usable netrc entry, without its secret.
type Machine struct {
	Name  string
	Login string
}

// Load returns the credentials GOAUTH (go env's value; "" means netrc)
// gives, with NETRC and the home directory taken from env. A netrc file
// that does not exist is no error; one that cannot be read or a GOAUTH
// that go itself would reject is, and the credentials that could be
// gathered are still returned.
func Load(goauth string, env environ.Environ) (*Credentials, error) {
	c := &Credentials{byPrefix: map[string]string{}}
	if strings.TrimSpace(goauth) == "" {
		goauth = "netrc"
	}
	methods := strings.Split(goauth, ";")
	var errs []error
	// Later methods first, so that an earlier one overwrites: its
	// credentials win, as in go.
	for i := len(methods) - 1; i >= 0; i-- {
		words := strings.Fields(methods[i])
		if len(words) == 0 {
			return c, fmt.Errorf("GOAUTH=%s: an empty method between ';'", goauth)
		}
		switch words[0] {
		case "off":
			if len(methods) != 1 {
				return &Credentials{}, fmt.Errorf("GOAUTH=%s: off cannot be combined with other methods", goauth)
			}
			return c, nil
		case "netrc":
			lines, err := readNetrc(NetrcPath(env))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for j := len(lines) - 1; j >= 0; j-- {
				c.byPrefix[trimPrefix(lines[j].machine)] = basicAuth(lines[j].login, lines[j].password)
			}
		default:
			// git and custom commands: left to go (see the package doc).
		}
	}
	return c, errors.Join(errs...)
}

// NetrcPath is the file go reads netrc credentials from: $NETRC, else
// .netrc in the home directory (on Windows _netrc when it exists, then
// .netrc); "" when no home directory is known.
func NetrcPath(env environ.Environ) string {
	if p := env.Get("NETRC"); p != "" {
		return p
	}
	home := env.Get("HOME")
	if runtime.GOOS == "windows" {
		home = env.Get("USERPROFILE")
	}
	if home == "" {
		return ""
	}
	if runtime.GOOS == "windows" {
		legacy := filepath.Join(home, "_netrc")
		if _, err := os.Stat(legacy); err == nil {
			return legacy
		}
	}
	return filepath.Join(home, ".netrc")
}

// ReadMachines returns the usable entries of the netrc file at path, in
// file order (the first of a repeated machine is the one go uses). A
// missing file gives none and an error wrapping fs.ErrNotExist.
func ReadMachines(path string) ([]Machine, error) {
	if path == "" {
		return nil, fs.ErrNotExist
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Machine
	for _, l := range parseNetrc(string(data)) {
		out = append(out, Machine{Name: l.machine, Login: l.login})
	}
	return out, nil
}

// Has reports whether any credentials are known.
func (c *Credentials) Has() bool { return c != nil && len(c.byPrefix) > 0 }

// Apply adds the Authorization header go would send with req, and reports
// whether it did. Only https requests get credentials, and a request that
// already carries an Authorization header keeps it.
func (c *Credentials) Apply(req *http.Request) bool {
	if !c.Has() || req.URL == nil || req.URL.Scheme != "https" || req.Header.Get("Authorization") != "" {
		return false
	}
	if v, ok := c.lookup(req.URL.Host + req.URL.EscapedPath()); ok {
		req.Header.Set("Authorization", v)
		return true
	}
	return false
}

// lookup tries prefix and each shorter prefix at a '/' boundary.
func (c *Credentials) lookup(prefix string) (string, bool) {
	prefix = strings.TrimSuffix(prefix, "/")
	for {
		if v, ok := c.byPrefix[prefix]; ok {
			return v, true
		}
		slash := strings.LastIndexByte(prefix, '/')
		if slash < 0 {
			return "", false
		}
		prefix = prefix[:slash]
	}
}

func trimPrefix(s string) string {
	return strings.TrimSuffix(strings.TrimPrefix(s, "https://"), "/")
}

func basicAuth(user, password string) string {
	r := http.Request{Header: http.Header{}}
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}

type netrcLine struct{ machine, login, password string }

func readNetrc(path string) ([]netrcLine, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading netrc: %w", err)
	}
	return parseNetrc(string(data)), nil
}

// parseNetrc reads netrc text as go does: tokens in pairs, line by line; an
// entry is complete once machine, login and password are all known; a
// "macdef" skips lines up to the next empty one; "default" ends the file.
func parseNetrc(data string) []netrcLine {
	var out []netrcLine
	var cur netrcLine
	inMacro := false
	for _, line := range strings.Split(data, "\n") {
		if inMacro {
			if line == "" {
				inMacro = false
			}
			continue
		}
		f := strings.Fields(line)
		i := 0
		for ; i+1 < len(f); i += 2 {
			switch f[i] {
			case "machine":
				cur = netrcLine{machine: f[i+1]}
			case "login":
				cur.login = f[i+1]
			case "password":
				cur.password = f[i+1]
			case "macdef":
				inMacro = true
			}
			if cur.machine != "" && cur.login != "" && cur.password != "" {
				out = append(out, cur)
				cur = netrcLine{}
			}
		}
		if i < len(f) && f[i] == "default" {
			break
		}
	}
	return out
}
