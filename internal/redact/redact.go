// Package redact removes credentials from URLs before they are printed,
// logged or written to JSON. Every message gofast shows that may contain a
// mirror URL goes through it.
package redact

import (
	"net/url"
	"regexp"
)

// URL returns raw with any password replaced by "xxxxx", as
// url.URL.Redacted does. Text that does not parse as a URL is scanned for
// "scheme://user:pass@" forms instead, so a malformed URL never leaks.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return String(raw)
	}
	return u.Redacted()
}

// userinfo matches the user-information part of URLs embedded in text.
var userinfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)([^/@\s:]*):([^/@\s]+)@`)

// String redacts the passwords of every URL embedded in free text, such as
// an error message from the HTTP client.
func String(s string) string {
	return userinfo.ReplaceAllString(s, "${1}${2}:xxxxx@")
}
