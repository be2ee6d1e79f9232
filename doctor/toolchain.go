package doctor

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/toolchain"
	"github.com/gofastdev/gofast/mirrors"
)

// checkGo checks the running go and the toolchain the main module's go.mod
// (or go.work) makes go switch to, and where that toolchain would come from.
func checkGo(o Options, chain mirrors.List, netrcMachines, hosts []string) []Check {
	s := o.Settings
	local := strings.Fields(s.GOVERSION + " ")[0]
	checks := []Check{newCheck(LayerGo, "go", Pass, fmt.Sprintf("%s %s/%s at %s", s.GOVERSION, s.GOOS, s.GOARCH, s.GOROOT))}
	m, err := readMainFile(s, o.Dir)
	if err != nil {
		return append(checks, newCheck(LayerGo, "go.mod", Fail, fmt.Sprintf("%v: every go command here fails", err)))
	}
	checks = append(checks, toolchainCheck(s, o.Env, o.Dir, local, m, chain))
	return append(checks, privateSettings(s, o.Env, m, netrcMachines, hosts)...)
}

// toolchainCheck says which toolchain go will run in dir and whether it can
// get it. The decision is internal/toolchain's, the one gofast acts on, which
// follows go's own start-up choice (cmd/go/internal/toolchain.Select); the
// go line check after it is modload's, made by whichever go then runs.
func toolchainCheck(s *goenv.Settings, env goenv.Environ, dir, local string, m *mainFile, chain mirrors.List) Check {
	fail := func(detail, fix string) Check {
		c := newCheck(LayerGo, "GOTOOLCHAIN", Fail, detail)
		c.Fix = fix
		return c
	}
	if toolchain.FromToolchain(local) == "" {
		return newCheck(LayerGo, "GOTOOLCHAIN", Pass, fmt.Sprintf("development toolchain %s: toolchain switching not checked", s.GOVERSION))
	}
	d, err := toolchain.Decide(env, dir, s.GOROOT, local)
	if err != nil {
		fix := ""
		if strings.Contains(err.Error(), "GOTOOLCHAIN") {
			fix = unsetCommand(env, "GOTOOLCHAIN")
		}
		return fail(fmt.Sprintf("%v: go refuses to run", err), fix)
	}
	setting := "GOTOOLCHAIN=" + s.GOTOOLCHAIN
	if s.GOTOOLCHAIN == "" {
		// go.env has no GOTOOLCHAIN line and nothing else sets it: go
		// never switches (select.go returns at once).
		setting = "GOTOOLCHAIN unset (even in $GOROOT/go.env)"
	}
	need, file := "", "go.mod"
	if m != nil {
		file = filepath.Base(m.path)
		need = m.goVersion
	}
	run := local
	if d.Target != "" {
		run = d.Target
	}
	if need != "" && toolchain.Compare(need, toolchain.FromToolchain(run)) > 0 {
		return fail(fmt.Sprintf("%s requires go >= %s, but %s runs %s and forbids switching: every go command here fails",
			file, need, setting, run), setCommand(env, "GOTOOLCHAIN", "auto"))
	}
	if d.Target == "" {
		detail := fmt.Sprintf("%s runs here (%s)", local, setting)
		if need != "" {
			detail = fmt.Sprintf("%s asks for go >= %s: %s", file, need, detail)
		}
		return newCheck(LayerGo, "GOTOOLCHAIN", Pass, detail)
	}
	// go runs a program named for the toolchain from PATH before it
	// considers a download, whatever the setting (select.go's Exec).
	if inPath(env, d.Target) {
		return newCheck(LayerGo, "GOTOOLCHAIN", Pass, fmt.Sprintf("go switches to %s, found in PATH (%s)", d.Target, setting))
	}
	if d.Path {
		return fail(fmt.Sprintf("go switches to %s but %s only looks in PATH, where it is not: every go command here fails", d.Target, setting),
			fmt.Sprintf("go install golang.org/dl/%s@latest && %s download", d.Target, d.Target))
	}
	goos, goarch := toolchain.HostPlatform(s.GOROOT, s.Raw["GOHOSTOS"], s.Raw["GOHOSTARCH"])
	src := fmt.Sprintf("go switches to %s, downloading it as module %s (%s) through GOPROXY",
		d.Target, toolchain.Module, toolchain.ModuleVersion(d.Target, goos, goarch))
	if len(chain) > 0 && chain[0].Kind == mirrors.Off {
		return fail(src+", but GOPROXY=off forbids downloads: every go command here fails", setCommand(env, "GOTOOLCHAIN", "local"))
	}
	return newCheck(LayerGo, "GOTOOLCHAIN", Pass, src+" (see the mirrors below)")
}

// inPath reports whether an executable named name is in env's PATH.
func inPath(env goenv.Environ, name string) bool {
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	for _, dir := range filepath.SplitList(env.Get("PATH")) {
		if dir == "" {
			continue
		}
		st, err := os.Stat(filepath.Join(dir, name))
		if err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}
