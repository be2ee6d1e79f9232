// Package goauth runs GOAUTH as the go command does (cmd/go/internal/auth).
// Since gofast's loopback proxy stands in for every GOPROXY entry, gofast,
// not go, is the one that talks to the mirrors, so it must send the
// credentials go would have sent, and only those.
//
// The rules, as cmd/go applies them:
//   - GOAUTH unset means "netrc"; "off" sends nothing and combines with no
//     other method; methods are separated by ';', and where two give
//     credentials for the same URL prefix the earlier one wins.
//   - Credentials are headers kept by URL prefix ("host[:port][/path]",
//     without "https://"); a request takes those of the longest prefix of
//     its URL at a '/' boundary. Only https requests get any: a plain-http
//     mirror, loopback or not, gets none, and runs no method.
//   - Before the first https request every method runs once: netrc is
//     read, each command runs with no argument and no input, and "git dir"
//     waits for a URL, since 'git credential' cannot list what it knows.
//   - When an https request is answered 4xx, every method runs again for
//     that URL: netrc again, 'git credential fill' in dir given url=<URL>,
//     each command with the URL as an extra argument and the answer's
//     status line and headers on its stdin. The request is then sent once
//     more (internal/web.Send); a second failure is the answer.
//   - Credentials from git are checked with a HEAD request to the prefix
//     git named, and 'git credential approve' or 'reject' tells the helper
//     whether they worked.
//
// The netrc file is $NETRC, else ~/.netrc (on Windows ~/_netrc first), read
// once. A machine entry counts only once it has both login and password;
// when a machine is listed twice the first entry wins; parsing stops at
// "default", whose credentials go never uses; macdef bodies run to the
// next empty line.
package goauth

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gofastdev/gofast/internal/environ"
)

// Sender sends one request, over the client the credentials are used with
// (for the check of git's credentials).
type Sender = func(*http.Request) (*http.Response, error)

// Credentials are GOAUTH's methods and the headers they have given so far,
// by URL prefix. They are safe for concurrent use. Nil sends nothing.
type Credentials struct {
	methods []method
	env     environ.Environ
	netrc   []netrcLine
	// fatal is a GOAUTH value go refuses to run with: every https request
	// fails with it, as go's fetch would.
	fatal error

	once     sync.Once
	mu       sync.Mutex
	byPrefix map[string]http.Header
	checks   sync.WaitGroup // git credential checks in flight
}

type methodKind int

const (
	netrcMethod methodKind = iota
	gitMethod
	commandMethod
)

// method is one ';'-separated element of GOAUTH.
type method struct {
	text    string // as written, for error messages
	kind    methodKind
	dir     string   // gitMethod: the working directory git runs in
	argv    []string // commandMethod: the command and its arguments
	argvErr error    // commandMethod: why text does not split into argv
}

// Load returns the credentials GOAUTH (go env's value; "" means netrc)
// gives, running commands with env (which also names NETRC and the home
// directory). No command runs yet: go runs them before its first https
// request, and so does Add. A netrc file that does not exist is no error;
// one that cannot be read is, and the other methods still work. A GOAUTH
// that go refuses (an empty method, off with others, a git dir that is
// not an absolute directory) is an error, which every https request the
// credentials are added to then fails with, as go's would.
func Load(goauth string, env environ.Environ) (*Credentials, error) {
	c := &Credentials{env: env, byPrefix: map[string]http.Header{}}
	if strings.TrimSpace(goauth) == "" {
		goauth = "netrc"
	}
	parts := strings.Split(goauth, ";")
	var errs []error
	for _, text := range parts {
		text = strings.TrimSpace(text)
		words := strings.Fields(text)
		if len(words) == 0 {
			c.fatal = fmt.Errorf("GOAUTH encountered an empty command (GOAUTH=%s)", goauth)
			break
		}
		switch words[0] {
		case "off":
			if len(parts) != 1 {
				c.fatal = fmt.Errorf("GOAUTH=off cannot be combined with other authentication commands (GOAUTH=%s)", goauth)
			}
		case "netrc":
			lines, err := readNetrc(NetrcPath(env))
			if err != nil {
				errs = append(errs, fmt.Errorf("GOAUTH=%s: %w", text, err))
			}
			c.netrc = lines
			c.methods = append(c.methods, method{text: text, kind: netrcMethod})
		case "git":
			if err := checkGitDir(words); err != nil {
				c.fatal = err
				break
			}
			c.methods = append(c.methods, method{text: text, kind: gitMethod, dir: words[1]})
		default:
			argv, err := splitQuoted(text)
			if err != nil {
				err = fmt.Errorf("cannot parse GOAUTH command %s: %w", text, err)
			}
			c.methods = append(c.methods, method{text: text, kind: commandMethod, argv: argv, argvErr: err})
		}
		if c.fatal != nil {
			break
		}
	}
	if c.fatal != nil {
		c.methods = nil
		return c, c.fatal
	}
	return c, errors.Join(errs...)
}

// checkGitDir applies go's rules for "git dir": exactly one word after
// git, an absolute path to an existing directory, so that git never runs
// (and reads the configuration of) whatever directory gofast is in.
func checkGitDir(words []string) error {
	const need = "GOAUTH=git dir method requires an absolute path to the git working directory"
	if len(words) != 2 {
		return errors.New(need)
	}
	dir := words[1]
	if !filepath.IsAbs(dir) {
		return errors.New(need + ", dir is not absolute")
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("GOAUTH=git encountered an error; cannot stat %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return errors.New(need + ", dir is not a directory")
	}
	return nil
}

// Has reports whether credentials are known or may come from a method
// that has not run yet (git or a command).
func (c *Credentials) Has() bool {
	if c == nil || c.fatal != nil {
		return false
	}
	c.mu.Lock()
	n := len(c.byPrefix)
	c.mu.Unlock()
	if n > 0 || len(c.netrc) > 0 {
		return true
	}
	for _, m := range c.methods {
		if m.kind != netrcMethod {
			return true
		}
	}
	return false
}

// Refused is the error of a GOAUTH value go refuses to run with (an
// empty method, off with others, a git dir that is not an absolute
// directory), or nil.
func (c *Credentials) Refused() error {
	if c == nil {
		return nil
	}
	return c.fatal
}

// Wait waits for the checks of git's credentials started so far, for a
// caller that wants git's helper told the result before it goes on (go
// itself does not wait: a check cut short only leaves the helper's cache
// as it was).
func (c *Credentials) Wait() {
	if c != nil {
		c.checks.Wait()
	}
}

// Apply adds the headers go would send with a first request for req, and
// reports whether it did: Add without an answer.
func (c *Credentials) Apply(req *http.Request) bool {
	ok, _ := c.Add(req, nil, nil)
	return ok
}

// Add is go's auth.AddCredentials: it adds to req the headers GOAUTH gives
// for req's URL and reports whether it did. The first call runs every
// method once. With resp, an https answer 4xx to a request for the same
// URL, every method runs again for that URL first, commands reading resp's
// status line and headers; send then carries git's check of its
// credentials. Only https requests get credentials, and one that already
// carries an Authorization header (set by its caller) gets none. The error
// is a GOAUTH value go refuses to run with.
func (c *Credentials) Add(req *http.Request, resp *http.Response, send Sender) (bool, error) {
	if c == nil || req.URL == nil || req.URL.Scheme != "https" {
		return false, nil
	}
	if c.fatal != nil {
		return false, fmt.Errorf("go: %w", c.fatal)
	}
	if len(c.methods) == 0 {
		return false, nil
	}
	c.once.Do(func() { c.run("", nil, send) })
	u := req.URL.String()
	if resp != nil {
		c.run(u, resp, send)
	}
	if req.Header.Get("Authorization") != "" {
		return false, nil
	}
	h := c.lookup(u)
	for k, vs := range h {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return len(h) > 0, nil
}

// run runs every method, the last first so that an earlier method's
// credentials overwrite a later one's, for url ("" before any request)
// after the answer resp. The errors are those of methods that gave
// nothing; like go without -x, Add does not show them.
func (c *Credentials) run(url string, resp *http.Response, send Sender) error {
	var errs []error
	for i := len(c.methods) - 1; i >= 0; i-- {
		m := c.methods[i]
		switch m.kind {
		case netrcMethod:
			// The netrc's lines last first too, so that a machine listed
			// twice keeps its first entry.
			for j := len(c.netrc) - 1; j >= 0; j-- {
				l := c.netrc[j]
				r := http.Request{Header: http.Header{}}
				r.SetBasicAuth(l.login, l.password)
				c.store(l.machine, r.Header)
			}
		case gitMethod:
			if url == "" {
				continue
			}
			prefix, header, out, err := gitFill(c.env, m.dir, url)
			if err != nil {
				errs = append(errs, fmt.Errorf("GOAUTH=%s: %w", m.text, err))
				continue
			}
			c.store(prefix, header)
			c.checkGit(send, m.dir, prefix, header, out)
		case commandMethod:
			creds, err := runCommand(c.env, m, url, resp)
			if err != nil {
				errs = append(errs, fmt.Errorf("GOAUTH=%s: %w", m.text, err))
				continue
			}
			for prefix, header := range creds {
				c.store(prefix, header)
			}
		}
	}
	return errors.Join(errs...)
}

// store keeps header for prefix, or forgets the prefix when header is
// empty (a command's way to withdraw credentials).
func (c *Credentials) store(prefix string, header http.Header) {
	prefix = strings.TrimSuffix(strings.TrimPrefix(prefix, "https://"), "/")
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(header) == 0 {
		delete(c.byPrefix, prefix)
		return
	}
	c.byPrefix[prefix] = header
}

// lookup returns the headers of the longest prefix of url, trying url and
// each shorter prefix at a '/' boundary.
func (c *Credentials) lookup(url string) http.Header {
	prefix := strings.TrimSuffix(strings.TrimPrefix(url, "https://"), "/")
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if h, ok := c.byPrefix[prefix]; ok {
			return h
		}
		slash := strings.LastIndexByte(prefix, '/')
		if slash < 0 {
			return nil
		}
		prefix = prefix[:slash]
	}
}
