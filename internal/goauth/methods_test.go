package goauth

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/environ"
)

func TestParseUserAuth(t *testing.T) {
	// The example of 'go help goauth'.
	got, err := parseUserAuth("https://example.com\nhttps://example.net/api/\n\nAuthorization: Basic <token>\n\nhttps://another-example.org/\n\nExample: Data\n\n")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]http.Header{
		"example.com":          {"Authorization": {"Basic <token>"}},
		"example.net/api/":     {"Authorization": {"Basic <token>"}},
		"another-example.org/": {"Example": {"Data"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("go's example: got %v, want %v", got, want)
	}
	if got, err := parseUserAuth(""); err != nil || len(got) != 0 {
		t.Errorf("no output: %v, %v; want nothing and no error", got, err)
	}
	// An http:// URL keeps its scheme, so no https request ever matches it.
	if got, err := parseUserAuth("http://example.com\n\nA: b\n\n"); err != nil || got["http://example.com"] == nil {
		t.Errorf("http URL: %v, %v", got, err)
	}
	for _, bad := range []string{
		"https://example.com\n",                      // no empty line after the URLs
		"https://example.com\n\nA: b\n",              // none after the headers
		"https://example.com\n\nA b\n\n",             // not "name: value"
		"https://example.com\n\nA\x01: b\n\n",        // not a token
		"https://example.com\n\nA: b\x01\n\n",        // a control byte in the value
		"example.com\n\nA: b\n\n",                    // not a request URI
		"https://example.com\n\nA: b\n\nhttps://x\n", // a later set is malformed
	} {
		if got, err := parseUserAuth(bad); err == nil {
			t.Errorf("parseUserAuth(%q) = %v, want an error", bad, got)
		}
	}
}

func TestSplitQuoted(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"cmd a b", []string{"cmd", "a", "b"}},
		{"  '/my dir/cmd'  \"x y\" z\t", []string{"/my dir/cmd", "x y", "z"}},
		{"a'b c'", []string{"a'b", "c'"}}, // quotes inside a word are plain
		{"''", []string{""}},
	} {
		if got, err := splitQuoted(tc.in); err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitQuoted(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := splitQuoted("cmd 'open"); err == nil {
		t.Error("an unterminated quote: want an error")
	}
}

func TestParseGitAuth(t *testing.T) {
	for _, tc := range []struct {
		out, prefix, user, password string
	}{
		{"protocol=https\nhost=mirror.example:8443\nusername=u\npassword=p\n", "https://mirror.example:8443", "u", "p"},
		{"protocol=https\nhost=mirror.example\npath=team/proxy\nusername=u\n", "https://mirror.example/team/proxy", "u", ""},
		{"protocol=https\nhost=a.example\nurl=https://b.example/x\npassword=p\n", "https://b.example/x", "", "p"},
		{"protocol=https\nhost=a.example\nurl=::bad\n", "https://a.example", "", ""}, // a bad url is ignored
		{"warning: something\n  username=u  \n", "", "u", ""},
	} {
		prefix, user, password := parseGitAuth([]byte(tc.out))
		if prefix != tc.prefix || user != tc.user || password != tc.password {
			t.Errorf("parseGitAuth(%q) = %q %q %q, want %q %q %q", tc.out, prefix, user, password, tc.prefix, tc.user, tc.password)
		}
	}
}

// TestCommandWithdrawsCredentials: a command's URL lines with no headers
// remove what a later method gave for that prefix, as in go.
func TestCommandWithdrawsCredentials(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake command is a shell script")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "cmd")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf 'https://gone.example\\n\\n\\n'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := writeNetrc(t, "machine gone.example login a password b\nmachine kept.example login c password d\n")
	c, err := Load(script+"; netrc", env)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := authOf(t, c, "https://gone.example/m"); ok {
		t.Error("gone.example still gets netrc's credentials")
	}
	if u, _, ok := authOf(t, c, "https://kept.example/m"); !ok || u != "c" {
		t.Errorf("kept.example: user %q, sent %v", u, ok)
	}
}

// TestGitCredentialApproveReject: after git's credentials are used, a
// HEAD request checks them and git's helper is told: store after a 200,
// erase after a 401.
func TestGitCredentialApproveReject(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	for _, tc := range []struct {
		status int
		action string
	}{{http.StatusOK, "store"}, {http.StatusUnauthorized, "erase"}} {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
		}))
		home, dir := t.TempDir(), t.TempDir()
		log := filepath.Join(home, "helper.log")
		env := environ.Environ{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=" + filepath.Join(home, "gitconfig"), "GIT_TERMINAL_PROMPT=0"}
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
		c, err := Load("git "+dir, env)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/m/@v/list", nil)
		if c.Apply(req) {
			t.Fatal("git gave credentials before any URL was asked for")
		}
		answer := &http.Response{Proto: "HTTP/1.1", Status: "401 Unauthorized", StatusCode: 401, Header: http.Header{}}
		ok, err := c.Add(req, answer, srv.Client().Do)
		c.Wait()
		srv.Close()
		if u, p, _ := req.BasicAuth(); !ok || err != nil || u != "u" || p != "p" {
			t.Fatalf("after a 401: added %v (%v), user %q password %q", ok, err, u, p)
		}
		b, _ := os.ReadFile(log)
		if got, want := strings.Fields(string(b)), []string{"get", tc.action}; !reflect.DeepEqual(got, want) {
			t.Errorf("HEAD answered %d: the helper was run for %q, want %q", tc.status, got, want)
		}
	}
}

// TestGitPrefixMustStartTheURL: credentials git names for another URL
// than the one asked for are refused, as go refuses them.
func TestGitPrefixMustStartTheURL(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake git is a shell script")
	}
	bin := t.TempDir()
	fake := "#!/bin/sh\ncat >/dev/null\nprintf 'protocol=https\\nhost=other.example\\nusername=u\\npassword=p\\n'\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(fake), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	_, _, _, err := gitFill(nil, t.TempDir(), "https://mirror.example/m/@v/list")
	if err == nil || !strings.Contains(err.Error(), "provided one for https://other.example") {
		t.Fatalf("err = %v, want go's refusal of another URL's credentials", err)
	}
	c, err := Load("git "+t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://mirror.example/m/@v/list", nil)
	if ok, _ := c.Add(req, &http.Response{Proto: "HTTP/1.1", Status: "401 Unauthorized", Header: http.Header{}}, nil); ok {
		t.Errorf("sent %q to mirror.example", req.Header.Get("Authorization"))
	}
	req, _ = http.NewRequest(http.MethodGet, "https://other.example/m/@v/list", nil)
	if c.Apply(req) {
		t.Errorf("other.example got %q", req.Header.Get("Authorization"))
	}
}
