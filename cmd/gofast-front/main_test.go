package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/environ"
	"github.com/gofastdev/gofast/internal/toolchain"
	"github.com/gofastdev/gofast/internal/warmstamp"
	"github.com/gofastdev/gofast/wrap"
)

// TestLeanDependencies keeps the launcher lean: it exists so that commands
// which never fetch modules do not pay for an HTTP/TLS stack's start-up.
func TestLeanDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, heavy := range []string{"net/http", "crypto/tls", "net", "github.com/urfave/cli/v2", "encoding/json"} {
		for _, dep := range strings.Fields(string(out)) {
			if dep == heavy {
				t.Errorf("the launcher links %s; keep it out of cmd/gofast-front's imports", heavy)
			}
		}
	}
}

// fakeInstall lays out a launcher with gofast-core beside it, and a go
// tool in a directory of its own, as scripts with distinct bytes (a copy
// of gofast is never taken for go).
func fakeInstall(t *testing.T) (self, core, realGo string) {
	t.Helper()
	dir := t.TempDir()
	self, core = filepath.Join(dir, "gofast"), filepath.Join(dir, "gofast-core")
	realGo = filepath.Join(t.TempDir(), "go")
	for _, p := range []string{self, core, realGo} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\necho "+filepath.Base(p)+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return self, core, realGo
}

func TestRoute(t *testing.T) {
	self, core, realGo := fakeInstall(t)
	env := environ.Environ{"PATH=" + filepath.Dir(realGo)}
	for _, tc := range []struct {
		args []string
		env  environ.Environ
		want string
	}{
		{[]string{"version"}, env, realGo},
		{[]string{"env", "GOPROXY"}, env, realGo},
		{nil, env, realGo},
		{[]string{"build", "./..."}, env, core},
		{[]string{"mod", "download"}, env, core},
		{[]string{"mod", "edit", "-json"}, env, realGo},
		{[]string{"doctor"}, env, core},
		{[]string{"self", "version"}, env, core},
		{[]string{"build"}, append(env, "GOFAST_OFF=1"), realGo},
		{[]string{"mirrors"}, append(env, "GOFAST_OFF=1"), realGo},
	} {
		target, _, targetEnv, err := route(tc.env, self, tc.args)
		if err != nil || target != tc.want {
			t.Errorf("route(%q) = %q, %v; want %q", tc.args, target, err, tc.want)
			continue
		}
		if target == core && targetEnv.Get(frontEnv) != self {
			t.Errorf("route(%q): engine not told the launcher's path", tc.args)
		}
		if target == realGo {
			if _, ok := targetEnv.Lookup(frontEnv); ok {
				t.Errorf("route(%q): %s leaked into go's environment", tc.args, frontEnv)
			}
		}
	}
	os.Remove(core)
	if _, _, _, err := route(env, self, []string{"build"}); err == nil || !strings.Contains(err.Error(), "gofast-core not found") {
		t.Errorf("missing engine: %v", err)
	}
}

// TestRouteWarm: a fetching command whose module has a valid warm-up
// record goes straight to go; without one, or once a recorded file is
// gone, it goes to the engine. go mod download always does (its warm-up
// also extracts).
func TestRouteWarm(t *testing.T) {
	self, core, realGo := fakeInstall(t)
	mod := t.TempDir()
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/m\n\ngo 1.21\n"), 0o666)
	cached := filepath.Join(t.TempDir(), "v1.0.0.zip")
	os.WriteFile(cached, nil, 0o444)
	env := environ.Environ{"PATH=" + filepath.Dir(realGo), "HOME=" + t.TempDir(), "XDG_CACHE_HOME=" + t.TempDir(), "GOFAST_GO=" + realGo}

	build := []string{"-C", mod, "build", "./..."}
	if target, _, _, _ := route(env, self, build); target != core {
		t.Fatalf("no record: routed to %s, want the engine", target)
	}
	if err := warmstamp.Write(warmstamp.Path(env, mod, realGo), []string{cached}); err != nil {
		t.Fatal(err)
	}
	target, _, targetEnv, err := route(env, self, build)
	if err != nil || target != realGo {
		t.Fatalf("valid record: routed to %s (%v), want go", target, err)
	}
	if _, ok := targetEnv.Lookup(frontEnv); ok {
		t.Errorf("%s leaked into go's environment", frontEnv)
	}
	if target, _, _, _ := route(env, self, []string{"-C", mod, "mod", "download"}); target != core {
		t.Errorf("mod download routed to %s, want the engine", target)
	}
	if target, _, _, _ := route(env.With("GOFLAGS", "-mod=mod"), self, build); target != core {
		t.Errorf("changed GOFLAGS routed to %s, want the engine", target)
	}
	if target, _, _, _ := route(env, self, []string{"-C", mod, "get", "example.com/a@v1.0.0"}); target != core {
		t.Errorf("go get with a valid record routed to %s, want the engine: it looks beyond go.sum", target)
	}
	os.Remove(cached)
	if target, _, _, _ := route(env, self, build); target != core {
		t.Errorf("recorded file gone: routed to %s, want the engine", target)
	}
}

// TestRouteToolchainSwitch: any command that will make go download a
// toolchain, `go version` included, goes to the engine, which serves the
// download; once the toolchain is in the module cache, go runs at once.
func TestRouteToolchainSwitch(t *testing.T) {
	self, core, _ := fakeInstall(t)
	goroot := t.TempDir()
	realGo := filepath.Join(goroot, "bin", "go")
	os.MkdirAll(filepath.Dir(realGo), 0o777)
	os.WriteFile(realGo, []byte("#!/bin/sh\necho go\n"), 0o755)
	os.WriteFile(filepath.Join(goroot, "VERSION"), []byte("go1.26.0\ntime 2026-01-01T00:00:00Z\n"), 0o666)
	mod := t.TempDir()
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/m\n\ngo 1.99.0\n"), 0o666)
	modcache := t.TempDir()
	env := environ.Environ{"PATH=" + filepath.Dir(realGo), "HOME=" + t.TempDir(), "GOENV=off", "GOMODCACHE=" + modcache, "GOFAST_GO=" + realGo}

	for _, tc := range []struct {
		args []string
		env  environ.Environ
		want string
	}{
		{[]string{"-C", mod, "version"}, env.With("GOTOOLCHAIN", "auto"), core},
		{[]string{"-C", mod, "env", "GOPROXY"}, env.With("GOTOOLCHAIN", "auto"), core},
		{[]string{"-C", mod, "env", "GOTOOLCHAIN"}, env.With("GOTOOLCHAIN", "auto"), realGo},
		{[]string{"-C", mod, "version"}, env.With("GOTOOLCHAIN", "local"), realGo},
		{[]string{"version"}, env.With("GOTOOLCHAIN", "go1.99.1"), core},
		{[]string{"-C", mod, "version"}, env.With("GOTOOLCHAIN", "auto").With("GOFAST_OFF", "1"), realGo},
	} {
		if target, _, _, err := route(tc.env, self, tc.args); err != nil || target != tc.want {
			t.Errorf("route(%q) with GOTOOLCHAIN=%s = %s, %v; want %s", tc.args, tc.env.Get("GOTOOLCHAIN"), target, err, tc.want)
		}
	}
	// The toolchain in the module cache: nothing to download.
	dir := filepath.Join(modcache, "golang.org", "toolchain@v0.0.1-go1.99.0."+runtime.GOOS+"-"+runtime.GOARCH)
	os.MkdirAll(filepath.Join(dir, "bin"), 0o777)
	os.WriteFile(filepath.Join(dir, "bin", "go"), []byte("#!/bin/sh\n"), 0o755)
	meta := filepath.Join(modcache, "cache", "download", "golang.org", "toolchain", "@v")
	os.MkdirAll(meta, 0o777)
	os.WriteFile(filepath.Join(meta, "v0.0.1-go1.99.0."+runtime.GOOS+"-"+runtime.GOARCH+".ziphash"), []byte("h1:x\n"), 0o666)
	if !toolchain.Cached(modcache, "go1.99.0", runtime.GOOS, runtime.GOARCH) {
		t.Fatal("the fake toolchain directory does not pass toolchain.Cached's checks")
	}
	if target, _, _, _ := route(env.With("GOTOOLCHAIN", "auto"), self, []string{"-C", mod, "version"}); target != realGo {
		t.Errorf("cached toolchain: routed to %s, want go", target)
	}
}

// TestFollowPlan: the launcher carries out wrap.Route's plan and decides
// nothing again: GOFAST_OFF, the toolchain and the warm-up record are the
// plan's, not re-read from the environment.
func TestFollowPlan(t *testing.T) {
	self, core, realGo := fakeInstall(t)
	off := environ.Environ{"PATH=" + filepath.Dir(realGo), "GOFAST_OFF=1"}
	for _, tc := range []struct {
		name string
		plan wrap.Plan
		want string
	}{
		{"go alone", wrap.Plan{Action: wrap.PlanFetch, GoTool: realGo, Record: "r", Warm: true, GoAlone: true}, realGo},
		{"toolchain first", wrap.Plan{Action: wrap.PlanGo, GoTool: realGo, ToolchainFirst: true}, core},
		{"warm but resolves", wrap.Plan{Action: wrap.PlanFetch, GoTool: realGo, Record: "r", Warm: true}, core},
		{"own", wrap.Plan{Action: wrap.PlanOwn}, core},
	} {
		target, _, targetEnv, err := follow(tc.plan, off, self, []string{"build"})
		if err != nil || target != tc.want {
			t.Errorf("%s: follow = %q, %v; want %q", tc.name, target, err, tc.want)
		}
		if target == core && targetEnv.Get(frontEnv) != self {
			t.Errorf("%s: engine not told the launcher's path", tc.name)
		}
	}
}
