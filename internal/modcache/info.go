package modcache

import (
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/mod/module"
)

// origin mirrors cmd/go/internal/modfetch/codehost.Origin, field for field
// and tag for tag, so that .info files are encoded as go encodes them.
type origin struct {
	VCS       string `json:",omitempty"`
	URL       string `json:",omitempty"`
	Subdir    string `json:",omitempty"`
	Hash      string `json:",omitempty"`
	TagPrefix string `json:",omitempty"`
	TagSum    string `json:",omitempty"`
	Ref       string `json:",omitempty"`
	RepoSum   string `json:",omitempty"`
}

// revInfo mirrors modfetch.RevInfo's JSON form.
type revInfo struct {
	Version string
	Time    time.Time
	Origin  *origin `json:",omitempty"`
}

// InfoError says a mirror's .info answer is not what go accepts.
type InfoError struct {
	Module module.Version
	Err    error
}

func (e *InfoError) Error() string {
	return fmt.Sprintf("invalid .info for %s@%s: %v", e.Module.Path, e.Module.Version, e.Err)
}

// Unwrap returns the decoding error, if that is the cause.
func (e *InfoError) Unwrap() error { return e.Err }

// CacheInfo checks a mirror's .info answer the way go's proxyRepo.Stat does
// (JSON naming exactly the requested version) and returns the bytes go's
// writeDiskStat would store: the re-encoded RevInfo with the origin fields
// that do not matter for a known version cleared.
func CacheInfo(m module.Version, data []byte) ([]byte, error) {
	var info revInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, &InfoError{Module: m, Err: fmt.Errorf("not JSON: %w", err)}
	}
	if info.Version != m.Version {
		return nil, &InfoError{Module: m, Err: fmt.Errorf("names version %q", info.Version)}
	}
	if o := info.Origin; o != nil {
		o.TagSum, o.TagPrefix, o.RepoSum = "", "", ""
		if module.IsPseudoVersion(info.Version) {
			o.Ref = ""
		}
	}
	return json.Marshal(&info)
}
