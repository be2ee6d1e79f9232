package mirrors

import (
	"errors"
	"io/fs"
)

// SumDBProxy walks l as go's modfetch dbClient.initBase walks GOPROXY
// (through modfetch.TryProxies) to decide how go reaches a checksum
// database whose GOSUMDB names no URL. supported asks one proxy entry for
// /sumdb/<name>/supported: nil is a 200, an error that is fs.ErrNotExist
// a 404 or 410, any other error a failure (a 5xx, a dropped connection).
//
// It returns the proxy entry that serves the database; or nil and a nil
// error when go connects to the database directly; or nil and the error
// go reports when it treats the database as unavailable.
//
// As go does, the walk stops at the first entry that serves the database
// or at a failure of an entry followed by ','; a 404 or 410 moves on, and
// so does any failure after '|'. At the end go keeps the most useful
// error it saw: "direct" outranks a proxy's failure, which outranks a not
// found (and the last failure of equal rank wins). So a failure after '|'
// followed only by 404s is still the failure, and the database is
// unavailable; the same failure followed by "direct" sends go directly to
// the database; "off" never outranks the failure. The implicit "noproxy"
// entry go puts first when GONOPROXY is set always answers "not found"
// here and so changes nothing; it is left out.
func SumDBProxy(l List, supported func(Entry) error) (*Entry, error) {
	const (
		notExistRank = iota
		proxyRank
		directRank
	)
	var bestErr error = fs.ErrNotExist // no entries: go connects directly
	bestRank := notExistRank
	for i, e := range l {
		var err error
		switch e.Kind {
		case Direct, Off:
			// go's probe answers both with errProxyOff, a not found.
			err = fs.ErrNotExist
		default:
			err = supported(e)
			if err == nil {
				return &l[i], nil
			}
		}
		notExist := errors.Is(err, fs.ErrNotExist)
		switch {
		case e.Kind == Direct:
			bestErr, bestRank = err, directRank
		case bestRank <= proxyRank && !notExist:
			bestErr, bestRank = err, proxyRank
		case bestRank == notExistRank:
			bestErr = err
		}
		if !e.FallbackOnError && !notExist {
			break
		}
	}
	if errors.Is(bestErr, fs.ErrNotExist) {
		return nil, nil
	}
	return nil, bestErr
}
