package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Report is everything a harness run measured, ready to render.
type Report struct {
	Date    time.Time
	Elapsed time.Duration
	// Command is the exact command line that reproduces the run.
	Command string
	Quick   bool
	Machine Machine
	// Isolation says how the runs were kept off the network.
	Isolation string
	Bandwidth int64
	// HandshakeRTTs are the extra round trips of each new connection.
	HandshakeRTTs int
	Rows          []Row
	Memory        []MemRow
}

// headlineStart and headlineEnd delimit the block a README can copy.
const (
	headlineStart = "<!-- headline:start -->"
	headlineEnd   = "<!-- headline:end -->"
)

// render writes the report as markdown.
func (r *Report) render(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Benchmarks: gofast against plain go\n\n")
	if r.Quick {
		b.WriteString("> **Quick run** (one small corpus, one round-trip time, few rounds): a smoke test of the harness, not the published figures.\n\n")
	}
	b.WriteString(headlineStart + "\n")
	for _, l := range headline(r) {
		b.WriteString("- " + l + "\n")
	}
	b.WriteString(headlineEnd + "\n\n")
	fmt.Fprintf(&b, "Measured %s on %s; the run took %s. Reproduce from the repository root with:\n\n",
		r.Date.UTC().Format("2006-01-02 15:04 MST"), r.Machine.Short(), formatElapsed(r.Elapsed))
	fmt.Fprintf(&b, "```sh\n%s\n```\n\n", r.Command)

	b.WriteString("## Results\n\n")
	b.WriteString("| scenario | corpus | RTT | go median [min–max] | GOMAXPROCS=64 go median [min–max] | gofast median [min–max] | go/gofast | GOMAXPROCS=64 go/gofast | floor | gofast/floor | notes |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, row := range r.Rows {
		b.WriteString(tableRow(row) + "\n")
	}
	if len(r.Memory) > 0 {
		b.WriteString("\n## Peak memory\n\n")
		b.WriteString("| command | corpus | RTT | runs ok | time median | peak RSS median [min–max] | notes |\n")
		b.WriteString("|---|---|---|---|---|---|---|\n")
		for _, m := range r.Memory {
			b.WriteString(memoryRow(m) + "\n")
		}
	}
	b.WriteString("\n## Method\n\n")
	b.WriteString(method(r))
	b.WriteString("\n## Running it\n\n")
	b.WriteString(runningIt)
	b.WriteString("\n## Machine\n\n")
	for _, l := range r.Machine.Lines() {
		b.WriteString("- " + l + "\n")
	}
	fmt.Fprintf(&b, "- network: %s\n", r.Isolation)
	_, err := io.WriteString(w, b.String())
	return err
}

// tableRow renders one comparison as a markdown table line.
func tableRow(row Row) string {
	g, g64, f := summarize(row.Go), summarize(row.Go64), summarize(row.Gofast)
	floor, perFloor := "—", "—"
	if l := row.Floor.Limit(); l > 0 {
		floor = formatDuration(l)
		if f.AllOK() {
			perFloor = formatRatio(float64(f.Median) / float64(l))
		}
	}
	rtt := formatRTT(row.RTT)
	if row.Offline {
		rtt = "—"
	}
	cells := []string{
		row.Scenario, row.Corpus, rtt,
		sideCell(g, row.BoundLabel, row.Bound), sideCell(g64, row.BoundLabel, row.Bound), sideCell(f, row.BoundLabel, row.Bound),
		speedup(g, f, row.Bound), speedup(g64, f, row.Bound), floor, perFloor, strings.Join(row.Notes, "; "),
	}
	return markdownLine(cells)
}

// memoryRow renders one peak-memory line.
func memoryRow(m MemRow) string {
	s := summarize(m.Runs)
	rss := "—"
	if med, lo, hi := rssSummary(m.Runs); med > 0 {
		rss = formatBytes(med)
		if lo != hi {
			rss += fmt.Sprintf(" [%s–%s]", formatBytes(lo), formatBytes(hi))
		}
	}
	runs := fmt.Sprintf("%d/%d", s.OK, s.N)
	if s.Fail != "" {
		runs += " (FAIL: " + s.Fail + ")"
	}
	wall := "—"
	if s.OK > 0 {
		wall = formatDuration(s.Median)
	}
	return markdownLine([]string{m.What, m.Corpus, m.RTT, runs, wall, rss, strings.Join(m.Notes, "; ")})
}

// sideCell is one tool's result: the median with its range when every run
// succeeded, otherwise what went wrong. A failed or wrong run never shows a
// time, so a fast wrong answer cannot look good.
func sideCell(s Summary, label string, bound time.Duration) string {
	if label == "" {
		label = "timeout"
	}
	switch {
	case s.N == 0:
		return "—"
	case s.AllOK():
		return formatRange(s)
	case s.AllTimedOut():
		return fmt.Sprintf("%s (killed at %s)", label, formatBound(bound))
	case s.Fail != "":
		msg := "FAIL: " + s.Fail
		if s.N > 1 {
			msg += fmt.Sprintf(" (%d of %d runs ok)", s.OK, s.N)
		}
		return msg
	default:
		return fmt.Sprintf("FAIL: %s (killed at %s) in %d of %d runs", label, formatBound(bound), s.TimedOut, s.N)
	}
}

// formatElapsed prints a harness run's length: "45 s", "31 min".
func formatElapsed(d time.Duration) string {
	if d < 2*time.Minute {
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	}
	return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
}

// formatBound prints a time bound: whole seconds as "60 s".
func formatBound(d time.Duration) string {
	if d >= time.Second && d%time.Second == 0 {
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return formatDuration(d)
}

// markdownLine joins cells into a table line, escaping what would break
// the table: pipes (GOPROXY values contain them) and newlines.
func markdownLine(cells []string) string {
	for i, c := range cells {
		c = strings.ReplaceAll(c, "|", `\|`)
		c = strings.Join(strings.Fields(c), " ")
		if c == "" {
			c = " "
		}
		cells[i] = c
	}
	return "| " + strings.Join(cells, " | ") + " |"
}

// method explains how the figures were obtained.
func method(r *Report) string {
	return fmt.Sprintf(`- Mirrors are real projects' module graphs (the corpus: go.mod and go.sum of prometheus, cli, etcd, gin), fetched once from the real proxy with the real go tool into a module cache whose cache/download tree is then served by gofast's in-process test proxy (internal/proxytest) on 127.0.0.1.
- The link is emulated by that proxy: every response waits one round trip before its headers, every new connection one more for TCP and %d more for TLS (as a real https mirror costs), and all connections share %s of bandwidth. Per-connection TCP windows and slow start are not emulated.
- go and gofast run as separate processes with the same environment: GOPROXY set to the emulated mirror(s) (gofast also gets GOFAST_MIRRORS with the same URLs), a fresh empty GOMODCACHE and HOME per run (cold caches; gofast's mirror ranking cannot carry over), GOFLAGS=-mod=mod, GOTOOLCHAIN=local, GOENV=off, GOSUMDB at go's default (every hash is in the corpus go.sum, so it is never consulted).
- Every comparison also runs GOMAXPROCS=64 go (the same environment otherwise; -no-go64 leaves it out), in the same rounds; its ratio column is its median over gofast's.
%s
- In each comparison the tools alternate — go, GOMAXPROCS=64 go, gofast — for the stated rounds; times are wall clock around the process, exec to exit; the table shows the median and the min–max range. go/gofast above 1 means gofast is faster; "> N×" means go was killed at the bound, so the true ratio is larger.
- Correctness guard: after every run the module cache must hold exactly the .zip/.mod/.info files go fetched (gofast is compared with the go run of the same round, or with the corpus when that go run failed), and after every gofast run go mod verify must pass with GOPROXY=off. A run that fails either check, exits non-zero or times out shows as FAIL or timeout, never as a time.
- Floor: the least time any downloader could take, max(bytes / bandwidth + %d round trips for connection set-up and the first request, go's own extraction time), where extraction is go mod download with every zip already in the cache and GOPROXY=off. gofast/floor near 1 means nothing is left to gain.
- Stalled mirror: the first mirror accepts connections and never answers; go, given GOPROXY="stalled|good", hangs until the harness kills it. Error rate: the mirror answers that fraction of requests with 500, drawn from a fixed seed.
- Warm overhead: version runs go version and gofast version alternately; build builds a small main module importing one corpus module with module and build caches warm. Peak memory is the maximum RSS reported by wait4 for the process.
`, r.HandshakeRTTs, formatBandwidth(r.Bandwidth), proxyMethod(), floorRTTs(r.HandshakeRTTs))
}

// runningIt is the how-to section: commands, durations and knobs.
const runningIt = `- ` + "`go run ./bench -quick -out BENCHMARKS.md`" + ` — the smoke test: gin at 100 ms, 2 rounds, one round of the stalled and flaky mirrors, 200 version pairs, 5 warm builds, one prefetch: about 2½ minutes on 2 cores (a minute of it is go stuck on the stalled mirror).
- ` + "`go run ./bench -out BENCHMARKS.md`" + ` — the published figures: prometheus and cli at 1, 50, 100 ms (3 rounds) and 300 ms (2 rounds), stalled and flaky mirrors on cli at 50 ms (2 rounds), 200 version pairs, 20 warm builds, two prefetches of prometheus: about 40 minutes on 2 cores, most of it plain go at high round trips (cli at 300 ms alone takes go about 2 minutes, prometheus about 3½); a run still going after -timeout (10 min) is killed and reported as a timeout. Run it on a quiet machine: the comparisons alternate go and gofast so drift hits both, but a busy CPU slows extraction.
- The first run fills each corpus tree once from the real module proxy with the real go tool (the only network use; 2.5 GB for all four) into ` + "`$HOME/.cache/gofast-corpus/<name>`" + `; ` + "`-corpus-proxy DIR`" + ` or ` + "`GOFAST_CORPUS_PROXY`" + ` moves it. The corpus go.mod and go.sum files are in bench/testdata/corpus.
- On Linux the runs happen in a new network namespace (as root, or through an unprivileged user namespace); ` + "`-isolate none`" + ` runs without it, elsewhere it is skipped.
- ` + "`go run ./bench -h`" + ` lists every knob: -scenarios (cold, stall, errors, proxy, overhead, memory), -proxy-cmds, -proxy-mirrors, -proxy-corpus, -proxy-install, -no-go64, -corpora, -rtt, -rounds, -bandwidth, -handshake-rtts, -timeout, -stall-bound, -error-rate, -keep and more. The pure parts (statistics, floor, file-set diff, rendering) are tested by ` + "`go test ./bench`" + `.
`
