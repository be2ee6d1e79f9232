package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// proxyCommand is one of the commands gofast runs as its child behind its
// loopback proxy, timed with no go.sum: go resolves, downloads and checks
// every module against the checksum database the mirrors serve.
type proxyCommand struct {
	// Name is the row's label ("get"), Args the go arguments.
	Name string
	Args []string
	// InModule runs the command in a fresh module (a go.mod with only its
	// module and go lines); otherwise outside any module.
	InModule bool
	// Requires are what go.mod must require afterwards (get).
	Requires []module.Version
	// Bin is the binary go install -n must say it installs into GOPATH/bin.
	Bin string
	// Notes describe the command and its graph for the table.
	Notes []string
}

// getSkip lists the requirements of a corpus go.mod whose root package
// imports packages the corpus itself never builds, so that the corpus tree
// (what go mod download fetched) lacks their zips: go get of them cannot
// succeed against the tree, with any tool.
var getSkip = map[string]bool{
	"github.com/aymerick/douceur":         true,
	"github.com/charmbracelet/x/exp/term": true,
	"github.com/sassoftware/relic":        true,
	"github.com/in-toto/in-toto-golang":   true,
}

// getModules returns the get row's modules: every requirement of the
// corpus go.mod (direct and indirect, at the corpus versions) whose zip the
// tree holds, but those of getSkip. Getting them all pins the build list to
// the corpus's own selection, which is what the tree can serve; a single
// module's go get selects its own, older requirements, whose zips a tree
// filled by go mod download does not hold.
func getModules(gomod []byte, tree string) ([]module.Version, error) {
	f, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		return nil, err
	}
	var out []module.Version
	for _, r := range f.Require {
		if getSkip[r.Mod.Path] || !hasZip(tree, r.Mod) {
			continue
		}
		out = append(out, r.Mod)
	}
	return out, nil
}

// hasZip reports whether the GOPROXY tree holds m's zip.
func hasZip(tree string, m module.Version) bool {
	ep, err1 := module.EscapePath(m.Path)
	ev, err2 := module.EscapeVersion(m.Version)
	if err1 != nil || err2 != nil {
		return false
	}
	_, err := os.Stat(filepath.Join(tree, filepath.FromSlash(ep), "@v", ev+".zip"))
	return err == nil
}

// binName is the name go install gives the binary of the package path
// pkg: its last element, or the one before a major-version suffix.
func binName(pkg string) string {
	elem := path.Base(pkg)
	if regexp.MustCompile(`^v[0-9]+$`).MatchString(elem) && strings.Contains(pkg, "/") {
		elem = path.Base(path.Dir(pkg))
	}
	return elem
}

// proxyCommands returns the selected proxy-path commands for corpus c.
func (h *harness) proxyCommands(c *Corpus) ([]*proxyCommand, error) {
	var out []*proxyCommand
	for _, name := range h.cfg.ProxyCmds {
		switch name {
		case "get":
			gomod, err := os.ReadFile(filepath.Join(c.Src, "go.mod"))
			if err != nil {
				return nil, err
			}
			mods, err := getModules(gomod, c.Tree())
			if err != nil {
				return nil, fmt.Errorf("corpus %s go.mod: %w", c.Name, err)
			}
			if len(mods) == 0 {
				return nil, fmt.Errorf("corpus %s: no requirement with a zip in the tree for the get row", c.Name)
			}
			args := []string{"get"}
			for _, m := range mods {
				args = append(args, m.String())
			}
			out = append(out, &proxyCommand{Name: "get", Args: args, InModule: true, Requires: mods,
				Notes: []string{fmt.Sprintf("go get of the %d modules %s's go.mod requires, at its versions, in a fresh empty module", len(mods), c.Name)}})
		case "install":
			pkg, _, ok := strings.Cut(h.cfg.ProxyInstall, "@")
			if !ok {
				return nil, fmt.Errorf("-proxy-install %q: want pkg@version", h.cfg.ProxyInstall)
			}
			out = append(out, &proxyCommand{Name: "install -n", Args: []string{"install", "-n", h.cfg.ProxyInstall},
				Bin:   binName(pkg),
				Notes: []string{fmt.Sprintf("go install -n %s outside a module (-n: resolves and downloads, does not compile)", h.cfg.ProxyInstall)}})
		}
	}
	return out, nil
}

// proxyComparisons returns a row per selected command and mirror set.
func (h *harness) proxyComparisons() ([]comparison, error) {
	c := h.corpora[h.cfg.ProxyCorpus]
	sums := newSumIndex(os.DirFS(c.Tree()))
	if err := sums.addGoSums(c.Src); err != nil {
		return nil, fmt.Errorf("corpus %s: %w", c.Name, err)
	}
	cmds, err := h.proxyCommands(c)
	if err != nil {
		return nil, err
	}
	link := h.link(h.cfg.ProxyRTT)
	var out []comparison
	for _, cmd := range cmds {
		for _, kind := range h.cfg.ProxyMirrors {
			cmp := comparison{Corpus: c, Link: link, Rounds: h.cfg.ProxyRounds, Cmd: cmd,
				Bound: h.cfg.Timeout, BoundLabel: "timeout", Sep: ","}
			switch kind {
			case "good":
				cmp.Scenario = "cold " + cmd.Name
				cmp.Mirrors = []mirrorSpec{{Kind: goodMirror, Sums: sums}}
			case "stall":
				cmp.Scenario = cmd.Name + ", stalled first mirror"
				// A get of a whole graph takes gofast longer than a
				// go.sum download; go stalls whatever the bound.
				cmp.Bound, cmp.BoundLabel = 2*h.cfg.StallBound, "stalled"
				cmp.Mirrors = []mirrorSpec{{Kind: stalledMirror}, {Kind: goodMirror, Sums: sums}}
				cmp.Sep = "|"
				cmp.Notes = []string{"GOPROXY=stalled|good"}
			case "errors":
				cmp.Scenario = fmt.Sprintf("%s, %g%% errors", cmd.Name, h.cfg.ErrorRate*100)
				cmp.Mirrors = []mirrorSpec{{Kind: flakyMirror, ErrorRate: h.cfg.ErrorRate, Seed: h.cfg.Seed, Sums: sums}}
			}
			out = append(out, cmp)
		}
	}
	return out, nil
}

// compareProxy runs a proxy-path comparison: every side once per round,
// each on a fresh module cache and GOPATH. Every successful run must leave
// the same downloads as the first successful one of the row (go's, when it
// succeeded), besides its own checks.
func (h *harness) compareProxy(ctx context.Context, cmp comparison, row Row) (Row, error) {
	var ref fileSet
	for round := 1; round <= cmp.Rounds; round++ {
		for _, s := range h.sidesFor(cmp) {
			run, set, err := h.proxyRun(ctx, cmp, s, round, ref)
			if err != nil {
				return row, err
			}
			if run.OK() && ref == nil {
				ref = set
			}
			row.add(s, run)
		}
	}
	row.Notes = append(row.Notes, cmp.Cmd.Notes...)
	if ref != nil {
		row.Notes = append(row.Notes, fmt.Sprintf("%d go.mod files, %d zips (%s), each checked against the checksum database",
			ref.Count(".mod"), ref.Count(".zip"), formatBytes(ref.Size())))
	}
	return row, nil
}

// proxyRun runs one side's command for cmp and checks it: exit 0, the
// expected go.mod lines or installed binary, and the same downloads as ref
// (when set). It returns the run and the files it fetched.
func (h *harness) proxyRun(ctx context.Context, cmp comparison, s side, round int, ref fileSet) (Run, fileSet, error) {
	dir, done, err := h.scratch(fmt.Sprintf("%s-%s-r%d-%s", slug(cmp.Scenario), cmp.Corpus.Name, round, slug(s.String())))
	if err != nil {
		return Run{}, nil, err
	}
	defer done()
	src, modcache := filepath.Join(dir, "src"), filepath.Join(dir, "modcache")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return Run{}, nil, err
	}
	if cmp.Cmd.InModule {
		v, err := h.goVersion(ctx)
		if err != nil {
			return Run{}, nil, err
		}
		gomod := fmt.Sprintf("module example.com/bench\n\ngo %s\n", v)
		if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte(gomod), 0o644); err != nil {
			return Run{}, nil, err
		}
	}
	ms, err := startMirrors(cmp.Corpus.Tree(), cmp.Link, cmp.Mirrors)
	if err != nil {
		return Run{}, nil, err
	}
	env := toolEnv{
		GoRoot: h.goRoot, Proxy: ms.GOPROXY(cmp.Sep), Mirrors: ms.Mirrors(), SumDB: ms.GOSUMDB(), NoModMod: true,
		ModCache: modcache, GoCache: h.goCache, Home: filepath.Join(dir, "home"),
	}
	logFile := filepath.Join(dir, "log")
	run, err := h.timeRun(ctx, s, cmp, ms, env, src, logFile, cmp.Cmd.Args...)
	if err != nil {
		return Run{}, nil, err
	}
	var got fileSet
	if run.Fail == "" {
		if got, err = scanDownloads(filepath.Join(modcache, "cache", "download")); err != nil {
			return Run{}, nil, err
		}
		run.Fail = checkProxyRun(cmp.Cmd, src, logFile, got, ref)
	}
	h.logf("%s %s %s round %d/%d %s: %s", cmp.Scenario, cmp.Corpus.Name, cmp.Link, round, cmp.Rounds, s, describeRun(run))
	return run, got, nil
}

// checkProxyRun is the correctness guard of a proxy-path run that exited
// 0: "" or why it does not count.
func checkProxyRun(cmd *proxyCommand, src, logFile string, got, ref fileSet) string {
	if len(cmd.Requires) > 0 {
		data, err := os.ReadFile(filepath.Join(src, "go.mod"))
		if err != nil {
			return "reading go.mod: " + err.Error()
		}
		if msg := missingRequires(data, cmd.Requires); msg != "" {
			return msg
		}
		if _, err := os.Stat(filepath.Join(src, "go.sum")); err != nil {
			return "no go.sum written"
		}
	}
	if cmd.Bin != "" {
		out, _ := os.ReadFile(logFile)
		if !installsBin(out, cmd.Bin) {
			return fmt.Sprintf("go install -n did not install %s into GOPATH/bin", cmd.Bin)
		}
	}
	if ref != nil {
		if d := diffSets(ref, got); !d.Empty() {
			return "fetched different files: " + d.String()
		}
	}
	return ""
}

// missingRequires returns "" when the go.mod data requires every module
// of want at exactly its version, else what is missing.
func missingRequires(data []byte, want []module.Version) string {
	f, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		return "go.mod: " + err.Error()
	}
	have := map[module.Version]bool{}
	for _, r := range f.Require {
		have[r.Mod] = true
	}
	var missing []string
	for _, m := range want {
		if !have[m] {
			missing = append(missing, m.String())
		}
	}
	if len(missing) == 0 {
		return ""
	}
	slices.Sort(missing)
	return fmt.Sprintf("go.mod lacks %d requirements (%s)", len(missing), missing[0])
}

// installsBin reports whether go install -n output moves the linked
// binary to .../bin/<name>.
func installsBin(out []byte, name string) bool {
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "mv ") && strings.HasSuffix(strings.TrimSpace(l), "/bin/"+name) {
			return true
		}
	}
	return false
}

// goVersion returns the real go tool's version for a go.mod go line
// ("1.26.8"), as go mod init writes it.
func (h *harness) goVersion(ctx context.Context) (string, error) {
	if h.goVer != "" {
		return h.goVer, nil
	}
	cmd := exec.CommandContext(ctx, h.goTool, "env", "GOVERSION")
	cmd.Env = toolEnv{GoRoot: h.goRoot, Proxy: "off", Home: h.work, GoCache: h.goCache, ModCache: filepath.Join(h.work, "nomodcache")}.environ(h.base)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %w", err)
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "go")
	if i := strings.IndexAny(v, " -"); i >= 0 {
		v = v[:i]
	}
	h.goVer = v
	return v, nil
}
