package proxytest

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
)

// NetrcFile writes a netrc file giving login and password for machine
// (a host or host:port, as go matches them) in a new temporary directory,
// and returns its path, for NETRC.
func NetrcFile(t TB, machine, login, password string) string {
	t.Helper()
	return NetrcText(t, "machine "+machine+"\n\tlogin "+login+"\n\tpassword "+password+"\n")
}

// NetrcText writes text as a netrc file in a new temporary directory and
// returns its path.
func NetrcText(t TB, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// RequireLogin is a Fault function that answers 401 to every request
// without the given basic-auth credentials, as a mirror behind a login does.
func RequireLogin(login, password string) func(*http.Request) Fault {
	return func(r *http.Request) Fault {
		if u, p, ok := r.BasicAuth(); ok && u == login && p == password {
			return Fault{}
		}
		return Fault{Kind: Status, Status: http.StatusUnauthorized, Body: []byte("login required")}
	}
}

// LeakTrap is the fixture of the credential-leak tests: Mirror, an https
// mirror behind a login, redirects every request that brings credentials
// to Plain, a plain-http server on loopback. A client following go's rules
// refuses that redirect, so Plain sees no request, and above all none
// with an Authorization header (Leaked).
type LeakTrap struct {
	Mirror, Plain *Server
	leaked        atomic.Int32
}

// NewLeakTrap starts the two servers over fsys. redirect gives the
// Location for a request; nil means Plain.URL plus the request's path.
func NewLeakTrap(t TB, fsys fs.FS, redirect func(plain *Server, r *http.Request) string) *LeakTrap {
	t.Helper()
	l := &LeakTrap{}
	l.Plain = New(t, Options{FS: fsys, Fault: func(r *http.Request) Fault {
		if r.Header.Get("Authorization") != "" {
			l.leaked.Add(1)
		}
		return Fault{}
	}})
	if redirect == nil {
		redirect = func(plain *Server, r *http.Request) string { return plain.URL + r.URL.Path }
	}
	l.Mirror = New(t, Options{FS: fsys, TLS: true, Fault: func(r *http.Request) Fault {
		if _, _, ok := r.BasicAuth(); !ok {
			return Fault{Kind: Status, Status: http.StatusUnauthorized}
		}
		return Fault{Kind: Redirect, Location: redirect(l.Plain, r)}
	}})
	return l
}

// Leaked returns how many requests reached Plain with credentials.
func (l *LeakTrap) Leaked() int { return int(l.leaked.Load()) }
