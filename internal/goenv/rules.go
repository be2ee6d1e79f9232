package goenv

import (
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/note"

	"github.com/gofastdev/gofast/internal/redact"
)

// NoProxy reports whether go fetches path directly and never through
// GOPROXY: it matches GONOPROXY, which go defaults to GOPRIVATE when it is
// unset or empty (cfg.EnvOrAndChanged). `go env -json` already reports the
// defaulted value; the fallback keeps Settings built by hand correct.
func (s *Settings) NoProxy(path string) bool {
	return module.MatchPrefixPatterns(or(s.GONOPROXY, s.GOPRIVATE), path)
}

// NoSumDB reports whether go skips the checksum database for path: it
// matches GONOSUMDB, which go defaults to GOPRIVATE when unset or empty.
func (s *Settings) NoSumDB(path string) bool {
	return module.MatchPrefixPatterns(or(s.GONOSUMDB, s.GOPRIVATE), path)
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// chinaSumDB is the alias go accepts for its default checksum database
// served from mainland China: the same database under another URL
// (modfetch.dbDial's one special case).
const chinaSumDB = "sum.golang.google.cn"

// SumDB is the checksum database GOSUMDB names, read the way go's
// modfetch.dbDial reads it.
type SumDB struct {
	// Name is the database's name, which mirrors serve it under at
	// /sumdb/<Name>/.
	Name string
	// URL is where go reaches the database directly: "https://<Name>", or
	// the URL GOSUMDB gives after the key.
	URL string
	// Explicit is true when GOSUMDB names the URL itself; go then goes
	// there directly and never asks a GOPROXY mirror.
	Explicit bool
	// Key is the verifier key GOSUMDB gives ("name+hash+key"), or "" when
	// GOSUMDB names the toolchain's default database, whose key go has
	// built in (see Settings.SumDBKey).
	Key string
}

// SumDB returns the checksum database go verifies against, or nil, nil when
// GOSUMDB is off. An error is a GOSUMDB go itself rejects.
func (s *Settings) SumDB() (*SumDB, error) {
	return ParseSumDB(s.GOSUMDB, s.defaultSumDBName())
}

// defaultSumDBName returns the name of the toolchain's default checksum
// database (from $GOROOT/go.env), the one name go accepts without a key,
// or "" when it cannot be read.
func (s *Settings) defaultSumDBName() string {
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

// ParseSumDB parses a GOSUMDB value as go's dbDial does. defaultName is the
// toolchain's default database name, whose key go knows, so it is accepted
// without one. It returns nil, nil for "off".
func ParseSumDB(gosumdb, defaultName string) (*SumDB, error) {
	gosumdb = strings.TrimSpace(gosumdb)
	if gosumdb == "off" {
		return nil, nil
	}
	if gosumdb == chinaSumDB && defaultName != "" {
		return &SumDB{Name: defaultName, URL: "https://" + chinaSumDB, Explicit: true}, nil
	}
	f := strings.Fields(gosumdb)
	switch {
	case len(f) == 0:
		return nil, fmt.Errorf("missing GOSUMDB")
	case len(f) > 2:
		return nil, fmt.Errorf("invalid GOSUMDB: too many fields")
	}
	name, key := f[0], ""
	if strings.Contains(name, "+") {
		key = name
		v, err := note.NewVerifier(name)
		if err != nil {
			return nil, fmt.Errorf("invalid GOSUMDB: %v", err)
		}
		name = v.Name()
	} else if name != defaultName {
		return nil, fmt.Errorf("invalid GOSUMDB: %s is not a known database; give its key as name+hash+key", name)
	}
	direct, err := url.Parse("https://" + name)
	if err != nil || strings.HasSuffix(name, "/") || direct.Host == "" || direct.RawQuery != "" || direct.Fragment != "" || direct.User != nil || direct.RawPath != "" {
		return nil, fmt.Errorf("invalid sumdb name (must be host[/path]): %s", name)
	}
	db := &SumDB{Name: name, URL: direct.String(), Key: key}
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
