package proxytest

import (
	"net/http"
	"os"
	"path/filepath"
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
