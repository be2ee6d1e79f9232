package doctor

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"go/version"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/mirrors"
)

// toolchainRule is how GOTOOLCHAIN lets go pick a toolchain.
type toolchainRule string

const (
	ruleLocal  toolchainRule = "local"  // only the go that runs
	ruleAuto   toolchainRule = "auto"   // switch up, downloading through GOPROXY
	rulePath   toolchainRule = "path"   // switch up, only to a goX.Y.Z in PATH
	rulePinned toolchainRule = "pinned" // always the named version
)

// parseToolchain parses GOTOOLCHAIN as go does: local, auto, path, or a
// toolchain name optionally followed by +auto or +path. It returns the
// minimum toolchain and the rule; local is the running go's version.
func parseToolchain(v, local string) (min string, rule toolchainRule, err error) {
	switch v = strings.TrimSpace(v); v {
	case "", "auto":
		return local, ruleAuto, nil
	case "local":
		return local, ruleLocal, nil
	case "path":
		return local, rulePath, nil
	}
	name, suffix, _ := strings.Cut(v, "+")
	if !version.IsValid(name) {
		return "", "", fmt.Errorf("GOTOOLCHAIN=%s is not local, auto, path or go1.N[.M][+auto|+path]: go refuses to run", v)
	}
	switch suffix {
	case "":
		return name, rulePinned, nil
	case "auto":
		return name, ruleAuto, nil
	case "path":
		return name, rulePath, nil
	}
	return "", "", fmt.Errorf("GOTOOLCHAIN=%s: the suffix must be +auto or +path: go refuses to run", v)
}

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
	checks = append(checks, toolchainCheck(s, o.Env, local, m, chain))
	return append(checks, privateSettings(s, o.Env, m, netrcMachines, hosts)...)
}

// toolchainCheck decides which toolchain go will run in this module and
// whether it can get it.
func toolchainCheck(s *goenv.Settings, env goenv.Environ, local string, m *mainFile, chain mirrors.List) Check {
	fail := func(detail, fix string) Check {
		c := newCheck(LayerGo, "GOTOOLCHAIN", Fail, detail)
		c.Fix = fix
		return c
	}
	min, rule, err := parseToolchain(s.GOTOOLCHAIN, local)
	if err != nil {
		return fail(err.Error(), unsetCommand(env, "GOTOOLCHAIN"))
	}
	if !version.IsValid(local) {
		return newCheck(LayerGo, "GOTOOLCHAIN", Pass, fmt.Sprintf("development toolchain %s: toolchain switching not checked", s.GOVERSION))
	}
	need, file := "", "go.mod"
	if m != nil {
		file = filepath.Base(m.path)
		if m.goVersion != "" {
			need = "go" + m.goVersion
		}
	}
	newer := func(a, b string) bool { return a != "" && version.Compare(a, b) > 0 }

	chosen := min
	switch rule {
	case ruleLocal, rulePinned:
		if newer(need, chosen) {
			return fail(fmt.Sprintf("%s requires go >= %s, but GOTOOLCHAIN=%s runs %s and forbids switching: every go command here fails",
				file, strings.TrimPrefix(need, "go"), s.GOTOOLCHAIN, chosen), setCommand(env, "GOTOOLCHAIN", "auto"))
		}
	default:
		if newer(local, chosen) {
			chosen = local
		}
		if m != nil && version.IsValid(m.toolchain) && newer(m.toolchain, chosen) {
			chosen = m.toolchain
		}
		if newer(need, chosen) {
			chosen = need
		}
	}
	if version.Compare(chosen, local) == 0 {
		detail := fmt.Sprintf("%s runs here (GOTOOLCHAIN=%s)", local, orDefault(s.GOTOOLCHAIN, "auto"))
		if need != "" {
			detail = fmt.Sprintf("%s asks for go >= %s: %s", file, strings.TrimPrefix(need, "go"), detail)
		}
		return newCheck(LayerGo, "GOTOOLCHAIN", Pass, detail)
	}
	what := chosen
	if version.Lang(chosen) == chosen {
		what = "the latest " + chosen + ".x"
	}
	if rule == rulePath {
		if inPath(env, chosen) {
			return newCheck(LayerGo, "GOTOOLCHAIN", Pass, fmt.Sprintf("go switches to %s, found in PATH (GOTOOLCHAIN=%s)", chosen, s.GOTOOLCHAIN))
		}
		return fail(fmt.Sprintf("go switches to %s but GOTOOLCHAIN=%s only looks in PATH, where it is not: every go command here fails", what, s.GOTOOLCHAIN),
			fmt.Sprintf("go install golang.org/dl/%s@latest && %s download", chosen, chosen))
	}
	src := fmt.Sprintf("go switches to %s, downloading it as module golang.org/toolchain (v0.0.1-%s.%s-%s) through GOPROXY",
		what, chosen, s.GOOS, s.GOARCH)
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

func orDefault(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}
