package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/environ"
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

func TestRoute(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "gofast")
	core := filepath.Join(dir, "gofast-core")
	goDir := t.TempDir()
	realGo := filepath.Join(goDir, "go")
	for _, p := range []string{self, core, realGo} {
		os.WriteFile(p, []byte("#!/bin/sh\necho "+filepath.Base(p)+"\n"), 0o755)
	}
	env := environ.Environ{"PATH=" + goDir}
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
