package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// Proc is one process for the harness to run and time.
type Proc struct {
	// Path is the program, Args its arguments (without the program name).
	Path string
	Args []string
	// Dir is the working directory and Env the complete environment.
	Dir string
	Env []string
	// Timeout bounds the run; the process group is killed when it passes.
	// Zero means no bound.
	Timeout time.Duration
	// Log receives stdout and stderr. A file keeps the child's output off
	// pipes, so no copying goroutine sits inside the timed interval.
	Log string
}

// Result is what running a Proc produced.
type Result struct {
	// Wall is measured from just before exec to just after exit.
	Wall time.Duration
	// Exit is the exit code, or -1 when the process was killed.
	Exit int
	// TimedOut reports that the process was killed at Timeout.
	TimedOut bool
	// MaxRSS is the peak resident set size in bytes of the process and the
	// children it waited for (0 where the system does not say).
	MaxRSS int64
	// User and Sys are the CPU time in user and kernel mode of the process
	// and the children it waited for.
	User, Sys time.Duration
	// Output is the end of the combined output, for failure reasons.
	Output string
}

// outputTail is how much of a run's output Result keeps.
const outputTail = 4 << 10

// runProc runs p and waits for it. An error means the process could not be
// started or its log could not be handled; a non-zero exit is not an error.
func runProc(ctx context.Context, p Proc) (Result, error) {
	log, err := os.Create(p.Log)
	if err != nil {
		return Result{}, fmt.Errorf("creating run log: %w", err)
	}
	defer log.Close()

	var cancel context.CancelFunc = func() {}
	runCtx := ctx
	if p.Timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, p.Timeout)
	}
	defer cancel()

	cmd := exec.CommandContext(runCtx, p.Path, p.Args...)
	cmd.Dir = p.Dir
	cmd.Env = p.Env
	cmd.Stdin = nil
	cmd.Stdout = log
	cmd.Stderr = log
	ownProcessGroup(cmd)
	// A run that outlives its bound is killed with all its children (go
	// mod download may have started helpers), not just the leader.
	cmd.Cancel = func() error { return killProcessGroup(cmd) }
	cmd.WaitDelay = 5 * time.Second

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("starting %s: %w", p.Path, err)
	}
	werr := cmd.Wait()
	wall := time.Since(start)

	res := Result{Wall: wall, Exit: 0}
	if cmd.ProcessState != nil {
		res.Exit = cmd.ProcessState.ExitCode()
		res.MaxRSS = maxRSS(cmd.ProcessState)
		res.User, res.Sys = cmd.ProcessState.UserTime(), cmd.ProcessState.SystemTime()
	}
	if werr != nil {
		var ee *exec.ExitError
		if !errors.As(werr, &ee) && !errors.Is(werr, exec.ErrWaitDelay) && runCtx.Err() == nil {
			return Result{}, fmt.Errorf("waiting for %s: %w", p.Path, werr)
		}
	}
	if p.Timeout > 0 && errors.Is(runCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		res.TimedOut = true
		res.Exit = -1
		res.Wall = p.Timeout
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	res.Output = readTail(p.Log, outputTail)
	return res, nil
}

// readTail returns up to n bytes from the end of the file at path.
func readTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(st.Size()-n, 0)
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return ""
	}
	return string(buf)
}

// runOf is the Run of a single finished process; label names its time
// bound, as for failReason. The mirror counters and the correctness verdict
// are the caller's to add.
func runOf(res Result, label string) Run {
	return Run{Wall: res.Wall, Exit: res.Exit, TimedOut: res.TimedOut, MaxRSS: res.MaxRSS,
		User: res.User, Sys: res.Sys, Fail: failReason(res, label)}
}

// failReason turns a finished run into the reason it does not count, or ""
// when it exited 0 in time. label names the time bound ("timeout" or
// "stalled").
func failReason(res Result, label string) string {
	switch {
	case res.TimedOut:
		return fmt.Sprintf("%s (killed at %s)", label, formatDuration(res.Wall))
	case res.Exit != 0:
		msg := fmt.Sprintf("exit %d", res.Exit)
		if l := lastLine(res.Output, 120); l != "" {
			msg += ": " + l
		}
		return msg
	}
	return ""
}
