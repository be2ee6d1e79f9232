package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Config selects the scripts and says where to work.
type Config struct {
	Run      string        // regexp for the script names; "" means the Set
	Set      string        // "ci" or "full"
	Out      string        // file for the markdown table ("" is stdout)
	Work     string        // directory to keep; "" is a removed temporary one
	Parallel int           // -test.parallel for each side
	Timeout  time.Duration // -test.timeout for each side
	Side     string        // "both", "go" or "gofast"
	Log      io.Writer     // progress messages
	Report   string        // re-read the logs a run kept in this -work directory; run nothing
	Long     bool          // run without -test.short: also the scripts that build binaries or use VCS
	Core     bool          // put gofast-core itself in front of go, not the launcher install.sh installs
}

// Result is one script's outcome on both sides.
type Result struct {
	Name       string
	Alone      string // "pass", "fail", "skip" or "" (not run)
	Gofast     string
	FirstDiff  string // for pass alone / not pass through gofast: the first differing log line
	GofastFail string // the FAIL line of the gofast side's log, when there is one
}

// Report is the outcome of a run.
type Report struct {
	Results []Result
	Side    string
}

// scriptPrefixes are the families of module-related scripts in -set full.
var scriptPrefixes = []string{"mod_", "get_", "gotoolchain_", "work_", "install_"}

// selectRegexp returns the -test.run pattern for the script level.
func selectRegexp(cfg Config) (string, error) {
	switch {
	case cfg.Run != "" && cfg.Set != "":
		return "", errors.New("-run and -set are exclusive")
	case cfg.Run != "":
		if _, err := regexp.Compile(cfg.Run); err != nil {
			return "", fmt.Errorf("-run: %v", err)
		}
		return cfg.Run, nil
	case cfg.Set == "ci":
		return "^(" + strings.Join(ciScripts, "|") + ")$", nil
	case cfg.Set == "full" || cfg.Set == "":
		return "^(" + strings.Join(scriptPrefixes, "|") + ")", nil
	}
	return "", fmt.Errorf("-set %q: want ci or full", cfg.Set)
}

// Run builds gofast and the patched cmd/go test binary, runs the selected
// scripts on each side and compares the outcomes.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if runtime.GOOS == "windows" {
		return nil, errors.New("the conformance harness wraps go with a shell script and runs on unix only")
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 2
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Hour
	}
	if cfg.Side == "" {
		cfg.Side = "both"
	}
	if cfg.Side != "both" && cfg.Side != "go" && cfg.Side != "gofast" {
		return nil, fmt.Errorf("-side %q: want both, go or gofast", cfg.Side)
	}
	if cfg.Report != "" {
		alone, through, err := readLogs(cfg.Report)
		if err != nil {
			return nil, err
		}
		return compare(&Report{Side: cfg.Side}, alone, through), nil
	}
	pattern, err := selectRegexp(cfg)
	if err != nil {
		return nil, err
	}
	env := buildEnv()
	goroot, err := goEnv(ctx, env, "GOROOT")
	if err != nil {
		return nil, err
	}
	goTool := filepath.Join(goroot, "bin", "go")
	cmdGoDir := filepath.Join(goroot, "src", "cmd", "go")
	if _, err := os.Stat(filepath.Join(cmdGoDir, "testdata", "script")); err != nil {
		return nil, fmt.Errorf("cmd/go's script tests are not in this GOROOT: %v", err)
	}
	gomod, err := goEnv(ctx, env, "GOMOD")
	if err != nil {
		return nil, err
	}
	if gomod == "" || gomod == os.DevNull {
		return nil, errors.New("run the harness inside the gofast module (go env GOMOD is empty)")
	}
	root := filepath.Dir(gomod)

	work := cfg.Work
	if work == "" {
		work, err = os.MkdirTemp("", "gofast-conformance-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o777); err != nil {
		return nil, err
	}
	work, err = filepath.Abs(work)
	if err != nil {
		return nil, err
	}

	gofast := filepath.Join(work, "gofast")
	// Built as install.sh installs it: the lean launcher as gofast and
	// the complete program as gofast-core beside it (the launcher hands
	// every fetching command to it). -core puts the complete program
	// itself in front of go.
	fmt.Fprintf(cfg.Log, "conformance: building gofast\n")
	core := filepath.Join(work, "gofast-core")
	if cfg.Core {
		core = gofast
	}
	if err := run(ctx, root, env, cfg.Log, goTool, "build", "-o", core, "."); err != nil {
		return nil, fmt.Errorf("building gofast: %v", err)
	}
	if !cfg.Core {
		if err := run(ctx, root, env, cfg.Log, goTool, "build", "-o", gofast, "./cmd/gofast-front"); err != nil {
			return nil, fmt.Errorf("building gofast's launcher: %v", err)
		}
	}

	src, err := os.ReadFile(filepath.Join(cmdGoDir, "go_test.go"))
	if err != nil {
		return nil, err
	}
	patched, err := patchGoTest(string(src))
	if err != nil {
		return nil, err
	}
	patchedFile := filepath.Join(work, "go_test.go")
	if err := os.WriteFile(patchedFile, []byte(patched), 0o666); err != nil {
		return nil, err
	}
	condsSrc, err := os.ReadFile(filepath.Join(cmdGoDir, "scriptconds_test.go"))
	if err != nil {
		return nil, err
	}
	conds, err := patchScriptConds(string(condsSrc))
	if err != nil {
		return nil, err
	}
	condsFile := filepath.Join(work, "scriptconds_test.go")
	if err := os.WriteFile(condsFile, []byte(conds), 0o666); err != nil {
		return nil, err
	}
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {
		filepath.Join(cmdGoDir, "go_test.go"):          patchedFile,
		filepath.Join(cmdGoDir, "scriptconds_test.go"): condsFile,
	}})
	overlayFile := filepath.Join(work, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o666); err != nil {
		return nil, err
	}
	testBin := filepath.Join(work, "cmdgo.test")
	fmt.Fprintf(cfg.Log, "conformance: building the cmd/go test binary\n")
	if err := run(ctx, cmdGoDir, env, cfg.Log, goTool, "test", "-c", "-o", testBin, "-overlay", overlayFile, "cmd/go"); err != nil {
		return nil, fmt.Errorf("building the cmd/go test binary: %v", err)
	}

	// The scripts run with HOME=/no-home. gofast keeps its state (warm
	// stamps, mirror rankings) under $HOME/.cache/gofast and, run as root,
	// creates /no-home for it; that state would carry over from one side
	// or run to the next. When the run finds no /no-home, it removes the
	// one the scripts left after each side, so that every run starts alike.
	const scriptHome = "/no-home"
	_, statErr := os.Stat(scriptHome)
	cleanHome := errors.Is(statErr, fs.ErrNotExist)
	cleanup := func() {
		if cleanHome {
			os.RemoveAll(scriptHome)
		}
	}
	defer cleanup()

	rep := &Report{Side: cfg.Side}
	var alone, through map[string]*scriptLog
	if cfg.Side != "gofast" {
		fmt.Fprintf(cfg.Log, "conformance: running the scripts with go alone\n")
		start := time.Now()
		alone, err = runSide(ctx, cfg, goTool, cmdGoDir, testBin, pattern, "", filepath.Join(work, "go.json"))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(cfg.Log, "conformance: go alone took %v\n", time.Since(start).Round(time.Second))
		cleanup()
	}
	if cfg.Side != "go" {
		fmt.Fprintf(cfg.Log, "conformance: running the scripts through gofast\n")
		start := time.Now()
		through, err = runSide(ctx, cfg, goTool, cmdGoDir, testBin, pattern, gofast, filepath.Join(work, "gofast.json"))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(cfg.Log, "conformance: through gofast took %v\n", time.Since(start).Round(time.Second))
	}
	return compare(rep, alone, through), nil
}

// readLogs reads the event streams a run kept in dir (-work).
func readLogs(dir string) (alone, through map[string]*scriptLog, err error) {
	read := func(name string) (map[string]*scriptLog, error) {
		f, err := os.Open(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return parseEvents(f, nil), nil
	}
	if alone, err = read("go.json"); err != nil {
		return nil, nil, err
	}
	if through, err = read("gofast.json"); err != nil {
		return nil, nil, err
	}
	return alone, through, nil
}

// compare fills rep from the two sides' logs (either may be nil).
func compare(rep *Report, alone, through map[string]*scriptLog) *Report {
	names := map[string]bool{}
	for n := range alone {
		names[n] = true
	}
	for n := range through {
		names[n] = true
	}
	for n := range names {
		r := Result{Name: n}
		a, g := alone[n], through[n]
		if a != nil {
			r.Alone = a.action
		}
		if g != nil {
			r.Gofast = g.action
			r.GofastFail = g.failLine()
		}
		if r.Alone == "pass" && g != nil && r.Gofast != "pass" {
			r.FirstDiff = firstDiff(a.lines, g.lines)
		}
		rep.Results = append(rep.Results, r)
	}
	sort.Slice(rep.Results, func(i, j int) bool { return rep.Results[i].Name < rep.Results[j].Name })
	return rep
}

// buildEnv is the harness's environment for go commands: GOFLAGS cleared
// (so a -race or -mod from the caller does not reach the builds) and the
// local toolchain, so the cmd/go under test is the one on the machine.
func buildEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "GOFLAGS" || k == "GOTOOLCHAIN" || k == GofastEnv {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GOFLAGS=", "GOTOOLCHAIN=local")
}

func goEnv(ctx context.Context, env []string, name string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", name)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func run(ctx context.Context, dir string, env []string, log io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = log
	cmd.Stderr = log
	return cmd.Run()
}

// scriptLog is one script's events on one side.
type scriptLog struct {
	action string
	lines  []string
}

// failLine returns the script engine's failure line ("FAIL: testdata/script/x.txt:N: ...").
func (s *scriptLog) failLine() string {
	for _, l := range s.lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "FAIL: ") || strings.Contains(t, "FAIL: testdata/script/") {
			return t
		}
	}
	return ""
}

type event struct {
	Action string
	Test   string
	Output string
}

// runSide runs the test binary under test2json and returns each script's
// outcome. gofast, when not empty, turns on the wrapper in the patched
// TestMain. The raw event stream is kept in jsonFile.
func runSide(ctx context.Context, cfg Config, goTool, dir, testBin, pattern, gofast, jsonFile string) (map[string]*scriptLog, error) {
	args := []string{"tool", "test2json", "-t", "-p", "cmd/go", testBin,
		"-test.v=test2json",
		"-test.run=^TestScript$/" + pattern,
		fmt.Sprintf("-test.parallel=%d", cfg.Parallel),
		"-test.timeout=" + cfg.Timeout.String(),
	}
	if !cfg.Long {
		// Short mode skips the scripts that build and link binaries or
		// use VCS repositories (served by the test's local vcs-test
		// server). Either way [net] is false (patchScriptConds): no
		// script uses the outside network.
		args = append(args, "-test.short")
	}
	cmd := exec.CommandContext(ctx, goTool, args...)
	cmd.Dir = dir
	env := buildEnv()
	if gofast != "" {
		env = append(env, GofastEnv+"="+gofast)
	}
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	f, err := os.Create(jsonFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	logs := parseEvents(io.TeeReader(out, f), func(name string) {
		fmt.Fprintf(cfg.Log, "conformance: %s: FAIL %s\n", sideName(gofast), name)
	})
	// A nonzero exit is expected whenever a script fails; only a run that
	// reported nothing at all is an error of the harness.
	werr := cmd.Wait()
	if len(logs) == 0 {
		return nil, fmt.Errorf("%s: the test binary reported no scripts (%v)\n%s", sideName(gofast), werr, stderr.Bytes())
	}
	return logs, nil
}

// parseEvents reads test2json events and returns each script's outcome
// and output; onFail is called as each script fails.
func parseEvents(r io.Reader, onFail func(name string)) map[string]*scriptLog {
	logs := map[string]*scriptLog{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var ev event
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		name, ok := strings.CutPrefix(ev.Test, "TestScript/")
		if !ok || strings.Contains(name, "/") {
			continue
		}
		s := logs[name]
		if s == nil {
			s = &scriptLog{}
			logs[name] = s
		}
		switch ev.Action {
		case "output":
			s.lines = append(s.lines, strings.TrimRight(ev.Output, "\n"))
		case "pass", "fail", "skip":
			s.action = ev.Action
			if ev.Action == "fail" && onFail != nil {
				onFail(name)
			}
		}
	}
	return logs
}

func sideName(gofast string) string {
	if gofast == "" {
		return "go alone"
	}
	return "through gofast"
}

var (
	durationRE  = regexp.MustCompile(`\(\d+(\.\d+)?m?s\)`)
	tmpRE       = regexp.MustCompile(`cmd-go-test-\d+/[a-z]+\d+`)
	serverLogRE = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d `)
	portRE      = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	logPosRE    = regexp.MustCompile(`^\s*script_test\.go:\d+:\s*`)
	scriptDir   = regexp.MustCompile(`(\$TMP/[A-Za-z0-9_.-]*?)\d+\b`)
	stampRE     = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
)

// normalize removes what differs between any two runs: timings, the
// temporary directory's name and the test proxy's port.
func normalize(l string) string {
	l = durationRE.ReplaceAllString(l, "(T)")
	l = tmpRE.ReplaceAllString(l, "$$TMP")
	l = scriptDir.ReplaceAllString(l, "$1")
	l = portRE.ReplaceAllString(l, "127.0.0.1:PORT")
	l = strings.TrimSpace(logPosRE.ReplaceAllString(l, ""))
	return stampRE.ReplaceAllString(l, "TIME")
}

// firstDiff returns the first line of the gofast log that go's log lacks,
// or else the first line of go's log that gofast's lacks. Lines are
// matched as a multiset, not in order, because go prints some lines (its
// "go: downloading" ones) in the order parallel downloads finish. gofast's
// own "gofast: ..." lines are named only when nothing else differs, so
// that they do not hide what go did differently.
func firstDiff(alone, through []string) string {
	a, g := filterLines(alone), filterLines(through)
	var own []string
	var rest []string
	for _, l := range g {
		if strings.HasPrefix(l, "gofast: ") {
			own = append(own, l)
		} else {
			rest = append(rest, l)
		}
	}
	if d := missing(rest, a); d != "" {
		return "gofast: " + d
	}
	if d := missing(a, rest); d != "" {
		return "go alone: " + d
	}
	if len(own) > 0 {
		return "gofast's own line: " + own[0]
	}
	return ""
}

// missing returns the first line of x that y does not hold (as a multiset).
func missing(x, y []string) string {
	count := map[string]int{}
	for _, l := range y {
		count[l]++
	}
	for _, l := range x {
		if count[l] == 0 {
			return l
		}
		count[l]--
	}
	return ""
}

// filterLines normalizes the script's log lines. It drops test2json's own
// framing, the environment dump before the first command or comment, and
// the lines the test servers log for every script running at the time
// (the module proxy's "go proxy:" and timestamped vcs-test lines), which
// are not part of this script's output.
func filterLines(lines []string) []string {
	var out []string
	started := false
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if !started {
			started = strings.HasPrefix(t, "> ") || strings.HasPrefix(t, "# ")
		}
		if !started || t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") ||
			t == "[stdout]" || t == "[stderr]" ||
			strings.HasPrefix(t, "go proxy: ") || serverLogRE.MatchString(t) {
			continue
		}
		out = append(out, normalize(l))
	}
	return out
}

// Differs reports whether r passes alone but not through gofast.
func (r Result) Differs() bool {
	return r.Alone == "pass" && r.Gofast != "" && r.Gofast != "pass" && r.Gofast != "skip"
}

// Unlisted returns the differing scripts missing from knownDifferences.
func (rep *Report) Unlisted() []string {
	var bad []string
	for _, r := range rep.Results {
		if r.Differs() {
			if _, ok := known(r); !ok {
				bad = append(bad, r.Name)
			}
		}
	}
	return bad
}

// Summary is the one-line count of the run.
func (rep *Report) Summary() string {
	var alone, through, differ int
	for _, r := range rep.Results {
		if r.Alone == "pass" {
			alone++
		}
		if r.Gofast == "pass" {
			through++
		}
		if r.Differs() {
			differ++
		}
	}
	return fmt.Sprintf("%d scripts: %d pass alone, %d pass through gofast, %d differ", len(rep.Results), alone, through, differ)
}

// WriteMarkdown writes the per-script table and the summary.
func (rep *Report) WriteMarkdown(w io.Writer) {
	fmt.Fprintln(w, "| script | go alone | gofast | first differing line |")
	fmt.Fprintln(w, "|---|---|---|---|")
	cell := func(s string) string {
		if s == "" {
			return "-"
		}
		return strings.ReplaceAll(s, "|", `\|`)
	}
	for _, r := range rep.Results {
		diff := r.FirstDiff
		if r.Differs() {
			if r.GofastFail != "" {
				diff += " — " + r.GofastFail
			}
			if k, ok := known(r); ok {
				diff += " (known: " + k.Reason + ")"
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.Name, cell(r.Alone), cell(r.Gofast), cell(diff))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, rep.Summary())
}
