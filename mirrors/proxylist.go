// Package mirrors parses GOPROXY lists with the go command's exact
// semantics, races candidate module mirrors, and builds the fastest working
// GOPROXY chain.
package mirrors

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"

	"github.com/gofastdev/gofast/internal/redact"
)

// Kind says what a GOPROXY entry is.
type Kind int

const (
	// Proxy is a module proxy URL (http, https or file).
	Proxy Kind = iota
	// Direct means fetching from version control; go never falls through past it.
	Direct
	// Off means fetching is disallowed; go never falls through past it.
	Off
)

// Entry is one element of a GOPROXY list.
type Entry struct {
	// URL is the proxy URL with the scheme go implies ("https://" for
	// scheme-less entries), or "direct" or "off".
	URL  string
	Kind Kind
	// FallbackOnError is true when the entry was followed by '|': go then
	// tries the next entry after any error. After ',' (false) go moves on
	// only when this proxy answers 404 or 410.
	FallbackOnError bool
}

// Redacted returns the entry's URL with credentials removed, for messages.
func (e Entry) Redacted() string {
	if e.Kind != Proxy {
		return e.URL
	}
	return redact.URL(e.URL)
}

// IsFile reports whether the entry is a local file:// proxy.
func (e Entry) IsFile() bool { return e.Kind == Proxy && strings.HasPrefix(e.URL, "file:") }

// List is a parsed GOPROXY value: the entries go walks, in order.
type List []Entry

// ErrNoEntries is returned for a GOPROXY such as "," or " " that is not empty
// but names nothing; go rejects it with the same words.
var ErrNoEntries = errors.New("GOPROXY list is not the empty string, but contains no entries")

// ParseList parses a GOPROXY value exactly as the go command does
// (cmd/go/internal/modfetch.proxyList): entries split at ',' and '|', the
// separator after an entry deciding its fallback, surrounding space trimmed,
// empty entries skipped, "off" and "direct" ending the walk, "https://"
// implied for host-like entries without a scheme, and only http, https and
// file URLs accepted.
func ParseList(goproxy string) (List, error) {
	var list List
	rest := goproxy
	for rest != "" {
		var raw string
		fallback := false
		if i := strings.IndexAny(rest, ",|"); i >= 0 {
			raw, fallback, rest = rest[:i], rest[i] == '|', rest[i+1:]
		} else {
			raw, rest = rest, ""
		}
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		if raw == "off" {
			list = append(list, Entry{URL: "off", Kind: Off})
			break
		}
		if raw == "direct" {
			list = append(list, Entry{URL: "direct", Kind: Direct})
			break
		}
		if strings.ContainsAny(raw, ".:/") && !strings.Contains(raw, ":/") && !filepath.IsAbs(raw) && !path.IsAbs(raw) {
			raw = "https://" + raw
		}
		if err := checkProxyURL(raw); err != nil {
			return nil, fmt.Errorf("GOPROXY: %w", err)
		}
		list = append(list, Entry{URL: raw, Kind: Proxy, FallbackOnError: fallback})
	}
	if len(list) == 0 {
		if goproxy == "" {
			return nil, errors.New("GOPROXY is empty")
		}
		return nil, ErrNoEntries
	}
	return list, nil
}

// checkProxyURL accepts the URLs go's newProxyRepo accepts.
func checkProxyURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid proxy URL %s: %v", redact.URL(raw), errors.Unwrap(err))
	}
	// What the user sees: the URL's password hidden, and any URL with a
	// password written into the rest of it (path, query, fragment) too.
	shown := redact.String(u.Redacted())
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return fmt.Errorf("invalid proxy URL missing host: %s", shown)
		}
		return nil
	case "file":
		if *u != (url.URL{Scheme: u.Scheme, Path: u.Path, RawPath: u.RawPath}) {
			return fmt.Errorf("invalid file:// proxy URL with non-path elements: %s", shown)
		}
		return nil
	case "":
		return fmt.Errorf("invalid proxy URL missing scheme: %s", shown)
	default:
		return fmt.Errorf("invalid proxy URL scheme (must be https, http, file): %s", shown)
	}
}

// String formats the list as a GOPROXY value that go parses back to the
// same list: each proxy followed by '|' or ',' as its fallback says.
func (l List) String() string {
	var b strings.Builder
	for i, e := range l {
		b.WriteString(e.URL)
		if i < len(l)-1 {
			if e.FallbackOnError {
				b.WriteByte('|')
			} else {
				b.WriteByte(',')
			}
		}
	}
	return b.String()
}

// Redacted formats the list like String with credentials removed.
func (l List) Redacted() string {
	r := make(List, len(l))
	for i, e := range l {
		r[i] = e
		r[i].URL = e.Redacted()
	}
	return r.String()
}

// Proxies returns the proxy entries (neither direct nor off), in order.
func (l List) Proxies() List {
	var out List
	for _, e := range l {
		if e.Kind == Proxy {
			out = append(out, e)
		}
	}
	return out
}

// Tail returns the terminating direct or off entry, if the list has one.
func (l List) Tail() (Entry, bool) {
	if n := len(l); n > 0 && l[n-1].Kind != Proxy {
		return l[n-1], true
	}
	return Entry{}, false
}
