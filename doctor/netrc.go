package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/gofastdev/gofast/internal/goauth"
)

// netrcInfo is what go's credential lookup would find: the netrc file and
// the machines it has usable credentials for (never the credentials
// themselves).
type netrcInfo struct {
	path     string
	machines []string
	err      error // reading it; fs.ErrNotExist when absent
}

// readNetrc reads the machine names of the netrc file at path, by go's
// rules (goauth): an entry counts once it has login and password.
func readNetrc(path string) netrcInfo {
	n := netrcInfo{path: path}
	ms, err := goauth.ReadMachines(path)
	n.err = err
	for _, m := range ms {
		if !slices.Contains(n.machines, m.Name) {
			n.machines = append(n.machines, m.Name)
		}
	}
	return n
}

// authSettings is the credentials line: GOAUTH and the netrc file, with the
// mirror hosts the file has credentials for, or refused, the error of a
// GOAUTH go will not run with.
func authSettings(goauth string, n netrcInfo, hosts []string, refused error) Check {
	if refused != nil {
		return newCheck(LayerSettings, "GOAUTH", Fail, refused.Error()+": go (and gofast) stop at the first https fetch")
	}
	goauth = strings.TrimSpace(goauth)
	if goauth == "off" {
		return newCheck(LayerSettings, "GOAUTH", Pass, "off: go sends no credentials to mirrors or version control hosts")
	}
	mode := "GOAUTH=" + goauth
	if goauth == "" {
		mode = "GOAUTH unset (netrc)"
	}
	usesNetrc := goauth == "" || slices.ContainsFunc(strings.Split(goauth, ";"), func(m string) bool { return strings.TrimSpace(m) == "netrc" })
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
