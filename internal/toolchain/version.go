package toolchain

import "strings"

// This file follows cmd/go/internal/gover and internal/gover, which the go
// command uses to compare Go versions. It is a port rather than a use of
// go/version because go/version strips a "-suffix" before comparing, so
// that go/version.Compare("go1.27.0-x", ...) treats "1.27.0-x" as 1.27.0,
// whereas the go command, comparing the text of a go.mod "go" line, finds
// it malformed and so lower than every valid version.

// version is a parsed Go version: major[.minor[.patch]][kind[pre]]. The
// numbers stay decimal strings, as in gover, so that no value overflows.
type version struct {
	major string // decimal
	minor string // decimal or ""
	patch string // decimal or ""
	kind  string // "", "alpha", "beta", "rc"
	pre   string // decimal or ""
}

// Compare returns -1, 0, or +1 as x is less than, equal to, or greater than
// y, interpreted as Go versions without the "go" prefix ("1.21", not
// "go1.21"), exactly as the go command's gover.Compare does: malformed
// versions compare less than well-formed ones and equal to each other, and
// the language version "1.21" is less than "1.21rc1", which is less than
// "1.21.0".
func Compare(x, y string) int {
	vx, vy := parseVersion(x), parseVersion(y)
	if c := cmpInt(vx.major, vy.major); c != 0 {
		return c
	}
	if c := cmpInt(vx.minor, vy.minor); c != 0 {
		return c
	}
	if c := cmpInt(vx.patch, vy.patch); c != 0 {
		return c
	}
	if c := strings.Compare(vx.kind, vy.kind); c != 0 { // "" < alpha < beta < rc
		return c
	}
	return cmpInt(vx.pre, vy.pre)
}

// isLang reports whether x names a language version ("1.21") rather than a
// release ("1.21.0", "1.21rc1"). Before Go 1.21 the two were the same, so
// "1.20" is not a language version in this sense.
func isLang(x string) bool {
	v := parseVersion(x)
	return v != version{} && v.patch == "" && v.kind == "" && v.pre == ""
}

// isValid reports whether x is a well-formed Go version.
func isValid(x string) bool {
	return parseVersion(x) != version{}
}

// FromToolchain returns the Go version of the toolchain name ("1.2.3" for
// "go1.2.3" or "go1.2.3-bigcorp"), or "" when name is not a toolchain name.
// As in the go command, a suffix introduced by '-', space or tab is dropped,
// and a name holding a path separator is refused, since exec.LookPath would
// resolve it relative to the working directory rather than from PATH.
func FromToolchain(name string) string {
	if strings.ContainsAny(name, `\/`) {
		return ""
	}
	v, ok := strings.CutPrefix(name, "go")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(v, " \t-"); i >= 0 {
		v = v[:i]
	}
	if !isValid(v) {
		return ""
	}
	return v
}

// parseVersion parses x, returning the zero version when x is malformed.
func parseVersion(x string) version {
	var v version
	var ok bool
	if v.major, x, ok = cutInt(x); !ok {
		return version{}
	}
	if x == "" {
		// "1" means 1.0.0.
		v.minor, v.patch = "0", "0"
		return v
	}
	if x[0] != '.' {
		return version{}
	}
	if v.minor, x, ok = cutInt(x[1:]); !ok {
		return version{}
	}
	if x == "" {
		// A missing patch is .0 before Go 1.21; from 1.21 on "1.N" is the
		// language version, less than any 1.N release.
		if cmpInt(v.minor, "21") < 0 {
			v.patch = "0"
		}
		return v
	}
	if x[0] == '.' {
		// Patch releases have no prereleases: 1.21.3rc1 is malformed.
		if v.patch, x, ok = cutInt(x[1:]); !ok || x != "" {
			return version{}
		}
		return v
	}
	i := 0
	for i < len(x) && (x[i] < '0' || '9' < x[i]) {
		if x[i] < 'a' || 'z' < x[i] {
			return version{}
		}
		i++
	}
	if i == 0 {
		return version{}
	}
	v.kind, x = x[:i], x[i:]
	if x == "" {
		return v
	}
	if v.pre, x, ok = cutInt(x); !ok || x != "" {
		return version{}
	}
	return v
}

// cutInt splits the leading decimal number off x. A number with a needless
// leading zero is refused.
func cutInt(x string) (n, rest string, ok bool) {
	i := 0
	for i < len(x) && '0' <= x[i] && x[i] <= '9' {
		i++
	}
	if i == 0 || x[0] == '0' && i != 1 {
		return "", "", false
	}
	return x[:i], x[i:], true
}

// cmpInt compares decimal strings as numbers.
func cmpInt(x, y string) int {
	switch {
	case x == y:
		return 0
	case len(x) != len(y):
		if len(x) < len(y) {
			return -1
		}
		return +1
	case x < y:
		return -1
	default:
		return +1
	}
}
