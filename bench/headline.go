package main

import (
	"fmt"
	"strings"
	"time"
)

// headlineRTT is the round trip the headline prefers for cold downloads:
// typical of a far-away mirror, without the extremes.
const headlineRTT = 100 * time.Millisecond

// headline returns the few sentences a README can copy: per corpus the cold
// download at headlineRTT (or the nearest measured), the stalled and flaky
// mirrors, the warm overhead and gofast's peak memory.
func headline(r *Report) []string {
	var lines []string
	for _, row := range pickColdRows(r.Rows) {
		lines = append(lines, fmt.Sprintf("**%s**, cold `go mod download` at %s round trip and %s: %s",
			row.Corpus, formatRTT(row.RTT), formatBandwidth(r.Bandwidth), versus(row)))
	}
	for _, row := range r.Rows {
		switch {
		case row.Scenario == "stalled first mirror":
			lines = append(lines, fmt.Sprintf("**First mirror stalled** (%s, GOPROXY=\"stalled|good\"): %s", row.Corpus, versus(row)+retryVersus(row)))
		case strings.HasSuffix(row.Scenario, "errors"):
			lines = append(lines, fmt.Sprintf("**Mirror answering %s with 500** (%s): %s", strings.TrimSuffix(row.Scenario, " errors")+" of requests", row.Corpus, versus(row)+retryVersus(row)))
		case row.Scenario == "warm: version" || row.Scenario == "warm: build":
			cmd := strings.TrimPrefix(row.Scenario, "warm: ")
			g, f := summarize(row.Go), summarize(row.Gofast)
			lines = append(lines, fmt.Sprintf("**Warm `gofast %s`**: %s against `go %s` %s — %s",
				cmd, sideCell(f, row.BoundLabel, row.Bound), cmd, sideCell(g, row.BoundLabel, row.Bound), strings.Join(row.Notes, "; ")))
		}
	}
	if e := r.Emulators; e != nil {
		lines = append(lines, fmt.Sprintf("**Emulator cross-check** (%s, cold `go mod download` at %s): %s",
			e.Corpus, formatRTT(e.RTT), ratioLine("go", e.InProcess, e.Toxiproxy, func(r Row) []Run { return r.Go })))
	}
	for _, m := range r.Memory {
		if m.What != "gofast prefetch" {
			continue
		}
		s := summarize(m.Runs)
		if med, _, _ := rssSummary(m.Runs); med > 0 && s.AllOK() {
			lines = append(lines, fmt.Sprintf("**Peak memory** of a cold `gofast prefetch` of %s: %s", m.Corpus, formatBytes(med)))
		} else {
			lines = append(lines, fmt.Sprintf("**Peak memory** of a cold `gofast prefetch` of %s: not measured (%s)", m.Corpus, sideCell(s, "timeout", 0)))
		}
	}
	return lines
}

// versus is "go X, gofast Y — Z× faster" for a comparison row.
func versus(row Row) string {
	g, f := summarize(row.Go), summarize(row.Gofast)
	s := fmt.Sprintf("go %s, gofast %s", sideCell(g, row.BoundLabel, row.Bound), sideCell(f, row.BoundLabel, row.Bound))
	ratio := speedup(g, f, row.Bound)
	if ratio != "—" {
		s += " — " + ratio + " faster"
		if l := row.Floor.Limit(); l > 0 {
			s += fmt.Sprintf("; physical floor %s, gofast/floor %s", formatDuration(l), formatRatio(float64(f.Median)/float64(l)))
		}
	}
	return s
}

// retryVersus is "; the go retry loop: X (gofast N× faster)" for a fault
// row that ran the retry-loop side, "" otherwise.
func retryVersus(row Row) string {
	if len(row.Retry) == 0 {
		return ""
	}
	s := "; the go retry loop: " + retryCell(row.Retry, row.RetryTotal)
	if ratio := speedup(summarize(row.Retry), summarize(row.Gofast), row.RetryTotal); ratio != "—" {
		s += " (gofast " + ratio + " faster)"
	}
	return s
}

// pickColdRows returns, per corpus in table order, the cold download row
// whose round trip is closest to headlineRTT.
func pickColdRows(rows []Row) []Row {
	var order []string
	best := map[string]Row{}
	for _, row := range rows {
		if row.Scenario != "cold download" {
			continue
		}
		cur, ok := best[row.Corpus]
		if !ok {
			order = append(order, row.Corpus)
		}
		if !ok || absDuration(row.RTT-headlineRTT) < absDuration(cur.RTT-headlineRTT) {
			best[row.Corpus] = row
		}
	}
	var out []Row
	for _, c := range order {
		out = append(out, best[c])
	}
	return out
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
