// Command conformance runs cmd/go's own module script tests
// ($GOROOT/src/cmd/go/testdata/script) twice: with go alone, and with
// gofast in front of go, and reports every script that passes alone but
// not through gofast. See README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

func main() {
	var cfg Config
	flag.StringVar(&cfg.Run, "run", "", "run the scripts whose names match `regexp` (as go test -run=TestScript/regexp)")
	flag.StringVar(&cfg.Set, "set", "", "run a preset: ci (a subset for every CI run) or full (all mod_, get_, gotoolchain_, work_, install_ scripts; the default without -run)")
	flag.StringVar(&cfg.Out, "out", "", "write the markdown table to `file` instead of stdout")
	flag.StringVar(&cfg.Work, "work", "", "keep binaries and logs in `dir` (default: a temporary directory, removed at the end)")
	flag.IntVar(&cfg.Parallel, "parallel", 2, "scripts run at once on each side (-test.parallel)")
	flag.DurationVar(&cfg.Timeout, "timeout", 3*time.Hour, "limit for each side's test run (-test.timeout)")
	flag.StringVar(&cfg.Side, "side", "both", "which side to run: both, go or gofast (one side reports pass/fail only)")
	flag.BoolVar(&cfg.Long, "long", false, "run without -test.short: also the scripts that build binaries or use (local) VCS repositories; [net] stays false")
	flag.BoolVar(&cfg.Core, "core", false, "put the complete program (go build .) in front of go instead of the launcher and gofast-core that install.sh installs")
	flag.StringVar(&cfg.Report, "report", "", "only report again from the logs a run kept in `dir` (its -work)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "conformance: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg.Log = os.Stderr
	rep, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "conformance: %v\n", err)
		os.Exit(2)
	}
	var w io.Writer = os.Stdout
	if cfg.Out != "" {
		f, err := os.Create(cfg.Out)
		if err != nil {
			fmt.Fprintf(os.Stderr, "conformance: %v\n", err)
			os.Exit(2)
		}
		defer f.Close()
		w = f
	}
	rep.WriteMarkdown(w)
	fmt.Fprintln(os.Stderr, rep.Summary())
	if bad := rep.Unlisted(); len(bad) > 0 {
		fmt.Fprintf(os.Stderr, "conformance: %d scripts pass with go alone but fail through gofast and are not in known.go: %v\n", len(bad), bad)
		if cfg.Out != "" {
			f, _ := w.(*os.File)
			f.Close()
		}
		os.Exit(1)
	}
}
