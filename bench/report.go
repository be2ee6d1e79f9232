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
	// FreshFS is the sentence about the runs' file systems.
	FreshFS string
	// Retry is the retry-loop side's policy; NoRetry means it was left out.
	Retry   retryPolicy
	NoRetry bool
	Rows    []Row
	Memory  []MemRow
	// Emulators is the emulator cross-check, nil when it did not run.
	Emulators *EmulatorCheck
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
	b.WriteString("| scenario | corpus | RTT | go median [min–max] | GOMAXPROCS=64 go median [min–max] | go retry loop median [min–max] · attempts | gofast median [min–max] | go/gofast | GOMAXPROCS=64 go/gofast | retry loop/gofast | floor | gofast/floor | notes |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, row := range r.Rows {
		b.WriteString(tableRow(row) + "\n")
	}
	if r.Emulators != nil {
		r.Emulators.render(&b)
	}
	if len(r.Memory) > 0 {
		b.WriteString("\n## Peak memory\n\n")
		b.WriteString("| command | corpus | RTT | runs ok | time median | peak RSS median [min–max] | notes |\n")
		b.WriteString("|---|---|---|---|---|---|---|\n")
		for _, m := range r.Memory {
			b.WriteString(memoryRow(m) + "\n")
		}
	}
	if len(r.Rows) > 0 {
		b.WriteString("\n## Per-run detail\n\n")
		b.WriteString("Wall time with the CPU time the process and the children it waited for spent in user and kernel mode (wait4's rusage; a retry loop's is the sum over its attempts). Medians are over all runs, failed ones included.\n\n")
		b.WriteString("| scenario | corpus | RTT | side | runs ok | wall median | user median | sys median | runs: wall (user + sys) |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
		for _, row := range r.Rows {
			for _, l := range detailLines(row) {
				b.WriteString(l + "\n")
			}
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
	g, g64, rl, f := summarize(row.Go), summarize(row.Go64), summarize(row.Retry), summarize(row.Gofast)
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
		sideCell(g, row.BoundLabel, row.Bound), sideCell(g64, row.BoundLabel, row.Bound), retryCell(row.Retry, row.RetryTotal),
		sideCell(f, row.BoundLabel, row.Bound),
		speedup(g, f, row.Bound), speedup(g64, f, row.Bound), speedup(rl, f, row.RetryTotal),
		floor, perFloor, strings.Join(row.Notes, "; "),
	}
	return markdownLine(cells)
}

// retryCell is the retry-loop side's result: as sideCell (a loop cut at
// its total bound counts as killed there), then the attempts each run
// took and how it ended.
func retryCell(runs []Run, total time.Duration) string {
	s := summarize(runs)
	if s.N == 0 {
		return "—"
	}
	return sideCell(s, "loop cut", total) + " · attempts: " + attemptList(runs)
}

// attemptList is "1 ok, 5 failed, 3 cut": per run, its attempts and end.
func attemptList(runs []Run) string {
	var parts []string
	for _, r := range runs {
		end := "ok"
		switch {
		case r.TimedOut:
			end = "cut"
		case !r.OK():
			end = "failed"
		}
		parts = append(parts, fmt.Sprintf("%d %s", r.Attempts, end))
	}
	return strings.Join(parts, ", ")
}

// detailRuns is how many runs a detail line lists one by one; beyond it
// (the warm overhead's hundreds) only the medians are shown.
const detailRuns = 12

// detailLines are the per-run detail table's lines of one row, a line per
// side that ran.
func detailLines(row Row) []string {
	rtt := formatRTT(row.RTT)
	if row.Offline {
		rtt = "—"
	}
	var out []string
	for _, sd := range []struct {
		s    side
		runs []Run
	}{{sideGo, row.Go}, {sideGo64, row.Go64}, {sideRetry, row.Retry}, {sideGofast, row.Gofast}} {
		if len(sd.runs) == 0 {
			continue
		}
		var walls, users, syss []time.Duration
		var each []string
		ok := 0
		for _, r := range sd.runs {
			walls, users, syss = append(walls, r.Wall), append(users, r.User), append(syss, r.Sys)
			e := fmt.Sprintf("%s (%s + %s)", formatDuration(r.Wall), formatDuration(r.User), formatDuration(r.Sys))
			if r.Attempts > 0 {
				e += ", " + plural(r.Attempts, "attempt")
			}
			if r.OK() {
				ok++
			} else {
				e += ", failed"
			}
			each = append(each, e)
		}
		list := strings.Join(each, "; ")
		if len(sd.runs) > detailRuns {
			list = fmt.Sprintf("%d runs", len(sd.runs))
		}
		wm, _, _ := medianMinMax(walls)
		um, _, _ := medianMinMax(users)
		sm, _, _ := medianMinMax(syss)
		out = append(out, markdownLine([]string{row.Scenario, row.Corpus, rtt, sd.s.String(),
			fmt.Sprintf("%d/%d", ok, len(sd.runs)), formatDuration(wm), formatDuration(um), formatDuration(sm), list}))
	}
	return out
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
	var b strings.Builder
	fmt.Fprintf(&b, `- Mirrors are real projects' module graphs (the corpus: go.mod and go.sum of prometheus, cli, etcd, gin), fetched once from the real proxy with the real go tool into a module cache whose cache/download tree is then served by gofast's in-process test proxy (internal/proxytest) on 127.0.0.1.
- The link is emulated by that proxy: every response waits one round trip before its headers, every new connection one more for TCP and %d more for TLS (as a real https mirror costs), and all connections share %s of bandwidth. Per-connection TCP windows and slow start are not emulated. The emulators scenario checks the figures against a second, independent emulator (toxiproxy, below).
- go and gofast run as separate processes with the same environment: GOPROXY set to the emulated mirror(s) (gofast also gets GOFAST_MIRRORS with the same URLs), a fresh empty GOMODCACHE, HOME (and GOPATH under it) and TMPDIR per run (cold caches; gofast's mirror ranking cannot carry over), GOFLAGS=-mod=mod, GOTOOLCHAIN=local, GOENV=off, GOSUMDB at go's default (every hash is in the corpus go.sum, so it is never consulted).
- File systems: %s.
- Every comparison also runs GOMAXPROCS=64 go (the same environment otherwise; -no-go64 leaves it out), in the same rounds; its ratio column is its median over gofast's.
`, r.HandshakeRTTs, formatBandwidth(r.Bandwidth), r.FreshFS)
	if r.NoRetry {
		b.WriteString("- The retry-loop side was left out (-no-retry).\n")
	} else {
		fmt.Fprintf(&b, "- Every fault row (stalled first mirror, error rate, and the proxy-path rows behind those mirror sets) also runs the go retry loop, in the same rounds: what CI scripts do instead of a faster tool, `for i in $(seq %d); do go mod download && break; sleep %s; done` (the proxy rows retry their own command). The harness runs the loop itself: up to %d attempts on the same module cache (a later attempt fetches only what an earlier one missed) and against the same running mirrors (the stalled one stays stalled, the flaky one's error sequence goes on), %s apart (no wait after the last), each attempt killed at the bound a plain go run of the row gets, the whole loop bounded by %s; its time is the whole loop's, pauses included. A loop whose last attempt succeeds and passes the same correctness guard as go counts; the cell lists each run's attempts and how it ended (ok, failed: every attempt failed, cut: the total bound ran out). Cold rows on a healthy mirror do not run it: there its first attempt is a plain go run.\n",
			r.Retry.Attempts, strings.TrimSuffix(formatBound(r.Retry.Pause), " s"), r.Retry.Attempts, formatBound(r.Retry.Pause), formatBound(r.Retry.Total))
	}
	b.WriteString(proxyMethod())
	fmt.Fprintf(&b, `- In each comparison the tools alternate — go, GOMAXPROCS=64 go, the retry loop where it runs, gofast — for the stated rounds; times are wall clock around the process, exec to exit; the table shows the median and the min–max range. go/gofast above 1 means gofast is faster; "> N×" means go was killed at the bound, so the true ratio is larger. The per-run detail table gives every run's user and system CPU time next to its wall time (wait4's rusage of the process and the children it waited for) and their medians per side.
- Correctness guard: after every run the module cache must hold exactly the .zip/.mod/.info files go fetched (gofast is compared with the go run of the same round, or with the corpus when that go run failed), and after every gofast run go mod verify must pass with GOPROXY=off. A run that fails either check, exits non-zero or times out shows as FAIL or timeout, never as a time.
- Floor: the least time any downloader could take, max(bytes / bandwidth + %d round trips for connection set-up and the first request, go's own extraction time), where extraction is go mod download with every zip already in the cache and GOPROXY=off. gofast/floor near 1 means nothing is left to gain.
- Stalled mirror: the first mirror accepts connections and never answers; go, given GOPROXY="stalled|good", hangs until the harness kills it. Error rate: the mirror answers that fraction of requests with 500, drawn from a fixed seed.
- Emulators scenario: the same cold download under proxytest's emulator and under toxiproxy v2 (github.com/Shopify/toxiproxy/v2), run as a separate process (toxiproxy's own server, cmd/server, built once at the version of the client the harness links; -toxiproxy names another) in front of a proxytest mirror that adds no delay or bandwidth limit. A latency toxic of half the round trip on each direction (upstream and downstream; toxiproxy holds every chunk that long after reading it, without holding up the chunks behind it, so it acts as a one-way propagation delay) makes each request–response cost one round trip; the bandwidth cap is tc's (an htb class on the namespace's loopback for the packets leaving toxiproxy's ports, shared by all connections; not a root tbf, which on loopback would also shape the toxiproxy–mirror leg and count every byte twice; netem is not in this kernel) where the runs are inside the private network namespace, else toxiproxy's bandwidth toxic per connection. toxiproxy emulates no connection set-up, so its rows' floor counts no handshake round trips. Both emulators' gofast/go ratios are reported with whether they agree within 15%%; the section says where the emulators differ.
- Warm overhead: version runs go version and gofast version alternately; build builds a small main module importing one corpus module with module and build caches warm. Peak memory is the maximum RSS reported by wait4 for the process.
`, floorRTTs(r.HandshakeRTTs))
	return b.String()
}

// runningIt is the how-to section: commands, durations and knobs.
const runningIt = `- ` + "`go run ./bench -quick -out BENCHMARKS.md`" + ` — the smoke test: gin at 100 ms, 2 rounds, one round of the stalled and flaky mirrors (with the retry loop), the proxy-path rows, the emulator cross-check, 200 version pairs, 5 warm builds, one prefetch: about 25 minutes on 2 cores, most of it go stuck on the stalled mirrors (the retry loop alone spends its 3-minute total bound behind each of the three).
- ` + "`go run ./bench -rtt 1ms,100ms,300ms -rounds 2 -slow-rounds 1 -fault-rounds 1 -proxy-rounds 1 -stall-bound 30s -retry-total 2m -proxy-cmds get,install,tidy,toolchain -out BENCHMARKS.md`" + ` — the published figures, in one run: prometheus and cli at 1 and 100 ms (2 rounds) and 300 ms (1 round), stalled and flaky mirrors on cli at 50 ms, every proxy-path row (get, install -n of golangci-lint, mod tidy, a toolchain switch on a normal and a per-connection-capped link, each behind good, stalled and flaky mirrors) at 100 ms, the emulator cross-check on cli at 100 ms (3 rounds), 200 version pairs, 20 warm builds, two prefetches of prometheus: about 70 minutes on 2 cores, a third of it go and the retry loop stuck behind stalled mirrors (each stalled row costs go and GOMAXPROCS=64 go their bound, the retry loop its 2-minute total). Plain ` + "`go run ./bench -out BENCHMARKS.md`" + ` adds 50 ms, 3 rounds, 30 s longer stall bounds and the retry loop's 10-minute total: about 1¾ hours; ` + "`-no-retry`" + ` leaves the loop out. Run it on a quiet machine: the comparisons alternate the tools so drift hits all of them, but a busy CPU slows extraction.
- The first run fills each corpus tree once from the real module proxy with the real go tool (the only network use; 2.5 GB for all four) into ` + "`$HOME/.cache/gofast-corpus/<name>`" + `; ` + "`-corpus-proxy DIR`" + ` or ` + "`GOFAST_CORPUS_PROXY`" + ` moves it. The corpus go.mod and go.sum files are in bench/testdata/corpus.
- On Linux the runs happen in a new network namespace (as root, or through an unprivileged user namespace); ` + "`-isolate none`" + ` runs without it, elsewhere it is skipped.
- ` + "`go run ./bench -quick -scenarios emulators`" + ` — the emulator cross-check alone: gin at 100 ms under both emulators, 2 rounds (a few minutes). It starts toxiproxy as a second process; the bandwidth cap uses tc inside the network namespace (run as root).
- ` + "`go run ./bench -h`" + ` lists every knob: -scenarios (cold, stall, errors, proxy, emulators, overhead, memory), -retry-attempts, -retry-pause, -retry-total, -no-retry, -fresh-fs, -emulator-corpus, -emulator-rtt, -emulator-rounds, -proxy-cmds, -proxy-mirrors, -proxy-corpus, -proxy-install, -no-go64, -corpora, -rtt, -rounds, -bandwidth, -handshake-rtts, -timeout, -stall-bound, -error-rate, -keep and more. The pure parts (statistics, floor, file-set diff, retry-loop accounting, emulator agreement, rendering) are tested by ` + "`go test ./bench`" + `.
`
