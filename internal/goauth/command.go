package goauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"

	"github.com/gofastdev/gofast/internal/environ"
	"golang.org/x/net/http/httpguts"
)

// runCommand runs a GOAUTH command as go does (cmd/go/internal/auth's
// userauth.go): with the URL as an extra argument when there is one, the
// 4xx answer's status line and headers on stdin when there is one, and
// reads the credential sets it prints.
func runCommand(env environ.Environ, m method, url string, resp *http.Response) (map[string]http.Header, error) {
	if m.argvErr != nil {
		return nil, m.argvErr
	}
	args := append([]string(nil), m.argv[1:]...)
	if url != "" {
		args = append(args, url)
	}
	cmd := exec.Command(m.argv[0], args...)
	cmd.Env = env
	stderr := new(strings.Builder)
	cmd.Stderr = stderr
	if resp != nil {
		cmd.Stdin = strings.NewReader(responseText(resp))
	}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("could not run command %s: %w\n%s", m.text, err, stderr)
	}
	creds, err := parseUserAuth(string(out))
	if err != nil {
		return nil, fmt.Errorf("cannot parse output of GOAUTH command %s: %w", m.text, err)
	}
	return creds, nil
}

// responseText is what go writes to a command's stdin: the status line,
// one line per header (values joined by ", ") and an empty line.
func responseText(resp *http.Response) string {
	var b strings.Builder
	b.WriteString(resp.Proto + " " + resp.Status + "\n")
	for k, v := range resp.Header {
		b.WriteString(k + ": " + strings.Join(v, ", ") + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

// parseUserAuth reads a command's output ('go help goauth'): credential
// sets, each one or more URL lines, an empty line, header lines and an
// empty line. It returns the headers by prefix without "https://"; any
// malformed set makes the whole output an error, as in go.
func parseUserAuth(data string) (map[string]http.Header, error) {
	creds := map[string]http.Header{}
	for data != "" {
		var urls []string
		for {
			line, rest, ok := strings.Cut(data, "\n")
			if !ok {
				return nil, errors.New("invalid format: missing empty line after URLs")
			}
			data = rest
			if line == "" {
				break
			}
			u, err := url.ParseRequestURI(line)
			if err != nil {
				return nil, fmt.Errorf("could not parse URL %s: %w", line, err)
			}
			urls = append(urls, u.String())
		}
		header := http.Header{}
		for {
			line, rest, ok := strings.Cut(data, "\n")
			if !ok {
				return nil, errors.New("invalid format: missing empty line after headers")
			}
			data = rest
			if line == "" {
				break
			}
			name, value, ok := strings.Cut(line, ": ")
			value = strings.TrimSpace(value)
			if !ok || !httpguts.ValidHeaderFieldName(name) || !httpguts.ValidHeaderFieldValue(value) {
				return nil, errors.New("invalid format: invalid header line")
			}
			header.Add(name, value)
		}
		for _, u := range urls {
			creds[strings.TrimPrefix(u, "https://")] = header.Clone()
		}
	}
	return creds, nil
}

// splitQuoted splits a command into words as go does (cmd/internal/quoted):
// at spaces, with a word that starts with ' or " running to the same quote,
// without unescaping; quotes inside a word are plain characters.
func splitQuoted(s string) ([]string, error) {
	var words []string
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			return words, nil
		}
		if q := s[0]; q == '"' || q == '\'' {
			end := strings.IndexByte(s[1:], q)
			if end < 0 {
				return nil, fmt.Errorf("unterminated %c string", q)
			}
			words = append(words, s[1:1+end])
			s = s[2+end:]
			continue
		}
		end := strings.IndexAny(s, " \t\n\r")
		if end < 0 {
			end = len(s)
		}
		words = append(words, s[:end])
		s = s[end:]
	}
}
