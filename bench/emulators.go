package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
)

// emulatorTolerance is how far the two emulators' gofast/go ratios may be
// apart, relative to the in-process one, and still count as agreeing.
const emulatorTolerance = 0.15

// EmulatorCheck is the emulators scenario: one corpus's cold download at
// one round trip under the in-process emulator and under toxiproxy, in the
// same rounds, so that gofast's advantage is seen not to be an artefact of
// one emulator.
type EmulatorCheck struct {
	Corpus string
	RTT    time.Duration
	// InProcess and Toxiproxy are the two rows, also in the main table.
	InProcess, Toxiproxy Row
	// Shaping says how toxiproxy's link was capped; SharedCap is false
	// when the cap was per connection (toxiproxy's bandwidth toxic).
	Shaping   string
	SharedCap bool
	// LinkCheck is the measured throughput through toxiproxy, or why it
	// was not measured.
	LinkCheck string
}

// emulatorCheck runs the emulators scenario. Each round runs every side
// under the in-process emulator, then every side under toxiproxy.
func (h *harness) emulatorCheck(ctx context.Context) (*EmulatorCheck, error) {
	c := h.corpora[h.cfg.EmulatorCorpus]
	t, err := h.startToxiproxy(ctx)
	if err != nil {
		return nil, err
	}
	h.toxi = t
	defer func() { t.stop(); h.toxi = nil }()

	link := h.link(h.cfg.EmulatorRTT)
	// toxiproxy emulates no connection set-up, so its link has no
	// handshake round trips (the floor then counts one round trip less).
	toxLink := link
	toxLink.HandshakeRTTs = 0
	base := comparison{Corpus: c, Rounds: h.cfg.EmulatorRounds, Bound: h.cfg.Timeout, BoundLabel: "timeout",
		Mirrors: []mirrorSpec{{Kind: goodMirror}}, Sep: ","}
	in, tox := base, base
	in.Scenario, in.Link = "emulator check: in-process", link
	tox.Scenario, tox.Link, tox.Emulator = "emulator check: toxiproxy", toxLink, toxiproxyEmulator
	tox.Notes = []string{"bandwidth: " + t.Shaping}

	e := &EmulatorCheck{Corpus: c.Name, RTT: link.RTT, Shaping: t.Shaping, SharedCap: t.tc || h.cfg.Bandwidth <= 0}
	file, size := c.largestZip()
	if e.LinkCheck, err = t.checkLink(ctx, c.Tree(), toxLink, file, size); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		e.LinkCheck = "not measured: " + err.Error()
	}
	h.logf("emulator check: %s", e.LinkCheck)

	rows := []Row{h.newRow(in), h.newRow(tox)}
	cmps := []comparison{in, tox}
	for round := 1; round <= h.cfg.EmulatorRounds; round++ {
		for i, cmp := range cmps {
			if err := h.downloadRound(ctx, cmp, round, &rows[i]); err != nil {
				return nil, fmt.Errorf("%s: %w", cmp.Scenario, err)
			}
		}
	}
	for i, cmp := range cmps {
		if err := h.finishRow(ctx, cmp, &rows[i]); err != nil {
			return nil, err
		}
	}
	e.InProcess, e.Toxiproxy = rows[0], rows[1]
	return e, nil
}

// largestZip returns the corpus tree's largest zip (slash path) and size.
func (c *Corpus) largestZip() (string, int64) {
	var name string
	var size int64
	for rel, n := range c.Want {
		if strings.HasSuffix(rel, ".zip") && (n > size || n == size && rel < name) {
			name, size = rel, n
		}
	}
	return name, size
}

// medianRatio is fast's median over base's, when both sides all
// succeeded.
func medianRatio(fast, base []Run) (float64, bool) {
	f, b := summarize(fast), summarize(base)
	if !f.AllOK() || !b.AllOK() || b.Median <= 0 {
		return 0, false
	}
	return float64(f.Median) / float64(b.Median), true
}

// agreement compares the toxiproxy ratio with the in-process one: their
// relative difference and whether it is within emulatorTolerance.
func agreement(inProcess, tox float64) (diff float64, agree bool) {
	diff = tox/inProcess - 1
	return diff, math.Abs(diff) <= emulatorTolerance
}

// ratioLine says how one ratio came out under both emulators.
func ratioLine(what string, in, tox Row, pick func(Row) []Run) string {
	ri, ok1 := medianRatio(in.Gofast, pick(in))
	rt, ok2 := medianRatio(tox.Gofast, pick(tox))
	if !ok1 || !ok2 {
		return fmt.Sprintf("gofast/%s: not compared (a run failed under one of the emulators)", what)
	}
	diff, agree := agreement(ri, rt)
	verdict := "they agree within 15%"
	if !agree {
		verdict = "they do NOT agree within 15%"
	}
	return fmt.Sprintf("gofast/%s: %s in-process, %s under toxiproxy (%+.0f%%): %s", what,
		fmt.Sprintf("%.2f", ri), fmt.Sprintf("%.2f", rt), diff*100, verdict)
}

// shiftLine says how much each side's median moved from the in-process
// emulator to toxiproxy: where the two differ.
func shiftLine(in, tox Row) string {
	var parts []string
	for _, side := range []struct {
		name string
		pick func(Row) []Run
	}{{"go", func(r Row) []Run { return r.Go }}, {"GOMAXPROCS=64 go", func(r Row) []Run { return r.Go64 }}, {"gofast", func(r Row) []Run { return r.Gofast }}} {
		if x, ok := medianRatio(side.pick(tox), side.pick(in)); ok {
			parts = append(parts, fmt.Sprintf("%s %s", side.name, formatRatio(x)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "Median time under toxiproxy as a multiple of the in-process one: " + strings.Join(parts, ", ") + "."
}

// render writes the emulator cross-check section.
func (e *EmulatorCheck) render(b *strings.Builder) {
	fmt.Fprintf(b, "\n## Emulator cross-check\n\n")
	fmt.Fprintf(b, "The cold `go mod download` of %s at %s round trip under both link emulators, in the same rounds (each round: every side in-process, then every side through toxiproxy).\n\n",
		e.Corpus, formatRTT(e.RTT))
	b.WriteString("| emulator | go median [min–max] | GOMAXPROCS=64 go median [min–max] | gofast median [min–max] | gofast/go | gofast/GOMAXPROCS=64 go |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, r := range []struct {
		name string
		row  Row
	}{{"in-process (proxytest)", e.InProcess}, {"toxiproxy", e.Toxiproxy}} {
		g, g64, f := summarize(r.row.Go), summarize(r.row.Go64), summarize(r.row.Gofast)
		ratio := func(base []Run) string {
			if x, ok := medianRatio(r.row.Gofast, base); ok {
				return fmt.Sprintf("%.2f", x)
			}
			return "—"
		}
		b.WriteString(markdownLine([]string{r.name, sideCell(g, r.row.BoundLabel, r.row.Bound), sideCell(g64, r.row.BoundLabel, r.row.Bound),
			sideCell(f, r.row.BoundLabel, r.row.Bound), ratio(r.row.Go), ratio(r.row.Go64)}) + "\n")
	}
	b.WriteString("\n")
	b.WriteString("- " + ratioLine("go", e.InProcess, e.Toxiproxy, func(r Row) []Run { return r.Go }) + "\n")
	if len(e.InProcess.Go64) > 0 {
		b.WriteString("- " + ratioLine("GOMAXPROCS=64 go", e.InProcess, e.Toxiproxy, func(r Row) []Run { return r.Go64 }) + "\n")
	}
	if l := shiftLine(e.InProcess, e.Toxiproxy); l != "" {
		b.WriteString("- " + l + "\n")
	}
	fmt.Fprintf(b, "- toxiproxy's bandwidth: %s. Link check: %s.\n", e.Shaping, e.LinkCheck)
	b.WriteString(emulatorDifferences)
	if e.SharedCap {
		b.WriteString(sharedCapDifference)
	} else {
		b.WriteString(perConnectionCapDifference)
	}
	b.WriteString(commonDifferences)
}

// emulatorDifferences is what the two emulators do differently, and so
// where their figures may part.
const emulatorDifferences = `- Where they differ, and why:
  - Connection set-up: the in-process emulator charges every new connection one round trip for TCP and the -handshake-rtts more for TLS before its first response; through toxiproxy a connection costs nothing to open (the tools connect to toxiproxy on loopback, toxiproxy dials the mirror on loopback). A tool that opens many connections (gofast) gains under toxiproxy relative to one that reuses few (go).
  - Latency: in-process, each response waits one round trip before its headers; toxiproxy holds every chunk of data half a round trip in each direction (a latency toxic on upstream and on downstream), so a request costs one round trip too, but a request body or headers split over several chunks, and every response chunk, travel as on a real path, with their own delay.
`

// sharedCapDifference and perConnectionCapDifference explain the
// bandwidth difference, for tc's shared cap and toxiproxy's own toxic.
const sharedCapDifference = `  - Bandwidth: in-process, a pacer shared by all connections of the mirror reserves each written chunk's transmission time, in order; with toxiproxy, tc's htb class caps the packets leaving toxiproxy's ports on the namespace's loopback, with a FIFO queue behind it (fq_codel and sfq are not in this kernel), so a small response can wait behind the queued bytes of big ones, as on a bufferbloated link. tc counts TCP/IP headers too (about 0.1% at loopback's 64 KiB segments).
`

const perConnectionCapDifference = `  - Bandwidth: in-process, a pacer shared by all connections of the mirror caps them together; toxiproxy's bandwidth toxic caps each connection on its own, so a tool with many connections gets many times the link's bandwidth in all (and may beat the floor): the ratios then reflect round trips more than bandwidth.
`

// commonDifferences hold whatever caps the bandwidth.
const commonDifferences = `  - CPU: toxiproxy relays every byte through a process of its own (two goroutine pipelines per connection, a chunk at a time), which competes with the tools for the machine's cores; the in-process emulator writes from the mirror's own handlers. Under load this slows whichever side moves its bytes faster.
  - Neither emulates per-connection TCP windows, slow start or loss.
`
