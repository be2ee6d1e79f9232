package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// mirrorsTestEnv is an environment in which `gofast mirrors` sees only
// loopback mirrors: GOPROXY as given, no user go env file, a private user
// cache, and the real go tool for `go env -json`.
func mirrorsTestEnv(t *testing.T, goproxy, gosumdb string, extra ...string) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	home := t.TempDir()
	env := append(proxytest.GoEnv(os.Environ(), nil, filepath.Join(home, "modcache")),
		"GOPROXY="+goproxy, "GOSUMDB="+gosumdb, "GOFAST_GO="+goTool,
		"HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, "cache"), "LocalAppData="+filepath.Join(home, "cache"),
		"GOPATH="+filepath.Join(home, "gopath"))
	return append(env, extra...)
}

// runMirrorsCmd runs gofast with args and returns stdout, stderr and the
// exit code.
func runMirrorsCmd(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), Options{
		Args: append([]string{"gofast"}, args...), Env: env,
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
	})
	code := ExitCode(err, &stderr)
	return stdout.String(), stderr.String(), code
}

func TestMirrorsCommandJSON(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: "golang.org/x/text", Version: "v0.3.8"})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	stalled := proxytest.New(t, proxytest.Options{FS: tree.FS, Stall: true})
	// Credentials over plain http are refused, as go refuses them: that
	// mirror fails without a request, and its password is never printed.
	withCreds := strings.Replace(good.URL, "://", "://ci:s3cret@", 1)
	env := mirrorsTestEnv(t, stalled.URL+"|"+good.URL+"|"+withCreds+",off", good.GOSUMDB)

	out, errOut, code := runMirrorsCmd(t, env, "mirrors", "--json", "--fresh")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "s3cret") {
		t.Errorf("credentials printed:\n%s%s", out, errOut)
	}
	var doc struct {
		Mirrors []struct {
			URL    string   `json:"url"`
			OK     bool     `json:"ok"`
			TTFBms *float64 `json:"ttfb_ms"`
			SumDB  bool     `json:"sumdb"`
			Error  *string  `json:"error"`
		} `json:"mirrors"`
		Chain     string `json:"chain"`
		FromCache bool   `json:"from_cache"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	redacted := strings.Replace(good.URL, "://", "://ci:xxxxx@", 1)
	// The stalled mirror, followed by '|', is left out; the refused one,
	// followed by ',', stays, as go relies on it.
	if want := good.URL + "|" + redacted + ",off"; doc.Chain != want {
		t.Errorf("chain = %q, want %q", doc.Chain, want)
	}
	if len(doc.Mirrors) != 3 {
		t.Fatalf("mirrors: %+v", doc.Mirrors)
	}
	first, second, third := doc.Mirrors[0], doc.Mirrors[1], doc.Mirrors[2]
	if first.URL != good.URL || !first.OK || !first.SumDB || first.TTFBms == nil || *first.TTFBms <= 0 || first.Error == nil || *first.Error != "" {
		t.Errorf("working mirror: %+v", first)
	}
	if second.URL != redacted || second.OK || second.Error == nil || !strings.Contains(*second.Error, "refusing to pass credentials to insecure URL") {
		t.Errorf("mirror with credentials over http: %+v", second)
	}
	if third.URL != stalled.URL || third.OK || third.Error == nil || !strings.Contains(*third.Error, "no answer within") {
		t.Errorf("stalled mirror: %+v", third)
	}

	// Without --fresh the remembered ranking is shown, with no request.
	before := len(good.Requests())
	out, _, code = runMirrorsCmd(t, env, "mirrors", "--json")
	if code != 0 || !strings.Contains(out, `"from_cache": true`) || len(good.Requests()) != before {
		t.Errorf("second run: exit %d, %d new requests\n%s", code, len(good.Requests())-before, out)
	}
}

func TestMirrorsCommandTable(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: "golang.org/x/text", Version: "v0.3.8"})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS})
	env := mirrorsTestEnv(t, "https://corp.invalid,off", "off", "GOFAST_MIRRORS="+good.URL)
	out, errOut, code := runMirrorsCmd(t, env, "mirrors", "test")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("gofast mirrors test:\n%s", out)
	for _, want := range []string{"MIRROR", "STATUS", "TTFB", "THROUGHPUT", "SUMDB", "ERROR", good.URL + "  ok 200", "GOPROXY=" + good.URL + ",off", "B/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if errOut != "" {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestMirrorsCommandNothingWorks(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: "golang.org/x/text", Version: "v0.3.8"})
	broken := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: func(*http.Request) proxytest.Fault {
		return proxytest.Fault{Kind: proxytest.Status, Status: 503, Body: []byte("down")}
	}})
	env := mirrorsTestEnv(t, broken.URL+"|"+broken.URL+"/again,direct", "off")
	out, errOut, code := runMirrorsCmd(t, env, "mirrors", "--json", "--fresh")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "gofast: no mirror works") || !strings.Contains(lines[0], "GOPROXY left unchanged") {
		t.Errorf("stderr: %q", errOut)
	}
	if !strings.Contains(out, `"chain": "`+broken.URL+"|"+broken.URL+`/again,direct"`) {
		t.Errorf("chain is not the user's GOPROXY unchanged:\n%s", out)
	}
	if _, _, code := runMirrorsCmd(t, env, "mirrors", "use", "--write"); code != 1 {
		t.Errorf("use --write with nothing working: exit %d", code)
	}
}

func TestMirrorsUseWrite(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: "golang.org/x/text", Version: "v0.3.8"})
	good := proxytest.New(t, proxytest.Options{FS: tree.FS})
	goenvFile := filepath.Join(t.TempDir(), "go.env")
	env := mirrorsTestEnv(t, "https://corp.invalid,off", "off", "GOFAST_MIRRORS="+good.URL+",https://127.0.0.1:1", "GOENV="+goenvFile)
	out, errOut, code := runMirrorsCmd(t, env, "mirrors", "use")
	if code != 0 || out != "GOPROXY="+good.URL+",off\n" {
		t.Fatalf("use: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(goenvFile); err == nil {
		t.Fatalf("use without --write wrote %s", goenvFile)
	}
	_, errOut, code = runMirrorsCmd(t, env, "mirrors", "use", "--write")
	if code != 0 {
		t.Fatalf("use --write: exit %d, stderr %q", code, errOut)
	}
	data, err := os.ReadFile(goenvFile)
	if err != nil || !strings.Contains(string(data), "GOPROXY="+good.URL+",off") {
		t.Errorf("go env file: %q, %v", data, err)
	}
}

func TestMirrorsCommandUsage(t *testing.T) {
	env := mirrorsTestEnv(t, "off", "off")
	for _, args := range [][]string{{"mirrors", "extra"}, {"mirrors", "--bogus"}, {"mirrors", "test", "--fresh"}} {
		if _, errOut, code := runMirrorsCmd(t, env, args...); code != 2 {
			t.Errorf("gofast %s: exit %d, want 2 (%s)", strings.Join(args, " "), code, errOut)
		}
	}
}
