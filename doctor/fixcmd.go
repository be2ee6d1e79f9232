package doctor

import (
	"runtime"
	"strings"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/redact"
)

// The fix commands in a verdict are meant to be pasted into a shell. A go
// setting is changed where it is set: a variable in the process environment
// overrides `go env -w` (go only warns that the write has no effect), so it
// is changed with export; otherwise `go env -w` makes the change last.

// setCommand returns the command that sets key to value.
//
// Passwords in URLs within value are shown as xxxxx: reports are read,
// pasted and logged, and the user knows their own password.
func setCommand(env goenv.Environ, key, value string) string {
	value = redact.String(value)
	if _, inEnv := env.Lookup(key); inEnv {
		if runtime.GOOS == "windows" {
			return "$env:" + key + " = " + psQuote(value)
		}
		return "export " + key + "=" + quoteValue(value)
	}
	if runtime.GOOS == "windows" {
		return "go env -w " + key + "=" + winQuote(value)
	}
	return "go env -w " + key + "=" + quoteValue(value)
}

// unsetCommand returns the command that returns key to go's default.
func unsetCommand(env goenv.Environ, key string) string {
	if _, inEnv := env.Lookup(key); inEnv {
		if runtime.GOOS == "windows" {
			return "Remove-Item Env:" + key
		}
		return "unset " + key
	}
	return "go env -u " + key
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, needsQuote) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func needsQuote(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
}

// quoteValue single-quotes a setting's value for a POSIX shell, always,
// so that a pasted GOPROXY with '|' never becomes a pipe.
func quoteValue(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// psQuote quotes s for PowerShell.
func psQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// winQuote quotes s for cmd.exe, which treats '|' as a pipe.
func winQuote(s string) string {
	if strings.ContainsAny(s, " |&<>^\"") {
		return `"` + s + `"`
	}
	return s
}
