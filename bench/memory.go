package main

import (
	"context"
	"fmt"
	"path/filepath"
)

// MemRow is one line of the peak-memory table.
type MemRow struct {
	// What is the command measured ("gofast prefetch").
	What   string
	Corpus string
	// RTT is the round-trip column: "50 ms", or "all" for rows gathered
	// from every cold download comparison.
	RTT   string
	Runs  []Run
	Notes []string
}

// memory measures gofast's own peak memory during a cold prefetch of
// cfg.MemoryCorpus. gofast mod download execs go in the same process, so
// its peak is the larger of the two; gofast prefetch never becomes go and
// shows gofast alone. The mod download rows reuse the cold comparison's
// runs of the same corpus, when there are any.
func (h *harness) memory(ctx context.Context, cold []Row) ([]MemRow, error) {
	c := h.corpora[h.cfg.MemoryCorpus]
	link := h.link(h.cfg.FaultRTT)
	pre := MemRow{What: "gofast prefetch", Corpus: c.Name, RTT: formatRTT(link.RTT),
		Notes: []string{"gofast alone: prefetch does not hand over to go"}}
	for i := 1; i <= max(h.cfg.MemoryRuns, 1); i++ {
		run, err := h.prefetch(ctx, c, link, i)
		if err != nil {
			return nil, err
		}
		pre.Runs = append(pre.Runs, run)
	}
	var goRow, fastRow MemRow
	goRow = MemRow{What: "go mod download", Corpus: c.Name, RTT: "all", Notes: []string{"from the cold download runs"}}
	fastRow = MemRow{What: "gofast mod download", Corpus: c.Name, RTT: "all", Notes: []string{"from the cold download runs; includes go, which gofast execs"}}
	for _, r := range cold {
		if r.Corpus == c.Name && r.Scenario == "cold download" {
			goRow.Runs = append(goRow.Runs, r.Go...)
			fastRow.Runs = append(fastRow.Runs, r.Gofast...)
		}
	}
	rows := []MemRow{pre}
	if len(goRow.Runs) > 0 {
		rows = append(rows, goRow, fastRow)
	}
	return rows, nil
}

// prefetch runs one cold `gofast prefetch` of c over link.
func (h *harness) prefetch(ctx context.Context, c *Corpus, link Link, i int) (Run, error) {
	dir, done, err := h.scratch(fmt.Sprintf("prefetch-%s-%d", c.Name, i))
	if err != nil {
		return Run{}, err
	}
	defer done()
	src := filepath.Join(dir, "src")
	if err := c.CopySrc(src); err != nil {
		return Run{}, err
	}
	ms, err := startMirrors(c.Tree(), link, []mirrorSpec{{Kind: goodMirror}})
	if err != nil {
		return Run{}, err
	}
	env := toolEnv{GoRoot: h.goRoot, Proxy: ms.GOPROXY(","), Mirrors: ms.Mirrors(),
		ModCache: filepath.Join(dir, "modcache"), GoCache: h.goCache, Home: filepath.Join(dir, "home")}
	path, args := h.tool(sideGofast, "prefetch")
	res, err := runProc(ctx, Proc{Path: path, Args: args, Dir: src, Env: env.environ(h.base),
		Timeout: h.cfg.Timeout, Log: filepath.Join(dir, "log")})
	bytes, reqs := ms.Served()
	ms.Close()
	if err != nil {
		return Run{}, err
	}
	run := runOf(res, "timeout")
	run.Bytes, run.Requests = bytes, reqs
	h.logf("memory %s %s run %d: %s", c.Name, link, i, describeRun(run))
	return run, nil
}

// rssSummary returns the median, minimum and maximum peak RSS of the
// successful runs.
func rssSummary(runs []Run) (median, lo, hi int64) {
	var xs []int64
	for _, r := range runs {
		if r.OK() && r.MaxRSS > 0 {
			xs = append(xs, r.MaxRSS)
		}
	}
	if len(xs) == 0 {
		return 0, 0, 0
	}
	lo, hi = xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return medianInt64(xs), lo, hi
}
