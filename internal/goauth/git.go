package goauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"time"

	"github.com/gofastdev/gofast/internal/environ"
)

// gitCheckTries and gitCheckTimeout bound the check of git's credentials:
// go tries its HEAD request up to three times.
const (
	gitCheckTries   = 3
	gitCheckTimeout = 30 * time.Second
)

// gitFill runs 'git credential fill' in dir for url, as go does
// (cmd/go/internal/auth's gitauth.go), and returns the URL prefix git's
// answer names, the Authorization header of its user name and password,
// and git's output for the approve or reject that follows. A prefix that
// does not start url is refused, so that git cannot hand credentials for
// one host to a request for another.
func gitFill(env environ.Environ, dir, url string) (prefix string, header http.Header, out []byte, err error) {
	cmd := exec.Command("git", "credential", "fill")
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader("url=" + url + "\n")
	out, err = cmd.CombinedOutput()
	if err != nil {
		return "", nil, nil, fmt.Errorf("'git credential fill' failed (url=%s): %w\n%s", url, err, out)
	}
	prefix, user, password := parseGitAuth(out)
	if prefix == "" {
		return "", nil, nil, fmt.Errorf("'git credential fill' failed for url=%s, could not parse url", url)
	}
	if !strings.HasPrefix(url, prefix) {
		return "", nil, nil, fmt.Errorf("requested a credential for %s, but 'git credential fill' provided one for %s", url, prefix)
	}
	r := http.Request{Header: http.Header{}}
	r.SetBasicAuth(user, password)
	return prefix, r.Header, out, nil
}

// parseGitAuth reads git's key=value lines: the prefix from protocol, host
// and path, or from url (which replaces them when it parses), and the user
// name and password. Any of them may be empty.
func parseGitAuth(data []byte) (prefix, user, password string) {
	u := new(url.URL)
	for _, line := range strings.Split(string(data), "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		switch key {
		case "protocol":
			u.Scheme = value
		case "host":
			u.Host = value
		case "path":
			u.Path = value
		case "username":
			user = value
		case "password":
			password = value
		case "url":
			if parsed, err := url.ParseRequestURI(value); err == nil {
				u = parsed
			}
		}
	}
	return u.String(), user, password
}

// checkGit sends, in the background as go does, a HEAD request with git's
// credentials to the prefix git named, and tells git's helper the result:
// 'git credential approve' after a 200, 'reject' after a 401, nothing when
// three tries give neither. That keeps a caching helper from asking again
// for credentials that work, and from handing out ones that do not. Unlike
// go, which runs approve and reject wherever it is, git runs in dir here
// too, the directory GOAUTH chose for it.
func (c *Credentials) checkGit(send Sender, dir, prefix string, header http.Header, out []byte) {
	if send == nil {
		return
	}
	c.checks.Add(1)
	go func() {
		defer c.checks.Done()
		for range gitCheckTries {
			code, err := headStatus(send, prefix, header)
			if err != nil {
				continue
			}
			if code == http.StatusOK || code == http.StatusUnauthorized {
				action := "reject"
				if code == http.StatusOK {
					action = "approve"
				}
				cmd := exec.Command("git", "credential", action)
				cmd.Dir = dir
				cmd.Env = c.env
				cmd.Stdin = bytes.NewReader(out)
				_ = cmd.Run() // Best effort, as in go: the helper's cache is a convenience.
				return
			}
		}
	}()
}

func headStatus(send Sender, prefix string, header http.Header) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), gitCheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, prefix, nil)
	if err != nil {
		return 0, err
	}
	if req.URL.Scheme != "https" {
		return 0, errors.New("git's credentials are checked over https only")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := send(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
