// Command bench compares gofast with the plain go command on emulated
// networks, reproducibly: cold module downloads of real projects at several
// round-trip times, a stalled first mirror and a mirror that fails a share
// of requests (where go in a CI-style retry loop runs too), the same cold
// download under a second, independent link emulator (toxiproxy), the
// wrapper's warm overhead, and gofast's peak memory. Every cold run starts
// on a file system of its own (a fresh loop-mounted ext4 image). Mirrors
// are real module graphs (the corpus) served by gofast's in-process test
// proxy on 127.0.0.1; on Linux every run happens inside a private network
// namespace where only loopback exists.
//
// From the repository root:
//
//	go run ./bench -quick -out BENCHMARKS.md   # smoke test, about 25 minutes
//	go run ./bench -out BENCHMARKS.md          # full run, about 1¾ hours on 2 cores
//
// The published figures come from a shorter run of every row (about 70
// minutes; see "Running it" in BENCHMARKS.md for the flags).
//
// The first run fills each corpus's GOPROXY tree once from the real proxy
// (the only network use) into $HOME/.cache/gofast-corpus/<name>; see
// BENCHMARKS.md and the -h output for the rest.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		// -h printed the usage; asking for help is not a failure.
	default:
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// run is the whole harness. Outside the namespace it fills the corpus
// trees and builds gofast (the steps that may need the network), then runs
// the benchmark in an isolated child when it can, or itself otherwise.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	getenv := func(k string) string {
		for i := len(environ) - 1; i >= 0; i-- {
			if key, v, ok := strings.Cut(environ[i], "="); ok && key == k {
				return v
			}
		}
		return ""
	}
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	h, err := newHarness(ctx, cfg, environ, stderr)
	if err != nil {
		return err
	}
	defer h.close()

	if cfg.inner {
		if h.isolation, err = enterIsolation(); err != nil {
			return err
		}
		h.netns = true
		h.gofast = cfg.Gofast
		h.toxiproxy = cfg.Toxiproxy
		if err := h.openCorpora(ctx, false); err != nil {
			return err
		}
		return h.runAndReport(ctx, stdout)
	}

	if err := h.openCorpora(ctx, true); err != nil {
		return err
	}
	if err := h.buildGofast(ctx); err != nil {
		return err
	}
	if cfg.Scenarios["emulators"] {
		if err := h.buildToxiproxy(ctx); err != nil {
			return err
		}
	}
	if cfg.Isolate != "none" {
		err := h.runIsolated(ctx, stdout)
		if err == nil || !errors.Is(err, errNoNetns) || cfg.Isolate == "netns" {
			return err
		}
		h.logf("%v; running without network isolation", err)
	}
	return h.runAndReport(ctx, stdout)
}

// runIsolated runs the benchmark in a child inside a new network namespace
// and waits for it.
func (h *harness) runIsolated(ctx context.Context, stdout io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locating the harness binary: %w", err)
	}
	args := append(append([]string(nil), h.cfg.args...),
		"-inner", "-gofast", h.gofast, "-toxiproxy", h.toxiproxy, "-corpus", h.corpusDir, "-corpus-proxy", h.proxyRoot, "-work", h.work)
	cmd, err := startIsolated(ctx, self, args, stdout, h.log)
	if err != nil {
		return err
	}
	h.logf("running inside a new network namespace (only loopback)")
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("the isolated benchmark failed (%v)", ee.ProcessState)
		}
		return fmt.Errorf("the isolated benchmark: %w", err)
	}
	return ctx.Err()
}

// runAndReport runs the selected scenarios and writes the report to -out,
// or to stdout.
func (h *harness) runAndReport(ctx context.Context, stdout io.Writer) error {
	if err := h.setupFreshFS(); err != nil {
		return err
	}
	if err := h.warmPageCache(); err != nil {
		return err
	}
	rep, err := h.benchmark(ctx)
	if err != nil {
		return err
	}
	if h.cfg.Out == "" {
		return rep.render(stdout)
	}
	f, err := os.Create(h.cfg.Out)
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if err := rep.render(f); err != nil {
		f.Close()
		return fmt.Errorf("writing the report: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	h.logf("report written to %s", h.cfg.Out)
	return nil
}

// benchmark runs the selected scenarios in report order.
func (h *harness) benchmark(ctx context.Context) (*Report, error) {
	start := time.Now()
	rep := &Report{Date: start, Quick: h.cfg.Quick, Bandwidth: h.cfg.Bandwidth, HandshakeRTTs: h.cfg.HandshakeRTTs,
		Isolation: h.isolation, Command: h.command(), Machine: describeMachine(ctx, h.goTool, h.repo),
		FreshFS: h.fresh.method(), Retry: retryPolicy{Attempts: h.cfg.RetryAttempts, Pause: h.cfg.RetryPause, Total: h.cfg.retryTotal()},
		NoRetry: h.cfg.NoRetry}
	var comparisons []comparison
	if h.cfg.Scenarios["cold"] {
		comparisons = append(comparisons, h.coldComparisons()...)
	}
	if h.cfg.Scenarios["stall"] {
		comparisons = append(comparisons, h.stallComparison())
	}
	if h.cfg.Scenarios["errors"] {
		comparisons = append(comparisons, h.errorComparison())
	}
	if h.cfg.Scenarios["proxy"] {
		pc, err := h.proxyComparisons()
		if err != nil {
			return nil, fmt.Errorf("proxy-path rows: %w", err)
		}
		comparisons = append(comparisons, pc...)
	}
	var cold []Row
	for _, cmp := range comparisons {
		h.logf("%s: %s over %s, %d rounds", cmp.Scenario, cmp.Corpus.Name, cmp.Link, cmp.Rounds)
		row, err := h.compare(ctx, cmp)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", cmp.Scenario, cmp.Corpus.Name, err)
		}
		rep.Rows = append(rep.Rows, row)
		if cmp.Scenario == "cold download" {
			cold = append(cold, row)
		}
	}
	if h.cfg.Scenarios["emulators"] {
		h.logf("emulators: %s at %s, in-process and toxiproxy, %d rounds", h.cfg.EmulatorCorpus, formatRTT(h.cfg.EmulatorRTT), h.cfg.EmulatorRounds)
		e, err := h.emulatorCheck(ctx)
		if err != nil {
			return nil, fmt.Errorf("emulators: %w", err)
		}
		rep.Emulators = e
		rep.Rows = append(rep.Rows, e.InProcess, e.Toxiproxy)
	}
	if h.cfg.Scenarios["overhead"] {
		for _, measure := range []func(context.Context) (Row, error){h.versionOverhead, h.buildOverhead} {
			row, err := measure(ctx)
			if err != nil {
				return nil, fmt.Errorf("warm overhead: %w", err)
			}
			rep.Rows = append(rep.Rows, row)
		}
	}
	if h.cfg.Scenarios["memory"] {
		mem, err := h.memory(ctx, cold)
		if err != nil {
			return nil, fmt.Errorf("peak memory: %w", err)
		}
		rep.Memory = mem
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// command is the command line that reproduces this run, as given.
func (h *harness) command() string {
	parts := []string{"go", "run", "./bench"}
	for _, a := range h.cfg.args {
		if a == "" || strings.ContainsAny(a, " \t\"'$|&;<>*?()") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}
