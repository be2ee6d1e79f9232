package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"
)

// overheadBudget is the foundation issue's limit: gofast version may cost
// at most this multiple of go version.
const overheadBudget = 1.5

// versionOverhead times `go version` against `gofast version`, alternating,
// cfg.VersionIters times each after a few untimed warm-up runs. No network
// is involved: GOPROXY is off.
func (h *harness) versionOverhead(ctx context.Context) (Row, error) {
	dir, done, err := h.scratch("version")
	if err != nil {
		return Row{}, err
	}
	defer done()
	env := toolEnv{GoRoot: h.goRoot, Proxy: "off", ModCache: filepath.Join(dir, "modcache"),
		GoCache: h.goCache, Home: filepath.Join(dir, "home")}
	row := Row{Scenario: "warm: version", Corpus: "—", Offline: true}
	err = h.alternate(ctx, &row, h.cfg.VersionIters, dir, env.environ(h.base), "version")
	if err != nil {
		return row, err
	}
	row.Notes = append(row.Notes, overheadNote(row, overheadBudget))
	h.logf("version overhead: %s", row.Notes[0])
	return row, nil
}

// buildOverhead times a warm `go build` against a warm `gofast build` of a
// small main module that imports one corpus module (cfg.BuildDep), with
// module and build caches already filled. The mirror stays up over the
// fault link, so any network use by gofast's warm path shows in the time.
func (h *harness) buildOverhead(ctx context.Context) (Row, error) {
	modPath, version, _ := strings.Cut(h.cfg.BuildDep, "@")
	c, err := h.corpusWith(modPath, version)
	if err != nil {
		return Row{}, err
	}
	dir, done, err := h.scratch("build")
	if err != nil {
		return Row{}, err
	}
	defer done()
	src := filepath.Join(dir, "src")
	if err := writeBuildModule(src, modPath, version, filepath.Join(c.Src, "go.sum")); err != nil {
		return Row{}, err
	}
	link := h.link(h.cfg.FaultRTT)
	ms, err := startMirrors(c.Tree(), link, []mirrorSpec{{Kind: goodMirror}})
	if err != nil {
		return Row{}, err
	}
	defer ms.Close()
	env := toolEnv{GoRoot: h.goRoot, Proxy: ms.GOPROXY(","), Mirrors: ms.Mirrors(),
		ModCache: filepath.Join(dir, "modcache"), GoCache: h.goCache, Home: filepath.Join(dir, "home")}
	environ := env.environ(h.base)
	// go mod tidy -e trims the copied go.sum to the lines this module
	// needs, so gofast's warm check sees a realistic go.sum (-e: the test
	// dependencies of the imported module are not in the corpus tree); then
	// one untimed build by each tool fills the caches.
	for _, step := range []struct {
		s    side
		args []string
	}{{sideGo, []string{"mod", "tidy", "-e"}}, {sideGo, []string{"build", "-o", "out", "."}}, {sideGofast, []string{"build", "-o", "out", "."}}} {
		path, args := h.tool(step.s, step.args...)
		res, err := runProc(ctx, Proc{Path: path, Args: args, Dir: src, Env: environ, Timeout: h.cfg.Timeout, Log: filepath.Join(dir, "log")})
		if err != nil {
			return Row{}, err
		}
		if reason := failReason(res, "timeout"); reason != "" {
			return Row{}, fmt.Errorf("preparing the build module (%s %s): %s", step.s, strings.Join(step.args, " "), reason)
		}
		h.logf("build overhead setup: %s %s took %s", step.s, strings.Join(step.args, " "), formatDuration(res.Wall))
	}
	row := Row{Scenario: "warm: build", Corpus: modPath, RTT: link.RTT}
	if err := h.alternate(ctx, &row, h.cfg.BuildIters, src, environ, "build", "-o", "out", "."); err != nil {
		return row, err
	}
	row.Notes = append(row.Notes, overheadNote(row, 0))
	h.logf("build overhead: %s", row.Notes[0])
	return row, nil
}

// alternate runs go and gofast with args in turn, n times each, appending
// the runs to row.
func (h *harness) alternate(ctx context.Context, row *Row, n int, dir string, env []string, args ...string) error {
	log := filepath.Join(h.work, "alternate.log")
	for i := 0; i < n; i++ {
		for _, s := range []side{sideGo, sideGofast} {
			path, a := h.tool(s, args...)
			res, err := runProc(ctx, Proc{Path: path, Args: a, Dir: dir, Env: env, Timeout: h.cfg.Timeout, Log: log})
			if err != nil {
				return err
			}
			run := runOf(res, "timeout")
			if s == sideGo {
				row.Go = append(row.Go, run)
			} else {
				row.Gofast = append(row.Gofast, run)
			}
		}
	}
	return nil
}

// overheadNote states gofast's cost relative to go, against budget when
// budget is positive.
func overheadNote(row Row, budget float64) string {
	g, f := summarize(row.Go), summarize(row.Gofast)
	if !g.AllOK() || !f.AllOK() || g.Median <= 0 {
		return "overhead not measured: a run failed"
	}
	x := float64(f.Median) / float64(g.Median)
	note := fmt.Sprintf("gofast costs %s go's time", formatRatio(x))
	switch {
	case budget <= 0:
	case x <= budget:
		note += fmt.Sprintf(" (budget ≤ %s: ok)", formatRatio(budget))
	default:
		note += fmt.Sprintf(" (budget ≤ %s: OVER)", formatRatio(budget))
	}
	return note
}

// corpusWith returns a loaded corpus whose tree has the zip of path@version.
func (h *harness) corpusWith(path, version string) (*Corpus, error) {
	ep, err := module.EscapePath(path)
	if err != nil {
		return nil, fmt.Errorf("-build-dep: %w", err)
	}
	ev, err := module.EscapeVersion(version)
	if err != nil {
		return nil, fmt.Errorf("-build-dep: %w", err)
	}
	zip := ep + "/@v/" + ev + ".zip"
	for _, name := range h.corpusNames() {
		if c := h.corpora[name]; c != nil {
			if _, ok := c.Want[zip]; ok {
				return c, nil
			}
		}
	}
	return nil, fmt.Errorf("-build-dep %s@%s: no loaded corpus has it", path, version)
}

// writeBuildModule writes a main module in dir that imports path and
// requires it at version, with a go.sum copied from sumFile.
func writeBuildModule(dir, path, version, sumFile string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	gomod := fmt.Sprintf("module example.com/gofastbench\n\ngo 1.21\n\nrequire %s %s\n", path, version)
	main := fmt.Sprintf("package main\n\nimport _ %q\n\nfunc main() {}\n", path)
	sums, err := os.ReadFile(sumFile)
	if err != nil {
		return fmt.Errorf("build module: %w", err)
	}
	if !hasSumLine(sums, path, version) {
		return fmt.Errorf("build module: %s has no line for %s %s", sumFile, path, version)
	}
	for name, data := range map[string][]byte{"go.mod": []byte(gomod), "main.go": []byte(main), "go.sum": sums} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("build module: %w", err)
		}
	}
	return nil
}

// hasSumLine reports whether go.sum data has the zip hash of path@version.
func hasSumLine(data []byte, path, version string) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == path && f[1] == version {
			return true
		}
	}
	return false
}
