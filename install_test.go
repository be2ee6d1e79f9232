package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestInstallScript runs install.sh as a user would, in a scratch HOME:
// install with --alias twice (the alias must be added once), then
// --uninstall.
func TestInstallScript(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("install.sh is for Unix shells")
	}
	home := t.TempDir()
	prefix := filepath.Join(home, "bin")
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	gomodcache, _ := exec.Command("go", "env", "GOMODCACHE").Output()
	gocache, _ := exec.Command("go", "env", "GOCACHE").Output()
	env := append(os.Environ(), "HOME="+home, "SHELL=/bin/bash", "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"GOPATH="+strings.TrimSpace(string(gopath)), "GOMODCACHE="+strings.TrimSpace(string(gomodcache)),
		// Keep the build cache: a scratch HOME would move it and rebuild everything.
		"GOCACHE="+strings.TrimSpace(string(gocache)))
	run := func(args ...string) string {
		cmd := exec.Command("sh", append([]string{"install.sh"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("install.sh %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("--prefix", prefix, "--alias")
	out := run("--prefix", prefix, "--alias")
	if !strings.Contains(out, "already has the go alias") {
		t.Errorf("second install did not notice the alias:\n%s", out)
	}
	rc, _ := os.ReadFile(filepath.Join(home, ".bashrc"))
	if n := strings.Count(string(rc), "alias go="); n != 1 {
		t.Errorf(".bashrc has %d go aliases, want 1:\n%s", n, rc)
	}
	v, err := exec.Command(filepath.Join(prefix, "gofast"), "self", "version").Output()
	if err != nil || !strings.HasPrefix(string(v), "gofast ") {
		t.Fatalf("installed gofast self version: %q, %v", v, err)
	}
	if _, err := os.Stat(filepath.Join(prefix, "gofast-core")); err != nil {
		t.Errorf("gofast-core not installed beside the launcher: %v", err)
	}
	run("--prefix", prefix, "--uninstall")
	for _, name := range []string{"gofast", "gofast-core"} {
		if _, err := os.Stat(filepath.Join(prefix, name)); !os.IsNotExist(err) {
			t.Errorf("%s still there after --uninstall: %v", name, err)
		}
	}
	rc, _ = os.ReadFile(filepath.Join(home, ".bashrc"))
	if strings.Contains(string(rc), "gofast") {
		t.Errorf(".bashrc still mentions gofast after --uninstall:\n%s", rc)
	}
	cmd := exec.Command("sh", "install.sh", "--bogus")
	cmd.Env = env
	if err := cmd.Run(); err == nil {
		t.Error("install.sh --bogus succeeded")
	} else if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("install.sh --bogus: %v, want exit 2", err)
	}
}
