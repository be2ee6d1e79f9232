package doctor

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/gofastdev/gofast/internal/goenv"
)

// mainFile is what doctor needs from the go.work or go.mod file that
// governs the current directory.
type mainFile struct {
	path      string
	goVersion string // the go line, "" when absent; the toolchain line is toolchain.Decide's to read
	requires  []string
}

// readMainFile reads go.work when a workspace is in use, else go.mod. It
// returns nil, nil outside a module.
func readMainFile(s *goenv.Settings, dir string) (*mainFile, error) {
	if w := s.GOWORK; w != "" && w != "off" {
		data, err := os.ReadFile(w)
		if err != nil {
			return nil, fmt.Errorf("reading go.work: %w", err)
		}
		f, err := modfile.ParseWork(w, data, nil)
		if err != nil {
			return nil, fmt.Errorf("parsing go.work: %w", err)
		}
		m := &mainFile{path: w}
		if f.Go != nil {
			m.goVersion = f.Go.Version
		}
		return m, nil
	}
	path := s.GOMOD
	if path == "" || path == os.DevNull || path == "/dev/null" {
		if s.GOMOD != "" {
			return nil, nil // go env ran outside a module
		}
		if dir == "" {
			dir = "."
		}
		path = filepath.Join(dir, "go.mod")
	}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) && s.GOMOD == "" {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading go.mod: %w", err)
	}
	f, err := modfile.ParseLax(path, data, nil)
	if err != nil {
		return nil, fmt.Errorf("parsing go.mod: %w", err)
	}
	m := &mainFile{path: path}
	if f.Go != nil {
		m.goVersion = f.Go.Version
	}
	for _, r := range f.Require {
		m.requires = append(m.requires, r.Mod.Path)
	}
	return m, nil
}

// privateSuffixes are host name endings that only resolve inside an
// organization.
var privateSuffixes = []string{".local", ".internal", ".corp", ".lan", ".intranet", ".home.arpa", ".localdomain"}

// privateSettings finds required modules that look private — their host
// is internal, or the netrc file has credentials for it — but that
// GOPRIVATE does not cover, so go asks public mirrors for them (leaking
// their names) and fails to verify them against the checksum database.
func privateSettings(s *goenv.Settings, env goenv.Environ, m *mainFile, netrcMachines, mirrorHosts []string) []Check {
	if m == nil {
		return nil
	}
	var hosts, why []string
	for _, p := range m.requires {
		host, _, _ := strings.Cut(p, "/")
		if slices.Contains(hosts, host) || s.NoProxy(p) || s.NoSumDB(p) {
			continue
		}
		reason := ""
		switch {
		case hasPrivateSuffix(host):
			reason = "an internal host name"
		case slices.Contains(netrcMachines, host) && !slices.Contains(mirrorHosts, host):
			reason = "a host the netrc file has credentials for"
		default:
			continue
		}
		hosts = append(hosts, host)
		why = append(why, fmt.Sprintf("%s (%s)", p, reason))
	}
	if len(hosts) == 0 {
		return nil
	}
	value := strings.Trim(strings.TrimSpace(s.GOPRIVATE)+","+strings.Join(hosts, ","), ",")
	c := newCheck(LayerSettings, "GOPRIVATE", Warn, fmt.Sprintf(
		"%s requires %s, which GOPRIVATE does not cover: go asks public mirrors for them, leaking their names, and cannot verify them against the checksum database",
		filepath.Base(m.path), strings.Join(why, ", ")))
	c.Fix = setCommand(env, "GOPRIVATE", value)
	return []Check{c}
}

func hasPrivateSuffix(host string) bool {
	for _, suf := range privateSuffixes {
		if strings.HasSuffix(host, suf) {
			return true
		}
	}
	return false
}
