package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/gofastdev/gofast/internal/goenv"
)

// netrcInfo is what go's credential lookup would find: the netrc file and
// the machines it has credentials for (never the credentials themselves).
type netrcInfo struct {
	path     string
	machines []string
	err      error // reading it; fs.ErrNotExist when absent
}

// netrcPath returns the file go reads credentials from: $NETRC, else .netrc
// (_netrc on Windows) in the home directory, or "" when neither is known.
func netrcPath(env goenv.Environ) string {
	if p := env.Get("NETRC"); p != "" {
		return p
	}
	home, name := env.Get("HOME"), ".netrc"
	if runtime.GOOS == "windows" {
		home, name = env.Get("USERPROFILE"), "_netrc"
	}
	if home == "" {
		return ""
	}
	return filepath.Join(home, name)
}

// readNetrc reads the machine names of the netrc file at path.
func readNetrc(path string) netrcInfo {
	n := netrcInfo{path: path}
	if path == "" {
		n.err = fs.ErrNotExist
		return n
	}
	data, err := os.ReadFile(path)
	if err != nil {
		n.err = err
		return n
	}
	n.machines = parseNetrcMachines(string(data))
	return n
}

// parseNetrcMachines returns the machine names in netrc text, in order,
// stopping at a "default" entry as go does.
func parseNetrcMachines(text string) []string {
	var machines []string
	f := strings.Fields(text)
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case "default":
			return machines
		case "macdef":
			// A macro runs to the next blank line, which Fields cannot see;
			// machine names after one are rare enough to miss.
			return machines
		case "machine":
			if i+1 < len(f) {
				machines = append(machines, f[i+1])
				i++
			}
		case "login", "password", "account":
			i++ // skip the value, which may itself be a keyword
		}
	}
	return machines
}

// authSettings is the credentials line: GOAUTH and the netrc file, with the
// mirror hosts the file has credentials for.
func authSettings(goauth string, n netrcInfo, hosts []string) Check {
	goauth = strings.TrimSpace(goauth)
	if goauth == "off" {
		return newCheck(LayerSettings, "GOAUTH", Pass, "off: go sends no credentials to mirrors or version control hosts")
	}
	mode := "GOAUTH=" + goauth
	if goauth == "" {
		mode = "GOAUTH unset (netrc)"
	}
	usesNetrc := goauth == "" || slices.Contains(strings.Split(goauth, ";"), "netrc")
	switch {
	case !usesNetrc:
		return newCheck(LayerSettings, "GOAUTH", Pass, mode)
	case errors.Is(n.err, fs.ErrNotExist):
		return newCheck(LayerSettings, "GOAUTH", Pass, mode+"; no netrc file")
	case n.err != nil:
		return newCheck(LayerSettings, "GOAUTH", Warn, fmt.Sprintf("%s; reading %s: %v", mode, n.path, n.err))
	}
	var forMirrors []string
	for _, h := range hosts {
		if slices.Contains(n.machines, h) {
			forMirrors = append(forMirrors, h)
		}
	}
	detail := fmt.Sprintf("%s; %s has credentials for %d machines", mode, n.path, len(n.machines))
	if len(forMirrors) > 0 {
		detail += ", including mirror " + strings.Join(forMirrors, ", ")
	}
	return newCheck(LayerSettings, "GOAUTH", Pass, detail)
}
