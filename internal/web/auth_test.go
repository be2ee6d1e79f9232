package web

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gofastdev/gofast/internal/environ"
	"github.com/gofastdev/gofast/internal/goauth"
)

// authMirror is a TLS mirror that answers 200 only to requests carrying
// one of the accepted Authorization values, and 401 otherwise, and keeps
// every request's headers.
type authMirror struct {
	*httptest.Server
	host string // host:port, the GOAUTH prefix of the mirror
	mu   sync.Mutex
	got  []http.Header
}

func newAuthMirror(t *testing.T, accept ...string) *authMirror {
	m := &authMirror{}
	m.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.got = append(m.got, r.Header.Clone())
		m.mu.Unlock()
		a := r.Header.Get("Authorization")
		for _, ok := range accept {
			if a == ok {
				w.Write([]byte("ok"))
				return
			}
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="mirror"`)
		http.Error(w, "login", http.StatusUnauthorized)
	}))
	t.Cleanup(m.Close)
	u, _ := url.Parse(m.URL)
	m.host = u.Host
	return m
}

func (m *authMirror) auths() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, h := range m.got {
		out = append(out, h.Get("Authorization"))
	}
	return out
}

func (m *authMirror) options() Options {
	return trusting(&recorder{Server: m.Server})
}

func basicValue(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// sendGet sends a GET for u through Send and returns its status.
func sendGet(t *testing.T, c *http.Client, auth Authenticator, u string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := Send(req, auth, c.Do)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// baseEnv is an environment in which commands and git find their tools
// and no configuration of the machine's user.
func baseEnv(t *testing.T) environ.Environ {
	home := t.TempDir()
	return environ.Environ{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"GIT_CONFIG_GLOBAL=" + filepath.Join(home, "gitconfig"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"NETRC=" + filepath.Join(home, "no-netrc"),
	}
}

// fakeCommand writes a GOAUTH command that logs each run (its arguments
// and stdin) and prints output when it got at least minArgs arguments. It
// returns the GOAUTH value naming it (quoted, as go's splitting allows)
// and a function returning the log.
func fakeCommand(t *testing.T, minArgs int, output string) (string, func() string) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake GOAUTH command is a shell script")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	out := filepath.Join(dir, "out")
	if err := os.WriteFile(out, []byte(output), 0o600); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n" +
		"echo \"run $#\" >> '" + log + "'\n" +
		"for a in \"$@\"; do echo \"arg $a\" >> '" + log + "'; done\n" +
		"if [ $# -gt 0 ]; then cat >> '" + log + "'; fi\n" +
		"if [ $# -ge " + string(rune('0'+minArgs)) + " ]; then cat '" + out + "'; fi\n"
	path := filepath.Join(dir, "auth helper")
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return "'" + path + "' --flag", func() string {
		b, _ := os.ReadFile(log)
		return string(b)
	}
}

// fakeGitDir makes a git working directory whose credential helper gives
// user u, password p, and logs the helper's actions to the returned file.
func fakeGitDir(t *testing.T, env environ.Environ) (string, string) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "helper.log")
	for _, args := range [][]string{
		{"init", "-q", dir},
		{"-C", dir, "config", "credential.helper", `!f() { echo "$1" >> '` + log + `'; test "$1" = get && { echo username=u; echo password=p; }; true; }; f`},
	} {
		cmd := exec.Command("git", args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", args, err, out)
		}
	}
	return dir, log
}

func load(t *testing.T, value string, env environ.Environ) *goauth.Credentials {
	t.Helper()
	c, err := goauth.Load(value, env)
	if err != nil {
		t.Fatalf("GOAUTH=%s: %v", value, err)
	}
	return c
}

// TestSendRunsCommandAfter4xx: a command that gives credentials only when
// asked for a URL. The first request goes without; its 401 makes go run
// the command again with the URL as an extra argument and the answer's
// status line and headers on stdin, and send the request once more with
// the command's headers.
func TestSendRunsCommandAfter4xx(t *testing.T) {
	m := newAuthMirror(t, "Bearer tok")
	cmd, log := fakeCommand(t, 2, "https://"+m.host+"/\n\nAuthorization: Bearer tok\n\n")
	auth := load(t, cmd, baseEnv(t))
	u := m.URL + "/example.com/m/@v/list"
	if code := sendGet(t, NewClient(m.options()), auth, u); code != http.StatusOK {
		t.Fatalf("status %d, want 200; mirror saw %q; command log:\n%s", code, m.auths(), log())
	}
	if got := m.auths(); len(got) != 2 || got[0] != "" || got[1] != "Bearer tok" {
		t.Errorf("the mirror saw %q, want no credentials, then the command's", got)
	}
	l := log()
	if !strings.HasPrefix(l, "run 1\narg --flag\nrun 2\narg --flag\narg "+u+"\nHTTP/1.1 401 Unauthorized\n") ||
		!strings.Contains(l, "Www-Authenticate: Basic realm=\"mirror\"\n") {
		t.Errorf("command runs:\n%s\nwant one without the URL and input, then one with the URL and the 401 answer", l)
	}
}

// TestSendCommandBeforeFirstRequest: credentials the command prints when
// run without a URL go with the first request, and the command runs once
// for all requests that succeed.
func TestSendCommandBeforeFirstRequest(t *testing.T) {
	m := newAuthMirror(t, "Bearer early")
	cmd, log := fakeCommand(t, 0, "https://elsewhere.example\nhttps://"+m.host+"\n\nAuthorization: Bearer early\n\n")
	auth := load(t, cmd, baseEnv(t))
	c := NewClient(m.options())
	for _, p := range []string{"/a/@v/list", "/b/@v/list"} {
		if code := sendGet(t, c, auth, m.URL+p); code != http.StatusOK {
			t.Fatalf("status %d, want 200", code)
		}
	}
	if got := m.auths(); len(got) != 2 || got[0] != "Bearer early" || got[1] != "Bearer early" {
		t.Errorf("the mirror saw %q, want the command's credentials on both requests", got)
	}
	if n := strings.Count(log(), "run "); n != 1 {
		t.Errorf("the command ran %d times, want once:\n%s", n, log())
	}
}

// TestSendGitCredentialHelper: GOAUTH='git dir' runs 'git credential
// fill' in dir after a 401 and retries with the helper's user and
// password.
func TestSendGitCredentialHelper(t *testing.T) {
	env := baseEnv(t)
	dir, _ := fakeGitDir(t, env)
	m := newAuthMirror(t, basicValue("u", "p"))
	auth := load(t, "git "+dir, env)
	defer auth.Wait()
	if code := sendGet(t, NewClient(m.options()), auth, m.URL+"/example.com/m/@v/v1.0.0.info"); code != http.StatusOK {
		t.Fatalf("status %d, want 200; the mirror saw %q", code, m.auths())
	}
	if got := m.auths(); len(got) < 2 || got[0] != "" || got[1] != basicValue("u", "p") {
		t.Errorf("the mirror saw %q, want no credentials, then git's", got)
	}
}

// TestSendNetrcAndGit: a list of methods. Each mirror gets the method
// that knows it, and where two methods know one mirror the earlier wins,
// as in go: with "netrc; git dir" a wrong netrc password is what is sent,
// with "git dir; netrc" git's credentials replace it after the 401.
func TestSendNetrcAndGit(t *testing.T) {
	env := baseEnv(t)
	dir, _ := fakeGitDir(t, env)
	byNetrc := newAuthMirror(t, basicValue("n", "np"))
	byGit := newAuthMirror(t, basicValue("u", "p"))
	netrc := filepath.Join(t.TempDir(), "netrc")
	text := "machine " + byNetrc.host + " login n password np\nmachine " + byGit.host + " login n password wrong\n"
	if err := os.WriteFile(netrc, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	env = env.With("NETRC", netrc)
	c := NewClient(byNetrc.options())

	auth := load(t, "netrc; git "+dir, env)
	defer auth.Wait()
	if code := sendGet(t, c, auth, byNetrc.URL+"/m/@v/list"); code != http.StatusOK {
		t.Errorf("netrc's mirror: status %d, want 200", code)
	}
	if got := byNetrc.auths(); len(got) != 1 {
		t.Errorf("netrc's mirror saw %q, want one request with netrc's credentials", got)
	}
	if code := sendGet(t, c, auth, byGit.URL+"/m/@v/list"); code != http.StatusUnauthorized {
		t.Errorf("netrc first: git's mirror answered %d, want 401 (netrc's entry wins)", code)
	}

	auth = load(t, "git "+dir+"; netrc", env)
	defer auth.Wait()
	if code := sendGet(t, c, auth, byGit.URL+"/m/@v/list"); code != http.StatusOK {
		t.Errorf("git first: git's mirror answered %d, want 200; it saw %q", code, byGit.auths())
	}
}

// TestSendOff: GOAUTH=off sends nothing, though netrc knows the mirror,
// and a 401 is the answer, with no second request.
func TestSendOff(t *testing.T) {
	m := newAuthMirror(t, basicValue("n", "np"))
	netrc := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(netrc, []byte("machine "+m.host+" login n password np\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	auth := load(t, "off", baseEnv(t).With("NETRC", netrc))
	if code := sendGet(t, NewClient(m.options()), auth, m.URL+"/m/@v/list"); code != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", code)
	}
	if got := m.auths(); len(got) != 1 || got[0] != "" {
		t.Errorf("the mirror saw %q, want one request without credentials", got)
	}
}

// TestSendNoCredentialsOverHTTP: go adds GOAUTH credentials to https
// requests only, loopback included, and runs no method for plain http.
func TestSendNoCredentialsOverHTTP(t *testing.T) {
	plain := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "login", http.StatusUnauthorized)
	})
	pu, _ := url.Parse(plain.URL)
	cmd, log := fakeCommand(t, 0, "https://"+pu.Host+"\n\nAuthorization: Bearer leak\n\n")
	netrc := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(netrc, []byte("machine "+pu.Host+" login n password np\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	auth := load(t, cmd+"; netrc", baseEnv(t).With("NETRC", netrc))
	if code := sendGet(t, NewClient(Options{}), auth, plain.URL+"/m/@v/list"); code != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", code)
	}
	if got := plain.seen(); len(got) != 1 || got[0] != "" {
		t.Errorf("the plain-http mirror saw %q, want one request without credentials", got)
	}
	if l := log(); l != "" {
		t.Errorf("the command ran for a plain-http request:\n%s", l)
	}
}

// TestSendCommandHeadersStayOnTheirHost: every header a command gives,
// not only Authorization, is dropped on a redirect to another host.
func TestSendCommandHeadersStayOnTheirHost(t *testing.T) {
	var mu sync.Mutex
	var landed []http.Header
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		landed = append(landed, r.Header.Clone())
		mu.Unlock()
	}))
	t.Cleanup(other.Close)
	first := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Mirror-Token") != "t0k" {
			http.Error(w, "login", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
	}))
	t.Cleanup(first.Close)
	fu, _ := url.Parse(first.URL)
	cmd, _ := fakeCommand(t, 0, "https://"+fu.Host+"\n\nAuthorization: Bearer tok\nX-Mirror-Token: t0k\n\n")
	auth := load(t, cmd, baseEnv(t))
	c := NewClient(trusting(&recorder{Server: first}))
	if code := sendGet(t, c, auth, first.URL+"/m/@v/list"); code != http.StatusOK {
		t.Fatalf("status %d, want 200 from the other host", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(landed) != 1 {
		t.Fatalf("the other host got %d requests, want 1", len(landed))
	}
	for _, k := range []string{"Authorization", "X-Mirror-Token"} {
		if v := landed[0].Get(k); v != "" {
			t.Errorf("the other host got %s: %q", k, v)
		}
	}
}
