package mirrors

import (
	"bytes"

	"golang.org/x/mod/module"

	"github.com/gofastdev/gofast/internal/goenv"
)

// DefaultProbeModule is the neutral public module version every mirror is
// asked for, by the race and by gofast doctor. It is old, small to
// describe and served by every public mirror.
var DefaultProbeModule = module.Version{Path: "golang.org/x/text", Version: "v0.3.8"}

// fallbackProbeModules stand in for DefaultProbeModule when the user's
// GONOPROXY (or GOPRIVATE) covers it, so that no private path ever reaches
// a mirror.
var fallbackProbeModules = []module.Version{
	{Path: "github.com/google/uuid", Version: "v1.6.0"},
	{Path: "gopkg.in/yaml.v3", Version: "v3.0.1"},
	{Path: "github.com/pkg/errors", Version: "v0.9.1"},
}

// NeutralProbeModule returns the module version to ask mirrors for under
// s: DefaultProbeModule, else the first fallback that go would fetch
// through GOPROXY (s.NoProxy). It returns false when every one is private;
// nil settings cover nothing.
func NeutralProbeModule(s *goenv.Settings) (module.Version, bool) {
	for _, m := range append([]module.Version{DefaultProbeModule}, fallbackProbeModules...) {
		if s == nil || !s.NoProxy(m.Path) {
			return m, true
		}
	}
	return module.Version{}, false
}

// LooksHTML reports whether body (its first bytes are enough) is a web
// page, as captive portals, login pages and web servers at a wrong URL send
// with status 200 in place of module files. It judges the bytes only: no
// go.mod, .info, @v/list, zip or checksum-database text begins with '<'
// once white space and a UTF-8 byte order mark are skipped, and a page
// does. A declared Content-Type is not looked at, since go never looks at
// it: a proxy that serves valid files as text/html works with go, and so
// it does in the race, the fetcher and doctor alike.
func LooksHTML(body []byte) bool {
	const ws = " \t\r\n\f"
	b := bytes.TrimLeft(body, ws)
	b = bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), ws)
	return len(b) > 0 && b[0] == '<'
}
