package modproxy

import (
	"net/http"
	"strings"
	"testing"
)

// fromAnotherUser: a connection the socket table says another user
// opened gets a bare 404. A new connection is checked anew.
func fromAnotherUser(t *testing.T, lb *Loopback) {
	t.Helper()
	own := ownUID
	ownUID = func() int { return own() + 1 }
	defer func() { ownUID = own }()
	http.DefaultClient.CloseIdleConnections()
	defer http.DefaultClient.CloseIdleConnections()
	code, body := get(t, lb.URL+"/example.com/a/@v/list")
	if code != http.StatusNotFound || strings.Contains(body, "example.com") {
		t.Errorf("from another user: %d %q", code, body)
	}
}
