package prefetch

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"golang.org/x/mod/module"
)

// ErrLeftToGo marks a module gofast deliberately does not fetch: its
// GOPROXY entry is direct or off, its path is private, or go.sum has no
// line to verify it against. go handles it itself when it runs.
var ErrLeftToGo = errors.New("left to go")

// ErrReachedTail marks a failure after which go's own walk of GOPROXY
// goes on to the list's direct or off tail: the walk got past every proxy
// (after not-found answers, or a failure behind '|'), rather than stopping
// at one (a failure behind ','). The loopback proxy needs the difference
// when a single entry of go's GOPROXY cannot carry it (see
// modproxy.GOPROXY).
var ErrReachedTail = errors.New("past every proxy in GOPROXY")

// reachedTail marks err with ErrReachedTail; its text stays err's.
func reachedTail(err error) error { return &tailError{err} }

type tailError struct{ err error }

func (e *tailError) Error() string   { return e.err.Error() }
func (e *tailError) Unwrap() []error { return []error{ErrReachedTail, e.err} }

// ErrStalled is the cause when a mirror sent no headers, or stopped sending
// the body, for longer than the idle timeout.
var ErrStalled = errors.New("mirror stalled")

// ErrChecksum is matched (errors.Is) by every verification failure against
// go.sum: a security error, never published.
var ErrChecksum = errors.New("checksum mismatch")

// errStagingLost says a download's temporary file vanished before it was
// published. go removes <version>.zip*.tmp leftovers while holding the
// version lock, just before it downloads the zip itself; so this is no
// fault of the mirror, and the module is to be looked for again under the
// lock (where go's copy will be), not fetched from the next mirror.
var errStagingLost = errors.New("the download's temporary file was removed by a concurrent go process")

// ModuleError is the one error type the engine reports per module file, in
// the manner of x/mod's module.ModuleError: which module, version and file,
// and which mirror (credentials redacted) gave the failing answer.
type ModuleError struct {
	Module module.Version
	// Label names what failed when it is no module's file (a request to
	// a checksum database: "checksum database sum.golang.org lookup/..."),
	// in Module's place in the message; Module is then zero.
	Label string
	// File is the file's Kind: "mod", "info" or "zip" for the engine's
	// downloads, any Kind for a Request.
	File string
	// Mirror is the redacted URL of the mirror that failed, "" when no
	// mirror was involved.
	Mirror string
	Err    error
}

func (e *ModuleError) Error() string {
	var b strings.Builder
	if e.Label != "" {
		b.WriteString(e.Label)
	} else {
		b.WriteString(e.Module.Path)
		if e.Module.Version != "" {
			b.WriteString("@" + e.Module.Version)
		}
	}
	switch e.File {
	case "", "sumdb", "supported":
	case "list":
		b.WriteString("/@v/list")
	case "latest":
		b.WriteString("/@latest")
	default:
		fmt.Fprintf(&b, " .%s", e.File)
	}
	if e.Mirror != "" {
		fmt.Fprintf(&b, " from %s", e.Mirror)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap exposes the cause, so errors.Is(err, ErrChecksum) and
// errors.Is(err, fs.ErrNotExist) work through it.
func (e *ModuleError) Unwrap() error { return e.Err }

// HTTPError is a mirror's non-200 answer. Like the go command's
// web.HTTPError, it is fs.ErrNotExist for 404 and 410, which is what moves
// a GOPROXY walk past a ',' separator.
type HTTPError struct {
	// URL is redacted.
	URL    string
	Status int
	// Detail is the start of the body, for the message.
	Detail string
	// Body is the start of the body as the mirror sent it (at most
	// MaxErrorBody bytes) and ContentType its Content-Type header: the
	// loopback proxy relays both, since go prints a text/plain body of a
	// failed answer as "server response:" lines.
	Body        []byte
	ContentType string
}

// MaxErrorBody is how much of a failed answer's body an HTTPError keeps:
// far more than go prints of it (8 lines of about 80 bytes), so that a
// relayed body gives go the same lines, or the same truncation note, as
// the mirror's whole body would.
const MaxErrorBody = 16 << 10

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("%s: %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Is reports 404 and 410 as fs.ErrNotExist.
func (e *HTTPError) Is(target error) bool {
	return target == fs.ErrNotExist && (e.Status == http.StatusNotFound || e.Status == http.StatusGone)
}

// ChecksumError is a downloaded file whose hash is not the one go.sum
// records: the mirror served wrong bytes. It is a security error.
type ChecksumError struct {
	Module module.Version
	File   string
	Got    string
	Want   []string
}

func (e *ChecksumError) Error() string {
	// A ModuleError around it names the module, file and mirror.
	return fmt.Sprintf("SECURITY ERROR: checksum mismatch: downloaded %s, go.sum has %s",
		e.Got, strings.Join(e.Want, " or "))
}

// Is makes every ChecksumError match ErrChecksum.
func (e *ChecksumError) Is(target error) bool { return target == ErrChecksum }

// BodyError is an answer that is not a module file at all: an HTML page
// from a captive portal, a truncated or garbage zip, a go.mod that does not
// parse, a body over the size limit.
type BodyError struct {
	Reason string
	Err    error
	// TooLarge marks an answer over the size limit: an endless or
	// gigantic body (see ErrTooLarge).
	TooLarge bool
}

// ErrTooLarge is matched (errors.Is) by a BodyError for an answer over the
// size limit. The go command reads .mod and .info answers without any
// limit, so a mirror sending an endless one makes go read until memory
// runs out.
var ErrTooLarge = errors.New("answer over the size limit")

// Is makes a TooLarge BodyError match ErrTooLarge.
func (e *BodyError) Is(target error) bool { return target == ErrTooLarge && e.TooLarge }

func (e *BodyError) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

// Unwrap returns the parsing error, if any.
func (e *BodyError) Unwrap() error { return e.Err }

// UnacceptedError is Get's error, for a Request with KeepAnswer, when no
// mirror had an answer Check accepts but at least one answered 200 with
// bytes Check refused: Answer is the first of those (the one go's own walk
// of GOPROXY would have stopped at, since go takes any 200 and judges the
// bytes itself) and Err why it was refused. The caller closes Answer.
type UnacceptedError struct {
	Answer *File
	Err    error
}

func (e *UnacceptedError) Error() string { return e.Err.Error() }

// Unwrap returns why the answer was refused.
func (e *UnacceptedError) Unwrap() error { return e.Err }

// readError marks a failure while reading a response body (reset, short
// body, stall), the only failures retried by re-requesting the file from
// the same mirror: the HTTP client retries status-level failures itself.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// verifyError reports whether err means the mirror's bytes were wrong
// (as opposed to the mirror being unreachable): the next mirror is tried
// whatever the GOPROXY separator, since nothing wrong is ever published.
func verifyError(err error) bool {
	var be *BodyError
	return errors.Is(err, ErrChecksum) || errors.As(err, &be)
}
