package lockcheck

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// goTool returns the go command for tests that run it, or skips.
func goTool(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the go command")
	}
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	return p
}

// goEnv is the environment for a go command that downloads into cache from
// the test proxy srv and nowhere else (proxytest.GoEnv), with GOPATH and the
// build cache in the test's own directories, and a writable module cache so
// that the test directories can be removed. The test modules are private to
// the test and srv serves no checksum database, so GoEnv turns GOSUMDB off
// for this go command only; go.sum still pins every module.
func goEnv(t *testing.T, cache string, srv *proxytest.Server) []string {
	t.Helper()
	home := t.TempDir()
	return append(proxytest.GoEnv(os.Environ(), srv, cache),
		"HOME="+home,
		"GOPATH="+filepath.Join(home, "gopath"),
		"GOCACHE="+filepath.Join(home, "gocache"),
		"GOFLAGS=-mod=mod -modcacherw",
	)
}

// mainModule writes a module requiring mods, with their go.sum lines, in a
// new directory.
func mainModule(t *testing.T, tree *proxytest.Tree, mods []proxytest.Module) string {
	t.Helper()
	dir := t.TempDir()
	var gomod strings.Builder
	gomod.WriteString("module example.com/main\n\ngo 1.21\n\nrequire (\n")
	for _, m := range mods {
		fmt.Fprintf(&gomod, "\t%s %s\n", m.Path, m.Version)
	}
	gomod.WriteString(")\n")
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod.String()), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), []byte(tree.GoSum(mods...)), 0o666); err != nil {
		t.Fatal(err)
	}
	return dir
}

// goCommand is a go command run in dir with env, its output collected.
func goCommand(ctx context.Context, goBin, dir string, env []string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	return cmd, &out
}

// TestFixRacesRealGo runs Scan with Fix over and over while three real
// `go mod download` processes fill one empty module cache from a loopback
// proxy, with leftovers of a "crashed" earlier download planted in it. Both
// sides clean up under the version locks, so go must succeed and the cache
// must verify.
func TestFixRacesRealGo(t *testing.T) {
	goBin := goTool(t)
	var mods []proxytest.Module
	for i := 0; i < 12; i++ {
		mods = append(mods, proxytest.Module{Path: fmt.Sprintf("example.com/m%d", i), Version: "v1.0.0"})
	}
	tree := proxytest.MustBuild(mods...)
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS, Latency: 20 * time.Millisecond})
	c := newFakeCache(t)

	// A crashed writer's leftovers: partial zip downloads and a partial
	// extraction of junk that would fail verification if it were kept
	// without its marker.
	for _, m := range mods[:3] {
		c.write(filepath.Join(c.vdir(m.Path), "v1.0.0.zip4242.tmp"), "partial zip")
		c.write(filepath.Join(c.vdir(m.Path), "v1.0.0.lock"), "")
	}
	c.write(filepath.Join(c.vdir(mods[3].Path), "v1.0.0.lock"), "")
	c.write(filepath.Join(c.extractDir(mods[3].Path, "v1.0.0"), "junk.go"), "package junk\n")
	c.write(c.extractDir(mods[3].Path, "v1.0.0")+".partial", "")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	env := goEnv(t, c.root, srv)
	type result struct {
		err error
		out string
	}
	done := make(chan result, 3)
	for i := 0; i < 3; i++ {
		cmd, out := goCommand(ctx, goBin, mainModule(t, tree, mods), env, "mod", "download")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { err := cmd.Wait(); done <- result{err, out.String()} }()
	}
	scans, running := 0, 3
	for running > 0 {
		select {
		case r := <-done:
			running--
			if r.err != nil {
				t.Errorf("go mod download: %v\n%s", r.err, r.out)
			}
			continue
		default:
		}
		if _, err := Scan(ctx, Options{Root: c.root, Fix: true}); err != nil {
			t.Fatalf("Scan during downloads: %v", err)
		}
		scans++
	}
	t.Logf("%d scans with Fix raced 3 go mod download processes", scans)

	r := c.scan(Options{Fix: true})
	if len(r.Remaining()) != 0 || len(r.Held()) != 0 {
		t.Errorf("after the race: %s: %+v", r.Summary(), r.Remaining())
	}
	for _, m := range mods {
		for _, suffix := range []string{".zip", ".ziphash", ".mod", ".lock"} {
			if !exists(t, filepath.Join(c.vdir(m.Path), "v1.0.0"+suffix)) {
				t.Errorf("%s: no v1.0.0%s", m.Path, suffix)
			}
		}
	}
	// go mod download extracts too: the junk is gone either way, and what
	// is there is go's own complete extraction, checked by go mod verify.
	if exists(t, filepath.Join(c.extractDir(mods[3].Path, "v1.0.0"), "junk.go")) || exists(t, c.extractDir(mods[3].Path, "v1.0.0")+".partial") {
		t.Error("partial extraction left in place")
	}
	verify, out := goCommand(ctx, goBin, mainModule(t, tree, mods), env, "mod", "verify")
	if err := verify.Run(); err != nil || !strings.Contains(out.String(), "all modules verified") {
		t.Fatalf("go mod verify: %v\n%s", err, out)
	}
}
