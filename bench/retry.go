package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// retryPolicy is the loop CI scripts wrap around go when a mirror misbehaves:
//
//	for i in 1 2 3 4 5; do go mod download && break; sleep 15; done
//
// each attempt bounded like a plain go run of the same row, the whole loop
// bounded too, as a CI job's time limit bounds the script. The module cache
// stays between attempts, so a later attempt fetches only what an earlier
// one missed.
type retryPolicy struct {
	// Attempts is the most times the command runs.
	Attempts int
	// Pause is the wait after a failed attempt, before the next one; the
	// loop does not wait after its last attempt.
	Pause time.Duration
	// Total bounds the whole loop, attempts and pauses; an attempt is cut
	// short when the total runs out. Zero means no bound.
	Total time.Duration
}

// retryOutcome is what one retry loop did.
type retryOutcome struct {
	// Attempts are the runs in order; the last one decides the outcome.
	Attempts []Result
	// Wall is the loop's time, from the first attempt's start to the last
	// one's end, pauses included; Total when the loop was cut.
	Wall time.Duration
	// Cut reports that the loop ran out of its total bound.
	Cut bool
}

// loop runs attempt until one succeeds, the attempts are used up or the
// total bound is reached. attempt runs the command once, bounded by
// timeout; sleep waits between attempts (an error ends the loop with it);
// now is the clock. bound is each attempt's own limit (0 for none).
func (p retryPolicy) loop(bound time.Duration, now func() time.Time,
	attempt func(timeout time.Duration) (Result, error), sleep func(time.Duration) error) (retryOutcome, error) {
	var out retryOutcome
	start := now()
	remaining := func() time.Duration {
		if p.Total <= 0 {
			return bound
		}
		return p.Total - now().Sub(start)
	}
	for i := 1; i <= max(p.Attempts, 1); i++ {
		timeout := bound
		left := remaining()
		if p.Total > 0 {
			if left <= 0 {
				out.Cut = true
				break
			}
			if timeout <= 0 || left < timeout {
				timeout = left
			}
		}
		res, err := attempt(timeout)
		if err != nil {
			return out, err
		}
		out.Attempts = append(out.Attempts, res)
		if res.Exit == 0 && !res.TimedOut {
			break
		}
		if res.TimedOut && timeout != bound {
			out.Cut = true // killed by the total bound, not its own
			break
		}
		if i == max(p.Attempts, 1) {
			break
		}
		if p.Total > 0 && remaining() <= p.Pause {
			out.Cut = true // the next attempt would start past the bound
			break
		}
		if err := sleep(p.Pause); err != nil {
			return out, err
		}
	}
	out.Wall = now().Sub(start)
	if out.Cut {
		out.Wall = p.Total
	}
	return out, nil
}

// run folds the loop into one Run: its wall time, the CPU time of all
// attempts, the largest peak RSS, and success when the last attempt
// exited 0 in time. A loop cut by its total bound counts as timed out; one
// whose attempts all failed carries the last attempt's reason. label names
// an attempt's own bound ("stalled", "timeout").
func (o retryOutcome) run(label string) Run {
	r := Run{Wall: o.Wall, Attempts: len(o.Attempts), Exit: -1}
	for _, a := range o.Attempts {
		r.User += a.User
		r.Sys += a.Sys
		r.MaxRSS = max(r.MaxRSS, a.MaxRSS)
	}
	if n := len(o.Attempts); n > 0 {
		last := o.Attempts[n-1]
		r.Exit = last.Exit
		if !o.Cut && last.Exit == 0 && !last.TimedOut {
			return r
		}
	}
	switch {
	case o.Cut:
		r.TimedOut, r.Exit = true, -1
		r.Fail = fmt.Sprintf("retry loop cut at its %s total bound after %s", formatBound(o.Wall), plural(len(o.Attempts), "attempt"))
	default:
		last := o.Attempts[len(o.Attempts)-1]
		r.Fail = fmt.Sprintf("all %s failed, the last: %s", plural(len(o.Attempts), "attempt"), failReason(last, label))
	}
	return r
}

// plural is "1 attempt", "5 attempts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// retryTotal is the retry loop's total bound: -retry-total, or -timeout.
func (c *Config) retryTotal() time.Duration {
	if c.RetryTotal > 0 {
		return c.RetryTotal
	}
	return c.Timeout
}

// retryRun runs p as the retry-loop side: up to -retry-attempts times,
// -retry-pause apart, each attempt bounded by p.Timeout, the loop by
// retryTotal. Each attempt writes p.Log afresh (the checks after the run
// read the last attempt's output); earlier attempts' logs are kept beside
// it as <log>.attempt<N>.
func (h *harness) retryRun(ctx context.Context, p Proc, label string) (Run, error) {
	policy := retryPolicy{Attempts: h.cfg.RetryAttempts, Pause: h.cfg.RetryPause, Total: h.cfg.retryTotal()}
	n := 0
	attempt := func(timeout time.Duration) (Result, error) {
		n++
		if n > 1 {
			if err := os.Rename(p.Log, fmt.Sprintf("%s.attempt%d", p.Log, n-1)); err != nil {
				return Result{}, err
			}
		}
		q := p
		q.Timeout = timeout
		return runProc(ctx, q)
	}
	sleep := func(d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	out, err := policy.loop(p.Timeout, time.Now, attempt, sleep)
	if err != nil {
		return Run{}, err
	}
	return out.run(label), nil
}
