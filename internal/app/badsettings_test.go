package app

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// TestPrefetchBadSettings checks that settings no download can succeed
// with are reported once, in one line naming the setting, before anything
// is fetched, rather than once per module as if each module were at
// fault; and that a GOFAST_TTL that does not parse is ignored with a
// warning, as a bad GOFAST_JOBS is.
func TestPrefetchBadSettings(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go not on PATH")
	}
	mods := []proxytest.Module{{Path: "example.com/a", Version: "v1.0.0"}, {Path: "example.com/b", Version: "v1.2.0"}}
	tree := proxytest.MustBuild(mods...)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/main\n\ngo 1.21\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.2.0\n)\n"), 0o666)
	os.WriteFile(filepath.Join(dir, "go.sum"), []byte(tree.GoSum(mods...)), 0o666)

	for _, tc := range []struct {
		name  string
		env   []string
		code  int
		line  string
		fetch bool
	}{
		{name: "GOFAST_MIRRORS bad scheme", env: []string{"GOFAST_MIRRORS=gopher://127.0.0.1/"}, code: 1, line: "GOFAST_MIRRORS: invalid proxy URL scheme"},
		{name: "GOPROXY without entries", env: []string{"GOPROXY= , | "}, code: 1, line: "GOPROXY list is not the empty string"},
		{name: "GOPROXY bad scheme", env: []string{"GOPROXY=ftp://127.0.0.1/"}, code: 1, line: "GOPROXY: invalid proxy URL scheme"},
		{name: "GOFAST_TTL garbage", env: []string{"GOFAST_TTL=garbage"}, code: 0, line: "ignoring GOFAST_TTL=garbage", fetch: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := proxytest.New(t, proxytest.Options{FS: tree.FS})
			cache := t.TempDir()
			env := append(proxytest.GoEnv(os.Environ(), srv, cache), "HOME="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir(), "GOPATH="+t.TempDir())
			env = append(env, tc.env...)
			var stdout, stderr bytes.Buffer
			err := Run(context.Background(), Options{
				Args: []string{"gofast", "prefetch", "-C", dir}, Env: env,
				Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
			})
			code := ExitCode(err, &stderr)
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if code != tc.code || !strings.Contains(lines[0], tc.line) {
				t.Fatalf("exit %d, want %d with a first line containing %q:\n%s", code, tc.code, tc.line, stderr.String())
			}
			if !tc.fetch {
				if len(lines) != 1 || strings.Contains(stderr.String(), "example.com/") {
					t.Errorf("want one line naming no module:\n%s", stderr.String())
				}
				if n := len(srv.Requests()); n != 0 {
					t.Errorf("%d requests sent with settings that cannot work", n)
				}
			}
		})
	}
}
