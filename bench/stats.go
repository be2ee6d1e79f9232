package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Run is one timed process run of one tool, with the correctness verdict
// the harness reached about it.
type Run struct {
	// Wall is the time from exec to exit, measured around the process.
	Wall time.Duration
	// Exit is the process's exit code, or -1 when it was killed.
	Exit int
	// TimedOut reports that the harness killed the run at its time bound.
	TimedOut bool
	// MaxRSS is the peak resident set size in bytes (0 when unknown).
	MaxRSS int64
	// User and Sys are the CPU time the process and the children it waited
	// for spent in user and kernel mode (wait4's rusage); for a retry loop
	// the sum over its attempts.
	User, Sys time.Duration
	// Attempts is how many times a retry loop ran the command; 0 for the
	// other sides, which run it once.
	Attempts int
	// Bytes and Requests are what the emulated mirrors served to the run.
	Bytes    int64
	Requests int
	// Fail says why the run does not count, "" when it succeeded and its
	// result passed the correctness guard.
	Fail string
}

// OK reports whether the run finished in time, exited 0 and passed the guard.
func (r Run) OK() bool { return r.Fail == "" && !r.TimedOut && r.Exit == 0 }

// Summary condenses the runs of one tool in one comparison.
type Summary struct {
	// N is the number of runs, OK the number that succeeded.
	N, OK int
	// Median, Min and Max are over successful runs only.
	Median, Min, Max time.Duration
	// TimedOut counts runs killed at the time bound.
	TimedOut int
	// Fail is the first failure reason of a run that neither succeeded nor
	// timed out, "" when there is none.
	Fail string
}

// AllOK reports whether every run succeeded.
func (s Summary) AllOK() bool { return s.N > 0 && s.OK == s.N }

// AllTimedOut reports whether every run was killed at the time bound.
func (s Summary) AllTimedOut() bool { return s.N > 0 && s.TimedOut == s.N }

// summarize computes a Summary of runs.
func summarize(runs []Run) Summary {
	s := Summary{N: len(runs)}
	var walls []time.Duration
	for _, r := range runs {
		switch {
		case r.OK():
			s.OK++
			walls = append(walls, r.Wall)
		case r.TimedOut:
			s.TimedOut++
		case s.Fail == "":
			s.Fail = r.Fail
			if s.Fail == "" {
				s.Fail = fmt.Sprintf("exit %d", r.Exit)
			}
		}
	}
	s.Median, s.Min, s.Max = medianMinMax(walls)
	return s
}

// medianMinMax returns the median (the mean of the two middle values for an
// even count), minimum and maximum of ds, or zeros for none.
func medianMinMax(ds []time.Duration) (median, lo, hi time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	median = s[n/2]
	if n%2 == 0 {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return median, s[0], s[n-1]
}

// medianInt64 returns the median of xs (the lower middle for an even count),
// or 0 for none. It is used for peak memory, where a mean of two peaks would
// be a size no run had.
func medianInt64(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// formatDuration prints d with three significant digits in a unit that
// suits it: "850 µs", "4.21 ms", "41.2 s", "312 s".
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0 s"
	case d < time.Millisecond:
		return sig3(float64(d)/float64(time.Microsecond)) + " µs"
	case d < time.Second:
		return sig3(float64(d)/float64(time.Millisecond)) + " ms"
	default:
		return sig3(d.Seconds()) + " s"
	}
}

// sig3 prints x with three significant digits, without exponent notation.
func sig3(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

// formatRange prints a median with its spread: "41.2 s [40.1–43.0 s]", or
// just the median when there was one run. The range uses the median's unit
// so the three numbers read together.
func formatRange(s Summary) string {
	if s.OK <= 1 {
		return formatDuration(s.Median)
	}
	unit, scale := unitOf(s.Median)
	return fmt.Sprintf("%s [%s–%s %s]", formatDuration(s.Median),
		sig3(float64(s.Min)/scale), sig3(float64(s.Max)/scale), unit)
}

// unitOf returns the unit formatDuration picks for d and its size.
func unitOf(d time.Duration) (string, float64) {
	switch {
	case d < time.Millisecond:
		return "µs", float64(time.Microsecond)
	case d < time.Second:
		return "ms", float64(time.Millisecond)
	default:
		return "s", float64(time.Second)
	}
}

// formatRatio prints a ratio such as 3.42 as "3.4×", two digits below 1 so
// that an overhead of 0.93× is not rounded to 0.9×.
func formatRatio(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0) || x <= 0:
		return "—"
	case x < 1:
		return fmt.Sprintf("%.2f×", x)
	case x < 100:
		return fmt.Sprintf("%.1f×", x)
	default:
		return fmt.Sprintf("%.0f×", x)
	}
}

// speedup returns the table's ratio cell, go's median over gofast's: above
// 1 gofast is faster. When every go run was killed at the bound and gofast
// succeeded, the ratio is a lower bound ("> 12×"); when either side has a
// failure it is "—", so a failed run never yields a ratio.
func speedup(goSide, fast Summary, bound time.Duration) string {
	if !fast.AllOK() || fast.Median <= 0 {
		return "—"
	}
	switch {
	case goSide.AllOK():
		return formatRatio(float64(goSide.Median) / float64(fast.Median))
	case goSide.AllTimedOut() && bound > 0:
		return "> " + formatRatio(float64(bound)/float64(fast.Median))
	}
	return "—"
}

// formatBytes prints n in binary units: "272 MiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	x, i := float64(n), -1
	for x >= unit && i < 3 {
		x /= unit
		i++
	}
	return sig3(x) + " " + []string{"KiB", "MiB", "GiB", "TiB"}[i]
}

// lastLine returns the last non-empty line of out, shortened to max runes,
// for a one-line failure reason.
func lastLine(out string, max int) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if r := []rune(l); len(r) > max {
		l = string(r[:max-1]) + "…"
	}
	return l
}
