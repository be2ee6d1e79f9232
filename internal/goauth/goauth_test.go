package goauth

import (
	"encoding/base64"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/gofastdev/gofast/internal/environ"
	"github.com/gofastdev/gofast/internal/proxytest"
)

func TestParseNetrc(t *testing.T) {
	const text = `machine incomplete.example login only
machine a.example login alice password pa
machine b.example
  login bob
  password pb

macdef init
machine hidden.example login h password ph
cd /pub

machine a.example login second password p2
machine c.example login carol password pc account x
default
login anon password anon
machine after.example login late password pl
`
	got := parseNetrc(text)
	want := []netrcLine{
		{"a.example", "alice", "pa"},
		{"b.example", "bob", "pb"},
		{"a.example", "second", "p2"},
		{"c.example", "carol", "pc"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseNetrc:\n got %q\nwant %q", got, want)
	}
	// go stops only at a "default" that ends a line's pairs; one followed
	// by its login on the same line is read on, and so is the rest.
	got = parseNetrc("default login anon password anon\nmachine m login l password p\n")
	if want := []netrcLine{{"m", "l", "p"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("default with tokens: got %q, want %q", got, want)
	}
}

// writeNetrc writes netrc text and returns the environment pointing at it.
func writeNetrc(t *testing.T, text string) environ.Environ {
	t.Helper()
	return environ.Environ{"NETRC=" + proxytest.NetrcText(t, text)}
}

func authOf(t *testing.T, c *Credentials, rawURL string) (user, pass string, ok bool) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Apply(req) {
		return "", "", false
	}
	return basic(t, req)
}

func basic(t *testing.T, req *http.Request) (string, string, bool) {
	t.Helper()
	u, p, ok := req.BasicAuth()
	if !ok {
		t.Fatalf("Authorization %q is not basic", req.Header.Get("Authorization"))
	}
	return u, p, true
}

func TestApplyMatchesGo(t *testing.T) {
	env := writeNetrc(t, `machine mirror.example login alice password pa
machine mirror.example login later password ignored
machine ported.example:8443 login pat password pp
machine scoped.example/team login tess password pt
`)
	c, err := Load("", env)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		url, user string
	}{
		{"https://mirror.example/github.com/x/y/@v/list", "alice"}, // first entry wins
		{"https://mirror.example", "alice"},
		{"https://mirror.example:443/a", ""}, // a port is part of the key
		{"http://mirror.example/a", ""},      // never over http
		{"https://ported.example:8443/m/@v/v1.0.0.zip", "pat"},
		{"https://ported.example/m", ""},
		{"https://scoped.example/team/goproxy/m/@v/list", "tess"},
		{"https://scoped.example/other/m/@v/list", ""},
		{"https://scoped.example/teamx/m", ""}, // prefixes end at '/'
		{"https://elsewhere.example/m", ""},
	} {
		u, _, ok := authOf(t, c, tc.url)
		if u != tc.user || ok != (tc.user != "") {
			t.Errorf("%s: user %q (sent %v), want %q", tc.url, u, ok, tc.user)
		}
	}
}

func TestApplyKeepsExistingAuthorization(t *testing.T) {
	c, _ := Load("netrc", writeNetrc(t, "machine m.example login a password b\n"))
	req, _ := http.NewRequest(http.MethodGet, "https://m.example/x", nil)
	req.Header.Set("Authorization", "Bearer t")
	if c.Apply(req) || req.Header.Get("Authorization") != "Bearer t" {
		t.Fatalf("Apply replaced an explicit Authorization: %q", req.Header.Get("Authorization"))
	}
	req, _ = http.NewRequest(http.MethodGet, "https://m.example/x", nil)
	if !c.Apply(req) {
		t.Fatal("no credentials applied")
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b"))
	if got := req.Header.Get("Authorization"); got != want {
		t.Fatalf("Authorization %q, want %q", got, want)
	}
}

func TestLoadMethods(t *testing.T) {
	env := writeNetrc(t, "machine m.example login a password b\n")
	off, err := Load("off", env)
	if err != nil || off.Has() {
		t.Errorf("GOAUTH=off: %v, has=%v", err, off.Has())
	}
	if _, err := Load("off;netrc", env); err == nil {
		t.Error("GOAUTH=off;netrc: want an error, as go gives")
	}
	if _, err := Load("netrc;;netrc", env); err == nil {
		t.Error("empty method: want an error")
	}
	c, err := Load("git "+t.TempDir()+"; netrc", env)
	if err != nil || !c.Has() {
		t.Errorf("git;netrc: err=%v has=%v", err, c.Has())
	}
	// A command may give credentials once it runs.
	c, err = Load("my-helper --flag", env)
	if err != nil || !c.Has() {
		t.Errorf("custom command alone: err=%v has=%v", err, c.Has())
	}
	// go refuses a git dir that is relative, missing or not a directory,
	// and git with other than one argument.
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"git", "git src/repo", "git " + filepath.Join(t.TempDir(), "none"), "git " + file, "git a b"} {
		c, err := Load(v, env)
		if err == nil || c.Has() {
			t.Errorf("GOAUTH=%s: err=%v has=%v, want go's refusal", v, err, c.Has())
		}
		req, _ := http.NewRequest(http.MethodGet, "https://m.example/x", nil)
		if _, err := c.Add(req, nil, nil); err == nil {
			t.Errorf("GOAUTH=%s: a request goes on", v)
		}
	}
}

func TestMissingAndUnreadableNetrc(t *testing.T) {
	dir := t.TempDir()
	c, err := Load("", environ.Environ{"NETRC=" + filepath.Join(dir, "none")})
	if err != nil || c.Has() {
		t.Fatalf("missing netrc: err=%v has=%v", err, c.Has())
	}
	if _, err := ReadMachines(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadMachines of a missing file: %v", err)
	}
	if _, err := Load("", environ.Environ{"NETRC=" + dir}); err == nil {
		t.Fatal("a directory as netrc: want a read error")
	}
	if c, err := Load("", nil); err != nil || c.Has() || NetrcPath(nil) != "" {
		t.Fatalf("no home: err=%v has=%v path=%q", err, c.Has(), NetrcPath(nil))
	}
}

func TestNetrcPathFromHome(t *testing.T) {
	home := t.TempDir()
	key := "HOME"
	if runtime.GOOS == "windows" {
		key = "USERPROFILE"
	}
	if got, want := NetrcPath(environ.Environ{key + "=" + home}), filepath.Join(home, ".netrc"); got != want {
		t.Fatalf("NetrcPath = %q, want %q", got, want)
	}
	if got := NetrcPath(environ.Environ{key + "=" + home, "NETRC=/x/y"}); got != "/x/y" {
		t.Fatalf("NETRC not honoured: %q", got)
	}
}

func TestReadMachinesHidesSecrets(t *testing.T) {
	env := writeNetrc(t, "machine m.example login a password secret\n")
	ms, err := ReadMachines(NetrcPath(env))
	if err != nil {
		t.Fatal(err)
	}
	if want := []Machine{{"m.example", "a"}}; !reflect.DeepEqual(ms, want) {
		t.Fatalf("ReadMachines = %+v, want %+v", ms, want)
	}
}

func FuzzParseNetrc(f *testing.F) {
	f.Add("machine a login b password c\n")
	f.Add("macdef x\nmachine a login b password c\n\nmachine d login e password f")
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range parseNetrc(s) {
			if l.machine == "" || l.login == "" || l.password == "" {
				t.Fatalf("incomplete entry %+v from %q", l, s)
			}
		}
	})
}
