package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// side is one of the tools in a comparison.
type side int

const (
	sideGo side = iota
	sideGofast
	// sideGo64 is GOMAXPROCS=64 go, in an environment otherwise the same:
	// the first thing users try to speed go up.
	sideGo64
	// sideRetry is plain go in the retry loop CI scripts use when a mirror
	// misbehaves (retryPolicy); it runs only in the fault rows, since on a
	// healthy mirror its first attempt is a plain go run.
	sideRetry
)

// maxProcs64 is the GOMAXPROCS of the sideGo64 runs.
const maxProcs64 = 64

func (s side) String() string {
	switch s {
	case sideGo:
		return "go"
	case sideGo64:
		return "GOMAXPROCS=64 go"
	case sideRetry:
		return "go retry loop"
	}
	return "gofast"
}

// sides are the tools of one round, in the order they run.
func (h *harness) sides() []side {
	if h.cfg.NoGo64 {
		return []side{sideGo, sideGofast}
	}
	return []side{sideGo, sideGo64, sideGofast}
}

// sidesFor are the tools of one round of cmp: sides, with the retry loop
// before gofast in the rows whose mirrors misbehave (-no-retry drops it).
func (h *harness) sidesFor(cmp comparison) []side {
	out := h.sides()
	if !cmp.faulty() || h.cfg.NoRetry {
		return out
	}
	return append(out[:len(out)-1:len(out)-1], sideRetry, sideGofast)
}

// faulty reports whether a mirror of cmp stalls or fails requests.
func (cmp comparison) faulty() bool {
	for _, m := range cmp.Mirrors {
		if m.Kind != goodMirror {
			return true
		}
	}
	return false
}

// comparison is one row of the main table: go and gofast doing the same
// cold go mod download against the same emulated mirrors, alternating go,
// gofast, go, gofast, each run with a fresh module cache.
type comparison struct {
	// Scenario names the row ("cold download").
	Scenario string
	Corpus   *Corpus
	Link     Link
	Rounds   int
	// Bound is each run's time limit; BoundLabel says what reaching it
	// means ("timeout", or "stalled" where hanging is the expected failure).
	Bound      time.Duration
	BoundLabel string
	// Mirrors are started fresh for every run. GOPROXY lists them joined by
	// Sep; GOFAST_MIRRORS lists them all.
	Mirrors []mirrorSpec
	Sep     string
	// Notes go into the table's notes column.
	Notes []string
	// Cmd, when set, is a proxy-path command run instead of go mod download.
	Cmd *proxyCommand
	// Emulator is the link emulator between the tools and the mirrors: the
	// in-process one (the zero value) or toxiproxy.
	Emulator emulatorKind
}

// Row is one line of the main table.
type Row struct {
	Scenario string
	Corpus   string
	// RTT is the emulated round trip; Offline rows involve no network.
	RTT     time.Duration
	Offline bool
	// Go, Go64, Retry and Gofast are the runs of each tool; Go64
	// (GOMAXPROCS=64 go) and Retry (go in a retry loop) are empty where
	// that side was not run.
	Go, Go64, Retry, Gofast []Run
	// RetryTotal is the retry loop's total bound, for its lower-bound
	// ratio.
	RetryTotal time.Duration
	// Bound is the runs' time limit, for lower-bound ratios, and
	// BoundLabel what reaching it is called ("timeout", "stalled").
	Bound      time.Duration
	BoundLabel string
	// Floor is the physical limit for the work, zero where none applies.
	Floor Floor
	Notes []string
}

// coldComparisons returns the cold download comparisons: every corpus at
// every round-trip time, one good mirror.
func (h *harness) coldComparisons() []comparison {
	var out []comparison
	for _, name := range h.cfg.Corpora {
		for _, rtt := range h.cfg.RTTs {
			out = append(out, comparison{
				Scenario: "cold download", Corpus: h.corpora[name],
				Link:   h.link(rtt),
				Rounds: h.cfg.roundsAt(rtt), Bound: h.cfg.Timeout, BoundLabel: "timeout",
				Mirrors: []mirrorSpec{{Kind: goodMirror}}, Sep: ",",
			})
		}
	}
	return out
}

// stallComparison puts a stalled mirror first: go gets
// GOPROXY="<stalled>|<good>", gofast GOFAST_MIRRORS="<stalled>,<good>"
// (and the same GOPROXY), and both are killed at the stall bound.
func (h *harness) stallComparison() comparison {
	return comparison{
		Scenario: "stalled first mirror", Corpus: h.corpora[h.cfg.FaultCorpus],
		Link:   h.link(h.cfg.FaultRTT),
		Rounds: h.cfg.FaultRounds, Bound: h.cfg.StallBound, BoundLabel: "stalled",
		Mirrors: []mirrorSpec{{Kind: stalledMirror}, {Kind: goodMirror}}, Sep: "|",
		Notes: []string{"GOPROXY=stalled|good"},
	}
}

// errorComparison uses one mirror that answers a fraction of requests 500.
func (h *harness) errorComparison() comparison {
	return comparison{
		Scenario: fmt.Sprintf("%g%% errors", h.cfg.ErrorRate*100), Corpus: h.corpora[h.cfg.FaultCorpus],
		Link:   h.link(h.cfg.FaultRTT),
		Rounds: h.cfg.FaultRounds, Bound: h.cfg.Timeout, BoundLabel: "timeout",
		Mirrors: []mirrorSpec{{Kind: flakyMirror, ErrorRate: h.cfg.ErrorRate, Seed: h.cfg.Seed}}, Sep: ",",
	}
}

// compare runs cmp and returns its row.
func (h *harness) compare(ctx context.Context, cmp comparison) (Row, error) {
	row := h.newRow(cmp)
	if cmp.Cmd != nil {
		return h.compareProxy(ctx, cmp, row)
	}
	for round := 1; round <= cmp.Rounds; round++ {
		if err := h.downloadRound(ctx, cmp, round, &row); err != nil {
			return row, err
		}
	}
	return row, h.finishRow(ctx, cmp, &row)
}

// newRow is cmp's row before any run.
func (h *harness) newRow(cmp comparison) Row {
	row := Row{Scenario: cmp.Scenario, Corpus: cmp.Corpus.Name, RTT: cmp.Link.RTT,
		Bound: cmp.Bound, BoundLabel: cmp.BoundLabel, Notes: cmp.Notes}
	if cmp.faulty() {
		row.RetryTotal = h.cfg.retryTotal()
	}
	return row
}

// downloadRound runs one round of a mod download comparison: every side
// once, in order, adding the runs to row.
func (h *harness) downloadRound(ctx context.Context, cmp comparison, round int, row *Row) error {
	// gofast must fetch what go fetched in the same round; when go did
	// not finish, what go fetched when the tree was filled.
	want := cmp.Corpus.Want
	for _, s := range h.sidesFor(cmp) {
		var ref fileSet
		if s == sideGofast {
			ref = want
		}
		run, set, err := h.download(ctx, cmp, s, round, ref)
		if err != nil {
			return err
		}
		if s == sideGo && run.OK() {
			want = set
		}
		row.add(s, run)
	}
	return nil
}

// finishRow adds the physical floor and the corpus size to a mod download
// row.
func (h *harness) finishRow(ctx context.Context, cmp comparison, row *Row) error {
	floor, err := h.floor(ctx, cmp.Corpus, cmp.Link)
	if err != nil {
		return err
	}
	row.Floor = floor
	row.Notes = append(row.Notes, fmt.Sprintf("%s in %d zips", formatBytes(cmp.Corpus.Want.Size()), cmp.Corpus.Want.Count(".zip")), floor.String())
	return nil
}

// add records run as one of side's.
func (r *Row) add(s side, run Run) {
	switch s {
	case sideGo:
		r.Go = append(r.Go, run)
	case sideGo64:
		r.Go64 = append(r.Go64, run)
	case sideRetry:
		r.Retry = append(r.Retry, run)
	default:
		r.Gofast = append(r.Gofast, run)
	}
}

// timeRun runs side s's go command args in src with env (GOMAXPROCS=64
// for that side, the retry loop for sideRetry) against the mirrors ms,
// which it closes, logging to logFile, and returns the timed run: failed
// when it timed out or exited non-zero, with the bytes and requests the
// mirrors served. The run's temporary directory is env.TmpDir, or tmp
// under env.Home, so that it lies on the run's own file system.
func (h *harness) timeRun(ctx context.Context, s side, cmp comparison, ms *mirrorSet, env toolEnv, src, logFile string, args ...string) (Run, error) {
	defer ms.Close()
	if s == sideGo64 {
		env.MaxProcs = maxProcs64
	}
	if env.TmpDir == "" {
		env.TmpDir = filepath.Join(env.Home, "tmp")
	}
	if err := os.MkdirAll(env.TmpDir, 0o755); err != nil {
		return Run{}, fmt.Errorf("making the run's temp dir: %w", err)
	}
	path, argv := h.tool(s, args...)
	p := Proc{Path: path, Args: argv, Dir: src, Env: env.environ(h.base), Timeout: cmp.Bound, Log: logFile}
	var run Run
	if s == sideRetry {
		r, err := h.retryRun(ctx, p, cmp.BoundLabel)
		if err != nil {
			return Run{}, err
		}
		run = r
	} else {
		res, err := runProc(ctx, p)
		if err != nil {
			return Run{}, err
		}
		run = runOf(res, cmp.BoundLabel)
	}
	run.Bytes, run.Requests = ms.Served()
	return run, nil
}

// download runs one tool's cold mod download for cmp and checks the result:
// go's own runs against the corpus, gofast's against want and with go mod
// verify. It returns the run and the files it fetched.
func (h *harness) download(ctx context.Context, cmp comparison, s side, round int, want fileSet) (Run, fileSet, error) {
	dir, done, err := h.scratch(fmt.Sprintf("%s-%s-%s-r%d-%s", slug(cmp.Scenario), cmp.Corpus.Name, slug(formatRTT(cmp.Link.RTT)), round, s))
	if err != nil {
		return Run{}, nil, err
	}
	defer done()
	src, modcache := filepath.Join(dir, "src"), filepath.Join(dir, "modcache")
	if err := cmp.Corpus.CopySrc(src); err != nil {
		return Run{}, nil, err
	}
	ms, err := h.startMirrors(ctx, cmp)
	if err != nil {
		return Run{}, nil, err
	}
	env := toolEnv{
		GoRoot: h.goRoot, Proxy: ms.GOPROXY(cmp.Sep), Mirrors: ms.Mirrors(),
		ModCache: modcache, GoCache: h.goCache, Home: filepath.Join(dir, "home"),
	}
	run, err := h.timeRun(ctx, s, cmp, ms, env, src, filepath.Join(dir, "log"), "mod", "download")
	if err != nil {
		return Run{}, nil, err
	}
	var got fileSet
	if run.Fail == "" {
		if want == nil {
			want = cmp.Corpus.Want
		}
		got, run.Fail, err = h.guard(ctx, s, src, env, want)
		if err != nil {
			return Run{}, nil, err
		}
	}
	h.logf("%s %s %s round %d/%d %s: %s", cmp.Scenario, cmp.Corpus.Name, cmp.Link, round, cmp.Rounds, s, describeRun(run))
	return run, got, nil
}

// guard is the correctness check after a finished run: the module cache
// must hold exactly the files want lists (no fewer, no more, none of other
// sizes), and after a gofast run go mod verify must pass without network.
// It returns the files found and "" or the reason the run does not count.
func (h *harness) guard(ctx context.Context, s side, src string, env toolEnv, want fileSet) (fileSet, string, error) {
	got, err := scanDownloads(filepath.Join(env.ModCache, "cache", "download"))
	if err != nil {
		return nil, "", err
	}
	if d := diffSets(want, got); !d.Empty() {
		return got, "fetched different files: " + d.String(), nil
	}
	if s != sideGofast {
		return got, "", nil
	}
	env.Proxy = "off"
	dir, done, err := h.scratch("verify")
	if err != nil {
		return nil, "", err
	}
	defer done()
	res, err := runProc(ctx, Proc{Path: h.goTool, Args: []string{"mod", "verify"}, Dir: src,
		Env: env.environ(h.base), Timeout: h.cfg.Timeout, Log: filepath.Join(dir, "log")})
	if err != nil {
		return nil, "", err
	}
	if res.Exit != 0 || res.TimedOut {
		return got, "go mod verify: " + failReason(res, "timeout"), nil
	}
	return got, "", nil
}

// describeRun is a run in a progress line.
func describeRun(r Run) string {
	if !r.OK() {
		reason := r.Fail
		if reason == "" {
			reason = fmt.Sprintf("exit %d", r.Exit)
		}
		return fmt.Sprintf("FAIL after %s: %s", formatDuration(r.Wall), reason)
	}
	s := fmt.Sprintf("%s ok (%s served in %d requests, peak RSS %s, user %s, sys %s",
		formatDuration(r.Wall), formatBytes(r.Bytes), r.Requests, formatBytes(r.MaxRSS), formatDuration(r.User), formatDuration(r.Sys))
	if r.Attempts > 0 {
		s += ", " + plural(r.Attempts, "attempt")
	}
	return s + ")"
}
