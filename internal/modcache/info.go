package modcache

import (
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
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

// CacheInfo checks a mirror's .info answer to the query m.Version the way
// go's proxyRepo.Stat and cachingRepo.Stat do (see InfoVersion) and returns
// the bytes go's writeDiskStat would store under the version it names: the
// re-encoded RevInfo with the origin fields that do not matter for a known
// version cleared.
func CacheInfo(m module.Version, data []byte) ([]byte, error) {
	info, err := decodeInfo(m, data)
	if err != nil {
		return nil, err
	}
	if o := info.Origin; o != nil {
		o.TagSum, o.TagPrefix, o.RepoSum = "", "", ""
		if module.IsPseudoVersion(info.Version) {
			o.Ref = ""
		}
	}
	return json.Marshal(info)
}

// InfoVersion returns the version a mirror's .info answer to the query
// m.Version resolves to, checked as go checks it. For a query that is a
// canonical version valid for m.Path, go's proxyRepo.Stat demands the
// answer name exactly that version; any other query (a branch such as
// master, a commit hash, v1.2.3+meta, or v2.0.0 of a path without /v2,
// which resolves to v2.0.0+incompatible) may resolve to another version.
// That version must be one go can record (its CachePath accepts only
// valid, canonical semantic versions): go fails on any other, so such an
// answer is wrong bytes, and another mirror may have the right ones.
func InfoVersion(m module.Version, data []byte) (string, error) {
	info, err := decodeInfo(m, data)
	if err != nil {
		return "", err
	}
	return info.Version, nil
}

func decodeInfo(m module.Version, data []byte) (*revInfo, error) {
	var info revInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, &InfoError{Module: m, Err: fmt.Errorf("not JSON: %w", err)}
	}
	v := info.Version
	if v != m.Version && m.Version == module.CanonicalVersion(m.Version) && module.Check(m.Path, m.Version) == nil {
		return nil, &InfoError{Module: m, Err: fmt.Errorf("names version %q", v)}
	}
	if !semver.IsValid(v) {
		return nil, &InfoError{Module: m, Err: fmt.Errorf("names %q, not a semantic version", v)}
	}
	if module.CanonicalVersion(v) != v {
		return nil, &InfoError{Module: m, Err: fmt.Errorf("names %q, not a canonical version", v)}
	}
	return &info, nil
}
