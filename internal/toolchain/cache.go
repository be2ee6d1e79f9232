package toolchain

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gofastdev/gofast/internal/environ"
	"golang.org/x/mod/module"
)

// Module is the module go downloads a toolchain as (select.go's
// gotoolchainModule). Every package that names it uses this constant.
const Module = "golang.org/toolchain"

// ModuleVersion returns the version of module golang.org/toolchain that
// holds the toolchain target for goos/goarch, as go's toolchain.Exec
// builds it: "v0.0.1-go1.27.0.linux-amd64". goos and goarch are the
// platform HostPlatform returns.
func ModuleVersion(target, goos, goarch string) string {
	return "v0.0.1-" + target + "." + goos + "-" + goarch
}

// HostPlatform returns the platform whose toolchain go downloads when it
// switches: go's toolchain.Exec names the runtime.GOOS and runtime.GOARCH
// of the go binary that runs, which `go env` reports as GOHOSTOS and
// GOHOSTARCH. It is neither the target platform (GOOS, GOARCH, which only
// say what go builds for) nor gofast's own, which may differ from go's
// (an amd64 gofast run under emulation beside an arm64 go).
//
// hostOS and hostArch are the real go's GOHOSTOS and GOHOSTARCH when the
// caller has them from `go env`. Without them, the go installed in goroot
// is taken to be built for the platform of its tool directory
// ($GOROOT/pkg/tool/GOOS_GOARCH, where go looks for its compiler by its own
// runtime.GOOS and runtime.GOARCH) when exactly one is there or one is
// gofast's own; failing that, gofast's own platform is the best guess.
func HostPlatform(goroot, hostOS, hostArch string) (goos, goarch string) {
	if hostOS != "" && hostArch != "" {
		return hostOS, hostArch
	}
	if goroot == "" {
		return runtime.GOOS, runtime.GOARCH
	}
	tools := filepath.Join(goroot, "pkg", "tool")
	if fi, err := os.Stat(filepath.Join(tools, runtime.GOOS+"_"+runtime.GOARCH)); err == nil && fi.IsDir() {
		return runtime.GOOS, runtime.GOARCH
	}
	entries, _ := os.ReadDir(tools)
	found := 0
	for _, e := range entries {
		o, a, ok := strings.Cut(e.Name(), "_")
		if !e.IsDir() || !ok || o == "" || a == "" || strings.Contains(a, "_") {
			continue
		}
		goos, goarch = o, a
		found++
	}
	if found == 1 {
		return goos, goarch
	}
	return runtime.GOOS, runtime.GOARCH
}

// Cached reports whether the toolchain target for goos/goarch is already
// extracted in the module cache modcache, so that go switches to it
// without a download. It checks what go's modfetch.DownloadDir checks
// before it reuses a module directory (the directory, no .partial marker,
// a .ziphash file) and then the bin/go that go runs from it. go still
// verifies the module's checksum, which its checksum-database cache
// normally answers without the network.
func Cached(modcache, target, goos, goarch string) bool {
	if modcache == "" || target == "" {
		return false
	}
	v := ModuleVersion(target, goos, goarch)
	if module.CanonicalVersion(v) != v {
		return false
	}
	enc, err := module.EscapeVersion(v)
	if err != nil {
		return false
	}
	dir := filepath.Join(modcache, Module+"@"+enc)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return false
	}
	meta := filepath.Join(modcache, "cache", "download", Module, "@v", enc)
	if _, err := os.Stat(meta + ".partial"); !os.IsNotExist(err) {
		return false
	}
	if _, err := os.Stat(meta + ".ziphash"); err != nil {
		return false
	}
	exe := filepath.Join(dir, "bin", "go")
	if goos == "windows" {
		exe += ".exe"
	}
	fi, err := os.Stat(exe)
	return err == nil && fi.Mode().IsRegular()
}

// LocalVersion returns the toolchain name of the go installed in goroot,
// the first line of $GOROOT/VERSION ("go1.26.8"), which is what that go's
// runtime.Version reports. A development tree has VERSION.cache instead,
// holding "devel go1.27-abcdef ..."; go then calls itself "go1.27", and so
// does LocalVersion.
func LocalVersion(goroot string) (string, error) {
	data, err := os.ReadFile(filepath.Join(goroot, "VERSION"))
	if os.IsNotExist(err) {
		if cached, err2 := os.ReadFile(filepath.Join(goroot, "VERSION.cache")); err2 == nil {
			data, err = cached, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("reading go version: %w", err)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	v := strings.TrimSpace(string(line))
	if dev, ok := strings.CutPrefix(v, "devel "); ok {
		// "devel go1.27-abcdef Tue ..." is language version go1.27.
		if i := strings.IndexAny(dev, " -"); i >= 0 {
			dev = dev[:i]
		}
		v = dev
	}
	if FromToolchain(v) == "" {
		return "", fmt.Errorf("%s: %q is not a go version", filepath.Join(goroot, "VERSION"), v)
	}
	return v, nil
}

// WillDownload reports whether go, run as goTool with args in dir and env,
// will switch to a toolchain it must first download: a switch (not one
// found on PATH) to a toolchain the module cache does not hold. A setting
// go would reject is no download (go reports it); so is a command go runs
// on the local toolchain whatever the setting.
func WillDownload(env environ.Environ, dir, goTool string, args []string) (Decision, bool) {
	if HandledLocally(args) {
		return Decision{}, false
	}
	if p, err := filepath.EvalSymlinks(goTool); err == nil {
		goTool = p
	}
	goroot := filepath.Dir(filepath.Dir(goTool))
	local, err := LocalVersion(goroot)
	if err != nil {
		return Decision{}, false
	}
	d, err := Decide(env, dir, goroot, local)
	if err != nil || d.Target == "" || d.Path {
		return d, false
	}
	goos, goarch := HostPlatform(goroot, "", "")
	return d, !Cached(ModCache(env, goroot), d.Target, goos, goarch)
}
