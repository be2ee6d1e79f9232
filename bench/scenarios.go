package main

import (
	"context"
	"fmt"
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
)

// maxProcs64 is the GOMAXPROCS of the sideGo64 runs.
const maxProcs64 = 64

func (s side) String() string {
	switch s {
	case sideGo:
		return "go"
	case sideGo64:
		return "GOMAXPROCS=64 go"
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
}

// Row is one line of the main table.
type Row struct {
	Scenario string
	Corpus   string
	// RTT is the emulated round trip; Offline rows involve no network.
	RTT     time.Duration
	Offline bool
	// Go, Go64 and Gofast are the runs of each tool; Go64 (GOMAXPROCS=64
	// go) is empty where that side was not run.
	Go, Go64, Gofast []Run
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
	row := Row{Scenario: cmp.Scenario, Corpus: cmp.Corpus.Name, RTT: cmp.Link.RTT,
		Bound: cmp.Bound, BoundLabel: cmp.BoundLabel, Notes: cmp.Notes}
	if cmp.Cmd != nil {
		return h.compareProxy(ctx, cmp, row)
	}
	for round := 1; round <= cmp.Rounds; round++ {
		// gofast must fetch what go fetched in the same round; when go did
		// not finish, what go fetched when the tree was filled.
		want := cmp.Corpus.Want
		for _, s := range h.sides() {
			var ref fileSet
			if s == sideGofast {
				ref = want
			}
			run, set, err := h.download(ctx, cmp, s, round, ref)
			if err != nil {
				return row, err
			}
			if s == sideGo && run.OK() {
				want = set
			}
			row.add(s, run)
		}
	}
	floor, err := h.floor(ctx, cmp.Corpus, cmp.Link)
	if err != nil {
		return row, err
	}
	row.Floor = floor
	row.Notes = append(row.Notes, fmt.Sprintf("%s in %d zips", formatBytes(cmp.Corpus.Want.Size()), cmp.Corpus.Want.Count(".zip")), floor.String())
	return row, nil
}

// add records run as one of side's.
func (r *Row) add(s side, run Run) {
	switch s {
	case sideGo:
		r.Go = append(r.Go, run)
	case sideGo64:
		r.Go64 = append(r.Go64, run)
	default:
		r.Gofast = append(r.Gofast, run)
	}
}

// timeRun runs side s's go command args in src with env (GOMAXPROCS=64
// for that side) against the mirrors ms, which it closes, logging to
// logFile, and returns the timed run: failed when it timed out or exited
// non-zero, with the bytes and requests the mirrors served.
func (h *harness) timeRun(ctx context.Context, s side, cmp comparison, ms *mirrorSet, env toolEnv, src, logFile string, args ...string) (Run, error) {
	if s == sideGo64 {
		env.MaxProcs = maxProcs64
	}
	path, argv := h.tool(s, args...)
	res, err := runProc(ctx, Proc{Path: path, Args: argv, Dir: src, Env: env.environ(h.base),
		Timeout: cmp.Bound, Log: logFile})
	bytes, reqs := ms.Served()
	ms.Close()
	if err != nil {
		return Run{}, err
	}
	return Run{Wall: res.Wall, Exit: res.Exit, TimedOut: res.TimedOut, MaxRSS: res.MaxRSS,
		Bytes: bytes, Requests: reqs, Fail: failReason(res, cmp.BoundLabel)}, nil
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
	ms, err := startMirrors(cmp.Corpus.Tree(), cmp.Link, cmp.Mirrors)
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
	return fmt.Sprintf("%s ok (%s served in %d requests, peak RSS %s)",
		formatDuration(r.Wall), formatBytes(r.Bytes), r.Requests, formatBytes(r.MaxRSS))
}
