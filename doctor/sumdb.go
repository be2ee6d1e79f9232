package doctor

import (
	"fmt"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/redact"
)

// sumdbSettings is the GOSUMDB line of the settings checks.
func sumdbSettings(s *goenv.Settings, env goenv.Environ, db *goenv.SumDB, err error) Check {
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
