package doctor

import (
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/redact"
)

// chinaSumDB is the alias go accepts for its default checksum database
// served from mainland China: the same database under another URL.
const chinaSumDB = "sum.golang.google.cn"

// sumDB is the checksum database GOSUMDB names, read the way go's
// modfetch.dbDial reads it.
type sumDB struct {
	// Name is the database's name, which mirrors serve it under at
	// /sumdb/<Name>/.
	Name string
	// URL is where go reaches the database directly.
	URL string
	// Explicit is true when GOSUMDB names the URL itself; go then goes
	// there directly and never through a mirror.
	Explicit bool
}

// parseSumDB parses GOSUMDB. It returns nil, nil for "off". defaultName is
// the toolchain's default database name (from $GOROOT/go.env), the one name
// go accepts without a key.
func parseSumDB(gosumdb, defaultName string) (*sumDB, error) {
	gosumdb = strings.TrimSpace(gosumdb)
	if gosumdb == "off" {
		return nil, nil
	}
	if gosumdb == chinaSumDB && defaultName != "" {
		return &sumDB{Name: defaultName, URL: "https://" + chinaSumDB, Explicit: true}, nil
	}
	f := strings.Fields(gosumdb)
	switch {
	case len(f) == 0:
		return nil, fmt.Errorf("missing GOSUMDB")
	case len(f) > 2:
		return nil, fmt.Errorf("invalid GOSUMDB: too many fields")
	}
	name := f[0]
	if strings.Contains(name, "+") {
		v, err := note.NewVerifier(name)
		if err != nil {
			return nil, fmt.Errorf("invalid GOSUMDB: %v", err)
		}
		name = v.Name()
	} else if name != defaultName {
		return nil, fmt.Errorf("invalid GOSUMDB: %s is not a known database; give its key as name+hash+key", name)
	}
	direct, err := url.Parse("https://" + name)
	if err != nil || strings.HasSuffix(name, "/") || direct.Host == "" || direct.RawQuery != "" || direct.Fragment != "" || direct.User != nil {
		return nil, fmt.Errorf("invalid sumdb name (must be host[/path]): %s", name)
	}
	db := &sumDB{Name: name, URL: direct.String()}
	if len(f) == 2 {
		u, err := url.Parse(f[1])
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("invalid GOSUMDB URL: %s", redact.URL(f[1]))
		}
		db.URL = strings.TrimSuffix(f[1], "/")
		db.Explicit = true
	}
	return db, nil
}

// defaultSumDBName returns the name of the toolchain's default checksum
// database, or "" when it cannot be read.
func defaultSumDBName(s *goenv.Settings) string {
	def, err := s.DefaultGOSUMDB()
	if err != nil {
		return ""
	}
	f := strings.Fields(def)
	if len(f) == 0 {
		return ""
	}
	name, _, _ := strings.Cut(f[0], "+")
	return name
}

// sumdbSettings is the GOSUMDB line of the settings checks.
func sumdbSettings(s *goenv.Settings, env goenv.Environ, db *sumDB, err error) Check {
	switch {
	case err != nil:
		c := newCheck(LayerSettings, "GOSUMDB", Fail, fmt.Sprintf("%v: every new module fails verification", err))
		c.Fix = unsetCommand(env, "GOSUMDB")
		return c
	case db == nil:
		c := newCheck(LayerSettings, "GOSUMDB", Warn,
			"off: downloaded modules are not checked against the checksum database, so a compromised mirror or network can serve altered code")
		c.Fix = unsetCommand(env, "GOSUMDB")
		return c
	}
	detail := db.Name
	if db.Explicit {
		detail += " at " + redact.URL(db.URL) + " (directly, never through a mirror)"
	}
	return newCheck(LayerSettings, "GOSUMDB", Pass, detail)
}
