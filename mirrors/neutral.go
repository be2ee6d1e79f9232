package mirrors

import (
	"net/http"
	"strings"

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

// LooksHTML reports whether an answer with header h and body (its first
// bytes are enough) is a web page, as captive portals, login pages and web
// servers at a wrong URL send in place of module files: by its declared
// type or, whatever is declared, by sniffing.
func LooksHTML(h http.Header, body []byte) bool {
	if strings.Contains(strings.ToLower(h.Get("Content-Type")), "html") {
		return true
	}
	return strings.Contains(http.DetectContentType(body[:min(len(body), 512)]), "html")
}
