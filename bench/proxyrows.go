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
	"time"

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
	// Corpus, when set, is the tree the row is served from (a tool
	// corpus); nil means the -proxy-corpus tree.
	Corpus *Corpus
	// GoLine is the fresh module's go line; "" is the real go's version.
	GoLine string
	// Files are further files of the fresh module (main.go), by name.
	Files map[string][]byte
	// Toolchain is GOTOOLCHAIN ("" for local).
	Toolchain string
	// Output, when set, must appear in the command's output.
	Output string
	// ConnBandwidth, when above zero, caps each connection of the link.
	ConnBandwidth int64
	// Notes describe the command and its graph for the table.
	Notes []string

	// goRef is what go's first successful run of the command (in any of
	// its mirror sets) asked the mirrors for: the reference of gofast's
	// over-fetch in rounds where go's own run failed.
	goRef *goFetch
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
			tree := h.corpora[installSpec(h.cfg.ProxyInstall).Name]
			cmd, err := installCommand(h.cfg.ProxyInstall, tree)
			if err != nil {
				return nil, err
			}
			cmd.Notes = append(cmd.Notes, fmt.Sprintf("served from a tree filled once by the real go install -n from the real proxy: %d modules' zips", tree.Want.Count(".zip")))
			out = append(out, cmd)
		case "install-small":
			cmd, err := installCommand(h.cfg.ProxyInstallSmall, nil)
			if err != nil {
				return nil, err
			}
			cmd.Notes = append(cmd.Notes, fmt.Sprintf("served from the %s tree", c.Name))
			out = append(out, cmd)
		case "tidy":
			cmd, err := tidyCommand(c, h.cfg.ProxyTidy)
			if err != nil {
				return nil, err
			}
			out = append(out, cmd)
		case "toolchain":
			out = append(out, toolchainCommands(h.corpora[toolchainSpec(h.cfg.ProxyToolchain).Name], h.cfg.ProxyToolchain, h.cfg.ProxyConnBandwidth)...)
		}
	}
	return out, nil
}

// proxyComparisons returns a row per selected command and mirror set.
func (h *harness) proxyComparisons() ([]comparison, error) {
	c := h.corpora[h.cfg.ProxyCorpus]
	cmds, err := h.proxyCommands(c)
	if err != nil {
		return nil, err
	}
	// One checksum database per tree: the corpus go.sum lines, the lookups
	// go cached when the tree was filled, and the tree's own hashes.
	sumsOf := map[*Corpus]*sumIndex{}
	var out []comparison
	for _, cmd := range cmds {
		tree := c
		if cmd.Corpus != nil {
			tree = cmd.Corpus
		}
		sums := sumsOf[tree]
		if sums == nil {
			sums = newSumIndex(os.DirFS(tree.Tree()))
			// Versions the tree lacks are served too, so that a
			// read-ahead go would not do costs bytes (overFetch).
			sums.addStandIns()
			if tree.Src != "" {
				if err := sums.addGoSums(tree.Src); err != nil {
					return nil, fmt.Errorf("corpus %s: %w", tree.Name, err)
				}
			}
			if err := sums.addLookups(os.DirFS(tree.Tree())); err != nil {
				return nil, fmt.Errorf("corpus %s: %w", tree.Name, err)
			}
			sumsOf[tree] = sums
		}
		link := h.link(h.cfg.ProxyRTT)
		link.ConnBandwidth = cmd.ConnBandwidth
		for _, kind := range h.cfg.ProxyMirrors {
			cmp := comparison{Corpus: tree, Link: link, Rounds: h.cfg.ProxyRounds, Cmd: cmd,
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
	var over overFetch
	overRuns, ownRef := 0, 0
	for round := 1; round <= cmp.Rounds; round++ {
		var goRound *goFetch
		for _, s := range h.sidesFor(cmp) {
			run, set, fetched, err := h.proxyRun(ctx, cmp, s, round, ref)
			if err != nil {
				return row, err
			}
			if run.OK() && ref == nil {
				ref = set
			}
			if s == sideGo && run.OK() {
				goRound = &fetched
				if cmp.Cmd.goRef == nil {
					cmp.Cmd.goRef = goRound
				}
			}
			if s == sideGofast && run.OK() {
				// gofast is compared with go's run of the same round, or,
				// where that failed (a stalled or failing mirror stops
				// go), with go's first successful run of the command.
				goRef := goRound
				if goRef != nil {
					ownRef++
				} else {
					goRef = cmp.Cmd.goRef
				}
				if goRef != nil {
					over = over.add(measureOverFetch(fetched, *goRef))
					overRuns++
				}
			}
			row.add(s, run)
		}
	}
	row.Notes = append(row.Notes, cmp.Cmd.Notes...)
	if ref != nil {
		row.Notes = append(row.Notes, fmt.Sprintf("%d go.mod files, %d zips (%s), each checked against the checksum database",
			ref.Count(".mod"), ref.Count(".zip"), formatBytes(ref.Size())))
	}
	if overRuns > 0 {
		from := ""
		if ownRef < overRuns {
			from = " (in its good-mirror row, go failing here)"
		}
		row.Notes = append(row.Notes, over.note(overRuns, from))
	}
	return row, nil
}

// proxyRun runs one side's command for cmp and checks it: exit 0, the
// expected go.mod lines or installed binary, and the same downloads as ref
// (when set). It returns the run and the files it fetched.
func (h *harness) proxyRun(ctx context.Context, cmp comparison, s side, round int, ref fileSet) (Run, fileSet, goFetch, error) {
	dir, done, err := h.scratch(fmt.Sprintf("%s-%s-r%d-%s", slug(cmp.Scenario), cmp.Corpus.Name, round, slug(s.String())))
	if err != nil {
		return Run{}, nil, goFetch{}, err
	}
	defer done()
	src, modcache := filepath.Join(dir, "src"), filepath.Join(dir, "modcache")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return Run{}, nil, goFetch{}, err
	}
	if cmp.Cmd.InModule {
		v := cmp.Cmd.GoLine
		if v == "" {
			if v, err = h.goVersion(ctx); err != nil {
				return Run{}, nil, goFetch{}, err
			}
		}
		gomod := fmt.Sprintf("module example.com/bench\n\ngo %s\n", v)
		if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte(gomod), 0o644); err != nil {
			return Run{}, nil, goFetch{}, err
		}
		for name, data := range cmp.Cmd.Files {
			if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
				return Run{}, nil, goFetch{}, err
			}
		}
	}
	ms, err := startMirrors(cmp.Corpus.Tree(), cmp.Link, cmp.Mirrors)
	if err != nil {
		return Run{}, nil, goFetch{}, err
	}
	env := toolEnv{
		GoRoot: h.goRoot, Proxy: ms.GOPROXY(cmp.Sep), Mirrors: ms.Mirrors(), SumDB: ms.GOSUMDB(), NoModMod: true,
		ModCache: modcache, GoCache: h.goCache, Home: filepath.Join(dir, "home"), Toolchain: cmp.Cmd.Toolchain,
	}
	logFile := filepath.Join(dir, "log")
	run, err := h.timeRun(ctx, s, cmp, ms, env, src, logFile, cmp.Cmd.Args...)
	if err != nil {
		return Run{}, nil, goFetch{}, err
	}
	fetched := ms.fetched()
	var got fileSet
	if run.Fail == "" {
		if got, err = scanDownloads(filepath.Join(modcache, "cache", "download")); err != nil {
			return Run{}, nil, goFetch{}, err
		}
		run.Fail = checkProxyRun(cmp.Cmd, src, logFile, got, ref)
	}
	h.logf("%s %s %s round %d/%d %s: %s", cmp.Scenario, cmp.Corpus.Name, cmp.Link, round, cmp.Rounds, s, describeRun(run))
	return run, got, fetched, nil
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
	out, _ := os.ReadFile(logFile)
	if cmd.Bin != "" && !installsBin(out, cmd.Bin) {
		return fmt.Sprintf("go install -n did not install %s into GOPATH/bin", cmd.Bin)
	}
	if cmd.Output != "" && !strings.Contains(string(out), cmd.Output) {
		return fmt.Sprintf("output does not name %s: %s", cmd.Output, lastLine(string(out), 120))
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

// installCommand is go install -n pkgVersion outside a module, served from
// tree (nil: the -proxy-corpus tree).
func installCommand(pkgVersion string, tree *Corpus) (*proxyCommand, error) {
	pkg, _, ok := strings.Cut(pkgVersion, "@")
	if !ok {
		return nil, fmt.Errorf("install row %q: want pkg@version", pkgVersion)
	}
	bin := binName(pkg)
	return &proxyCommand{Name: "install -n " + bin, Args: []string{"install", "-n", pkgVersion}, Bin: bin, Corpus: tree,
		Notes: []string{fmt.Sprintf("go install -n %s outside a module (-n resolves and downloads the whole build but does not compile: the row times the downloads alone)", pkgVersion)}}, nil
}

// tidyCommand is go mod tidy in a fresh module whose main.go imports
// imports, none of whose modules it requires: go resolves each import's
// module by query, then loads and downloads their graph. Afterwards go.mod
// must require each at the version the tree's listing makes latest.
func tidyCommand(c *Corpus, imports []string) (*proxyCommand, error) {
	if len(imports) == 0 {
		return nil, fmt.Errorf("tidy row: no imports (-proxy-tidy)")
	}
	req, err := tidyRequires(listingFS{os.DirFS(c.Tree())}, imports)
	if err != nil {
		return nil, fmt.Errorf("tidy row, corpus %s: %w", c.Name, err)
	}
	return &proxyCommand{Name: "mod tidy", Args: []string{"mod", "tidy"}, InModule: true, Requires: req,
		Files: map[string][]byte{"main.go": tidyMain(imports)},
		Notes: []string{fmt.Sprintf("go mod tidy of a fresh module whose main.go imports packages of %d modules it does not require yet (resolved by @v/list queries, served from the %s tree)", len(req), c.Name)}}, nil
}

// toolchainCommands are go version in a fresh module whose go line asks
// for goVersion's toolchain ("go1.27.3") with GOTOOLCHAIN=auto: go
// downloads the golang.org/toolchain zip, checks it against the checksum
// database and runs it, so the output must name goVersion. With connCap
// above zero a second variant runs over a link that caps each connection.
func toolchainCommands(tree *Corpus, goVersion string, connCap int64) []*proxyCommand {
	v := strings.TrimPrefix(goVersion, "go")
	note := fmt.Sprintf("go version in a module whose go.mod says go %s, GOTOOLCHAIN=auto: go downloads the %s toolchain (%s zip, from a tree filled once by the real go) and switches to it", v, goVersion, formatBytes(tree.Want.Size()))
	base := proxyCommand{Name: "toolchain switch", Args: []string{"version"}, InModule: true, GoLine: v,
		Toolchain: "auto", Output: goVersion, Corpus: tree, Notes: []string{note}}
	one := base
	out := []*proxyCommand{&one}
	if connCap > 0 {
		capped := base
		capped.Name = fmt.Sprintf("toolchain switch, %s per connection", formatBandwidth(connCap))
		capped.ConnBandwidth = connCap
		capped.Notes = []string{note, fmt.Sprintf("each connection capped at %s under the shared link, as a mirror or path limiting every stream: one stream takes at least %s for the zip",
			formatBandwidth(connCap), formatDuration(time.Duration(float64(tree.Want.Size())/float64(connCap)*float64(time.Second))))}
		out = append(out, &capped)
	}
	return out
}

// proxyMethod is the method section's account of the proxy-path rows.
func proxyMethod() string {
	return fmt.Sprintf(`- Proxy-path rows (cold get, install -n of a large tool and of a small one, mod tidy with new imports, a toolchain switch, and their stalled and error variants) run commands that have no go.sum to lean on, each on a fresh module cache and GOPATH (go keeps the checksum database's tree state in $GOPATH/pkg/sumdb): the mirrors also serve a checksum database (/sumdb/%s/…) signing the corpus go.sum hashes, the hashes go checked when a tree was filled and the lookups it cached then (the trees are real module caches, so the hashes are real), all in the database's tree before the run starts (as a real database holds every module, so its tree does not grow while the run looks them up; being small, its tiles are shared by all records, where a real database's differ for almost every lookup, which makes go's own lookups cheaper here than on the real one), go gets GOSUMDB=<that database's key> with no URL, so it asks each GOPROXY entry for /sumdb/…/supported first as with the default database, and GOFLAGS is empty. A run counts only if it exits 0 and leaves the expected result (every requested module required in go.mod at its version and a go.sum; go install -n moving the binary into GOPATH/bin; go version naming the toolchain switched to) and the same module-cache downloads as the row's first successful run.
- get and install-small are served from the -proxy-corpus tree. The install row's tool and the toolchain row's toolchain are served from tool corpora: trees filled once, outside the namespace, by running the real command (go install -n pkg@version; GOTOOLCHAIN=<toolchain> go version) with a fresh module cache and GOPATH against the user's real proxy, stamped with the command so that another version is filled again. install -n resolves and downloads the whole build but compiles nothing, so it times the downloads alone. The tidy row's module imports packages of modules it does not require, each resolved through the mirrors' @v/list (the versions whose zips the tree holds); go.mod must then require each at the latest of them. The toolchain row's module says go <version> with GOTOOLCHAIN=auto; its second variant caps every connection (-proxy-conn-bandwidth) under the shared bandwidth. The mirrors answer byte-range requests as net/http does (206, 416).
- Over-fetch: the mirrors count the bytes of every tree file they serve, per file and run. For each gofast run the over-fetch is the bytes of files gofast had served that go, running the same command in the same round, never requested (files go asked for, however often fetched, do not count), as a percentage of the tree bytes served to go. The trees hold only what go fetched when they were filled, so the mirrors also serve a stand-in (a go.mod, .info and zip of about a real one's size, signed by the emulated checksum database) for every version a go.sum or cached lookup names that the tree lacks: a read-ahead of a version go never asks for costs bytes, as at a real mirror. Where go's run failed (a stalled or failing mirror), go's first successful run of the command is the reference. Checksum-database traffic is not counted.
`, sumDBName)
}
