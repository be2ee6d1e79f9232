package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when an attempt or a pause says so.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// script returns an attempt function that plays the given results in
// order, each taking its Wall (or the timeout it was given, when it timed
// out) on the fake clock, and records the timeouts.
func (c *fakeClock) script(results []Result, timeouts *[]time.Duration) func(time.Duration) (Result, error) {
	i := 0
	return func(timeout time.Duration) (Result, error) {
		*timeouts = append(*timeouts, timeout)
		if i >= len(results) {
			return Result{}, errors.New("more attempts than scripted")
		}
		r := results[i]
		i++
		if r.TimedOut || (timeout > 0 && r.Wall > timeout) {
			r.TimedOut, r.Exit, r.Wall = true, -1, timeout
		}
		c.t = c.t.Add(r.Wall)
		return r, nil
	}
}

func (c *fakeClock) sleep(d time.Duration) error { c.t = c.t.Add(d); return nil }

func TestRetryLoop(t *testing.T) {
	fail := func(d time.Duration) Result {
		return Result{Wall: d, Exit: 1, Output: "server response: injected error"}
	}
	ok := func(d time.Duration) Result {
		return Result{Wall: d, User: time.Second, Sys: 100 * ms, MaxRSS: 30 << 20}
	}
	stall := Result{TimedOut: true}
	tests := []struct {
		name         string
		policy       retryPolicy
		bound        time.Duration
		results      []Result
		wantTimeouts []time.Duration
		wantWall     time.Duration
		wantAttempts int
		wantOK       bool
		wantFail     string
	}{
		{"first attempt succeeds", retryPolicy{5, 15 * s, 600 * s}, 60 * s,
			[]Result{ok(10 * s)}, []time.Duration{60 * s}, 10 * s, 1, true, ""},
		{"second attempt succeeds after a pause", retryPolicy{5, 15 * s, 600 * s}, 60 * s,
			[]Result{fail(3 * s), ok(5 * s)}, []time.Duration{60 * s, 60 * s}, 23 * s, 2, true, ""},
		{"every attempt fails", retryPolicy{3, 15 * s, 600 * s}, 60 * s,
			[]Result{fail(2 * s), fail(2 * s), fail(2 * s)}, []time.Duration{60 * s, 60 * s, 60 * s}, 36 * s, 3, false,
			"all 3 attempts failed, the last: exit 1: server response: injected error"},
		{"every attempt stalls within the total", retryPolicy{5, 15 * s, 600 * s}, 60 * s,
			[]Result{stall, stall, stall, stall, stall}, []time.Duration{60 * s, 60 * s, 60 * s, 60 * s, 60 * s}, 360 * s, 5, false,
			"all 5 attempts failed, the last: stalled (killed at 60.0 s)"},
		{"the total cuts the third attempt", retryPolicy{5, 15 * s, 180 * s}, 60 * s,
			[]Result{stall, stall, stall}, []time.Duration{60 * s, 60 * s, 30 * s}, 180 * s, 3, false,
			"retry loop cut at its 180 s total bound after 3 attempts"},
		{"no time left for the pause", retryPolicy{5, 15 * s, 130 * s}, 60 * s,
			[]Result{stall, stall}, []time.Duration{60 * s, 55 * s}, 130 * s, 2, false,
			"retry loop cut at its 130 s total bound after 2 attempts"},
		{"no total bound", retryPolicy{2, 15 * s, 0}, 60 * s,
			[]Result{fail(1 * s), fail(1 * s)}, []time.Duration{60 * s, 60 * s}, 17 * s, 2, false,
			"all 2 attempts failed, the last: exit 1: server response: injected error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			var timeouts []time.Duration
			out, err := tt.policy.loop(tt.bound, clock.now, clock.script(tt.results, &timeouts), clock.sleep)
			if err != nil {
				t.Fatal(err)
			}
			if !equalDurations(timeouts, tt.wantTimeouts) {
				t.Errorf("attempt timeouts = %v, want %v", timeouts, tt.wantTimeouts)
			}
			label := "timeout"
			if tt.results[0].TimedOut {
				label = "stalled"
			}
			run := out.run(label)
			if run.Wall != tt.wantWall || run.Attempts != tt.wantAttempts || run.OK() != tt.wantOK || run.Fail != tt.wantFail {
				t.Errorf("run = wall %v, %d attempts, ok %v, fail %q; want %v, %d, %v, %q",
					run.Wall, run.Attempts, run.OK(), run.Fail, tt.wantWall, tt.wantAttempts, tt.wantOK, tt.wantFail)
			}
		})
	}
}

func TestRetryOutcomeSumsCPU(t *testing.T) {
	out := retryOutcome{Wall: 40 * s, Attempts: []Result{
		{Exit: 1, User: 1 * s, Sys: 100 * ms, MaxRSS: 20 << 20},
		{Exit: 0, User: 2 * s, Sys: 300 * ms, MaxRSS: 25 << 20},
	}}
	r := out.run("timeout")
	if r.User != 3*s || r.Sys != 400*ms || r.MaxRSS != 25<<20 || !r.OK() || r.Attempts != 2 {
		t.Errorf("run = %+v; want user 3 s, sys 400 ms, RSS 25 MiB, ok, 2 attempts", r)
	}
}

func TestRetryLoopStopsOnError(t *testing.T) {
	clock := &fakeClock{}
	stop := errors.New("cancelled")
	attempts := 0
	_, err := retryPolicy{5, 15 * s, 0}.loop(60*s, clock.now, func(time.Duration) (Result, error) {
		attempts++
		return Result{Exit: 1}, nil
	}, func(time.Duration) error { return stop })
	if !errors.Is(err, stop) || attempts != 1 {
		t.Errorf("loop = %v after %d attempts, want the sleep's error after 1", err, attempts)
	}
}

func TestSidesFor(t *testing.T) {
	h := &harness{cfg: &Config{}}
	good := comparison{Mirrors: []mirrorSpec{{Kind: goodMirror}}}
	stalled := comparison{Mirrors: []mirrorSpec{{Kind: stalledMirror}, {Kind: goodMirror}}}
	flaky := comparison{Mirrors: []mirrorSpec{{Kind: flakyMirror}}}
	names := func(ss []side) string {
		var out []string
		for _, s := range ss {
			out = append(out, s.String())
		}
		return strings.Join(out, ", ")
	}
	for _, tt := range []struct {
		name string
		cfg  Config
		cmp  comparison
		want string
	}{
		{"healthy", Config{}, good, "go, GOMAXPROCS=64 go, gofast"},
		{"stalled", Config{}, stalled, "go, GOMAXPROCS=64 go, go retry loop, gofast"},
		{"flaky without go64", Config{NoGo64: true}, flaky, "go, go retry loop, gofast"},
		{"no retry", Config{NoRetry: true}, flaky, "go, GOMAXPROCS=64 go, gofast"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h.cfg = &tt.cfg
			if got := names(h.sidesFor(tt.cmp)); got != tt.want {
				t.Errorf("sidesFor = %s, want %s", got, tt.want)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
