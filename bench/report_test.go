package main

import (
	"strings"
	"testing"
	"time"
)

func okRuns(ds ...time.Duration) []Run {
	var out []Run
	for _, d := range ds {
		out = append(out, Run{Wall: d, MaxRSS: 30 << 20})
	}
	return out
}

func TestSideCell(t *testing.T) {
	tests := []struct {
		name  string
		s     Summary
		label string
		want  string
	}{
		{"none", Summary{}, "timeout", "—"},
		{"ok", Summary{N: 2, OK: 2, Median: 10 * s, Min: 9 * s, Max: 11 * s}, "timeout", "10.0 s [9.00–11.0 s]"},
		{"stalled", Summary{N: 2, TimedOut: 2}, "stalled", "stalled (killed at 60 s)"},
		{"failure", Summary{N: 3, OK: 2, Fail: "exit 1: server response: injected error"}, "timeout",
			"FAIL: exit 1: server response: injected error (2 of 3 runs ok)"},
		{"single failure", Summary{N: 1, Fail: "fetched different files: 1 missing (x)"}, "timeout",
			"FAIL: fetched different files: 1 missing (x)"},
		{"some timed out", Summary{N: 3, OK: 2, TimedOut: 1}, "", "FAIL: timeout (killed at 60 s) in 1 of 3 runs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sideCell(tt.s, tt.label, 60*s); got != tt.want {
				t.Errorf("sideCell = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMarkdownLine(t *testing.T) {
	got := markdownLine([]string{"stalled first mirror", "GOPROXY=a|b", "multi\nline  text", ""})
	want := `| stalled first mirror | GOPROXY=a\|b | multi line text |   |`
	if got != want {
		t.Errorf("markdownLine = %q, want %q", got, want)
	}
}

func TestTableRow(t *testing.T) {
	tests := []struct {
		name string
		row  Row
		want string
	}{
		{"cold", Row{Scenario: "cold download", Corpus: "prometheus", RTT: 100 * ms,
			Go: okRuns(60*s, 58*s, 62*s), Go64: okRuns(30*s, 29*s, 31*s), Gofast: okRuns(15*s, 14*s, 16*s), Bound: 6 * time.Minute, BoundLabel: "timeout",
			Floor: Floor{Network: 11 * s, Extraction: 10 * s}, Notes: []string{"272 MiB in 250 zips"}},
			"| cold download | prometheus | 100 ms | 60.0 s [58.0–62.0 s] | 30.0 s [29.0–31.0 s] | — | 15.0 s [14.0–16.0 s] | 4.0× | 2.0× | — | 11.0 s | 1.4× | 272 MiB in 250 zips |"},
		{"stalled go", Row{Scenario: "stalled first mirror", Corpus: "cli", RTT: 50 * ms,
			Go:     []Run{{Wall: 60 * s, Exit: -1, TimedOut: true}, {Wall: 60 * s, Exit: -1, TimedOut: true}},
			Retry:  []Run{{Wall: 180 * s, Exit: -1, TimedOut: true, Attempts: 3}, {Wall: 180 * s, Exit: -1, TimedOut: true, Attempts: 3}},
			Gofast: okRuns(30*s, 40*s), Bound: 60 * s, BoundLabel: "stalled", RetryTotal: 180 * s, Floor: Floor{Network: 5 * s, Extraction: 6 * s},
			Notes: []string{"GOPROXY=stalled|good"}},
			`| stalled first mirror | cli | 50 ms | stalled (killed at 60 s) | — | loop cut (killed at 180 s) · attempts: 3 cut, 3 cut | 35.0 s [30.0–40.0 s] | > 1.7× | — | > 5.1× | 6.00 s | 5.8× | GOPROXY=stalled\|good |`},
		{"errors with retry loop", Row{Scenario: "5% errors", Corpus: "gin", RTT: 100 * ms,
			Go:     []Run{{Wall: 3 * s, Exit: 1, Fail: "exit 1: server response: injected error"}},
			Retry:  []Run{{Wall: 24 * s, Attempts: 2}},
			Gofast: okRuns(6 * s), Bound: 60 * s, BoundLabel: "timeout", RetryTotal: 600 * s},
			"| 5% errors | gin | 100 ms | FAIL: exit 1: server response: injected error | — | 24.0 s · attempts: 2 ok | 6.00 s | — | — | 4.0× | — | — |   |"},
		{"wrong gofast shows no time", Row{Scenario: "cold download", Corpus: "gin", RTT: 1 * ms,
			Go: okRuns(5 * s), Gofast: []Run{{Wall: 100 * ms, Fail: "fetched different files: 35 missing (a, …)"}},
			Floor: Floor{Network: 2 * s, Extraction: 3 * s}},
			"| cold download | gin | 1 ms | 5.00 s | — | — | FAIL: fetched different files: 35 missing (a, …) | — | — | — | 3.00 s | — |   |"},
		{"overhead", Row{Scenario: "warm: version", Corpus: "—", Offline: true, Go: okRuns(3*ms, 3*ms), Gofast: okRuns(4*ms, 4*ms),
			Notes: []string{"gofast costs 1.3× go's time"}},
			"| warm: version | — | — | 3.00 ms [3.00–3.00 ms] | — | — | 4.00 ms [4.00–4.00 ms] | 0.75× | — | — | — | — | gofast costs 1.3× go's time |"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tableRow(tt.row); got != tt.want {
				t.Errorf("tableRow =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestOverheadNote(t *testing.T) {
	row := Row{Go: okRuns(4*ms, 4*ms), Gofast: okRuns(5*ms, 5*ms)}
	if got, want := overheadNote(row, 1.5), "gofast costs 1.2× go's time (budget ≤ 1.5×: ok)"; got != want {
		t.Errorf("overheadNote = %q, want %q", got, want)
	}
	row.Gofast = okRuns(8*ms, 8*ms)
	if got, want := overheadNote(row, 1.5), "gofast costs 2.0× go's time (budget ≤ 1.5×: OVER)"; got != want {
		t.Errorf("overheadNote = %q, want %q", got, want)
	}
	row.Gofast = []Run{{Exit: 2, Fail: "exit 2"}}
	if got := overheadNote(row, 1.5); !strings.Contains(got, "not measured") {
		t.Errorf("overheadNote with a failed run = %q", got)
	}
}

func TestRender(t *testing.T) {
	rep := &Report{
		Date:      time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC),
		Elapsed:   31 * time.Minute,
		Command:   "go run ./bench -out BENCHMARKS.md",
		Machine:   Machine{OS: "linux", Arch: "amd64", CPUs: 2, Memory: 8 << 30, Kernel: "6.1", GoVersion: "go1.26.8", Gofast: "abc123"},
		Isolation: "network namespace",
		Bandwidth: 25_000_000,
		FreshFS:   "every cold run started on its own loop-mounted image",
		Retry:     retryPolicy{Attempts: 5, Pause: 15 * s, Total: 600 * s},
		Rows: []Row{
			{Scenario: "cold download", Corpus: "cli", RTT: 50 * ms, Go: okRuns(30 * s), Gofast: okRuns(10 * s), BoundLabel: "timeout"},
			{Scenario: "cold download", Corpus: "cli", RTT: 100 * ms, Go: okRuns(50 * s), Gofast: okRuns(12 * s), BoundLabel: "timeout",
				Floor: Floor{Network: 6 * s, Extraction: 8 * s}},
			{Scenario: "stalled first mirror", Corpus: "cli", RTT: 50 * ms, Bound: 60 * s, BoundLabel: "stalled",
				Go: []Run{{Wall: 60 * s, Exit: -1, TimedOut: true}}, Gofast: okRuns(20 * s),
				Retry: []Run{{Wall: 360 * s, Exit: -1, Attempts: 5, Fail: "all 5 attempts failed, the last: stalled (killed at 60.0 s)"}}, RetryTotal: 600 * s},
		},
		Memory: []MemRow{{What: "gofast prefetch", Corpus: "prometheus", RTT: "50 ms", Runs: okRuns(12*s, 13*s)}},
	}
	var b strings.Builder
	if err := rep.render(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		headlineStart,
		"- **cli**, cold `go mod download` at 100 ms round trip and 200 Mbit/s: go 50.0 s, gofast 12.0 s — 4.2× faster; physical floor 8.00 s, gofast/floor 1.5×\n",
		"- **First mirror stalled** (cli, GOPROXY=\"stalled|good\"): go stalled (killed at 60 s), gofast 20.0 s — > 3.0× faster; the go retry loop: FAIL: all 5 attempts failed, the last: stalled (killed at 60.0 s) · attempts: 5 failed\n",
		"- **Peak memory** of a cold `gofast prefetch` of prometheus: 30.0 MiB\n",
		headlineEnd,
		"Measured 2025-01-02 03:04 UTC on 2 CPUs, 8.00 GiB RAM, linux/amd64, go1.26.8, gofast abc123; the run took 31 min.",
		"```sh\ngo run ./bench -out BENCHMARKS.md\n```",
		"| cold download | cli | 100 ms | 50.0 s | — | — | 12.0 s | 4.2× | — | — | 8.00 s | 1.5× |",
		"## Per-run detail",
		"| cold download | cli | 50 ms | gofast | 1/1 | 10.0 s | 0 s | 0 s | 10.0 s (0 s + 0 s) |",
		"- File systems: every cold run started on its own loop-mounted image.\n",
		"up to 5 attempts on the same module cache",
		"for i in $(seq 5); do go mod download && break; sleep 15; done",
		"| gofast prefetch | prometheus | 50 ms | 2/2 | 12.5 s | 30.0 MiB |",
		"- network: network namespace\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q\n--- report ---\n%s", want, out)
		}
	}
	if strings.Contains(out, "Quick run") {
		t.Error("a full run is marked as quick")
	}
}

func TestAttemptList(t *testing.T) {
	runs := []Run{{Attempts: 1}, {Attempts: 5, Exit: 1, Fail: "all 5 attempts failed"}, {Attempts: 3, Exit: -1, TimedOut: true}}
	if got, want := attemptList(runs), "1 ok, 5 failed, 3 cut"; got != want {
		t.Errorf("attemptList = %q, want %q", got, want)
	}
	if got := retryCell(nil, 600*s); got != "—" {
		t.Errorf("retryCell of no runs = %q, want —", got)
	}
}

func TestDetailLines(t *testing.T) {
	row := Row{Scenario: "5% errors", Corpus: "gin", RTT: 100 * ms,
		Go:     []Run{{Wall: 3 * s, User: 1 * s, Sys: 200 * ms, Exit: 1, Fail: "exit 1"}},
		Retry:  []Run{{Wall: 24 * s, User: 2 * s, Sys: 500 * ms, Attempts: 2}, {Wall: 20 * s, User: 3 * s, Sys: 300 * ms, Attempts: 1}},
		Gofast: []Run{{Wall: 6 * s, User: 900 * ms, Sys: 400 * ms}},
	}
	want := []string{
		"| 5% errors | gin | 100 ms | go | 0/1 | 3.00 s | 1.00 s | 200 ms | 3.00 s (1.00 s + 200 ms), failed |",
		"| 5% errors | gin | 100 ms | go retry loop | 2/2 | 22.0 s | 2.50 s | 400 ms | 24.0 s (2.00 s + 500 ms), 2 attempts; 20.0 s (3.00 s + 300 ms), 1 attempt |",
		"| 5% errors | gin | 100 ms | gofast | 1/1 | 6.00 s | 900 ms | 400 ms | 6.00 s (900 ms + 400 ms) |",
	}
	got := detailLines(row)
	if len(got) != len(want) {
		t.Fatalf("detailLines = %d lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d =\n%s\nwant\n%s", i, got[i], want[i])
		}
	}
	many := Row{Scenario: "warm: version", Corpus: "—", Offline: true, Go: okRuns(make([]time.Duration, 200)...)}
	if l := detailLines(many); len(l) != 1 || !strings.HasSuffix(l[0], "| 200 runs |") {
		t.Errorf("a 200-run row's detail = %q, want the medians and \"200 runs\"", l)
	}
}
