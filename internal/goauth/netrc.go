package goauth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gofastdev/gofast/internal/environ"
)

// Machine is one usable netrc entry, without its secret.
type Machine struct {
	Name  string
	Login string
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
