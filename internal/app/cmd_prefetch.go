package app

import (
	"fmt"
	"strings"

	"github.com/gofastdev/gofast/prefetch"
	"github.com/urfave/cli/v2"
)

// prefetchCommand is `gofast prefetch [-C dir] [-j N] [-o DIR] [--json]`:
// fetch every module the main module or workspace needs, verified, into the
// module cache (and with -o into DIR as a GOPROXY tree).
func (s *session) prefetchCommand() *cli.Command {
	return &cli.Command{
		Name:      "prefetch",
		Usage:     "fetch every module the main module needs, verified, into the module cache",
		UsageText: "gofast prefetch [-C dir] [-j N] [-o DIR] [--json]",
		Description: "Every module go.mod and go.sum (or go.work) need is fetched and checked against go.sum.\n" +
			"When go.mod or go.work makes go switch toolchains, go downloads the toolchain through\n" +
			"gofast's proxy at the same time, and verifies it against the checksum database.\n" +
			"With -o DIR the modules are also written to DIR as a GOPROXY tree (<path>/@v/<version>.info,\n" +
			".mod, .zip and @v/list), and, when go switches toolchains, golang.org/toolchain/@v/<v>.info,\n" +
			".mod, .zip for this host and the checksum-database files an offline switch reads\n" +
			"(sumdb/<name>/supported, lookup/golang.org/toolchain@<v> and its tiles), checked against\n" +
			"the database's signatures first: with GOPROXY=file://DIR and a fresh GOPATH, go switches\n" +
			"and builds with no network.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "C", Usage: "run as if in `dir`"},
			&cli.IntFlag{Name: "j", Usage: "parallel downloads (default GOFAST_JOBS, else 64)"},
			&cli.StringFlag{Name: "o", Usage: "also write a GOPROXY tree to `DIR` (serve it with GOPROXY=file://DIR)"},
			&cli.BoolFlag{Name: "json", Usage: "print the per-module report as JSON on stdout"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return &UsageError{Err: fmt.Errorf("prefetch takes no arguments, got %q", c.Args().First())}
			}
			ctx := c.Context
			dir := c.String("C")
			st, err := s.Settings(ctx, dir)
			if err != nil {
				return err
			}
			if err := s.checkPrefetchSettings(st); err != nil {
				return err
			}
			opts := s.prefetchOptions(dir, st)
			if j := c.Int("j"); j > 0 {
				opts.Jobs = j
			} else if j < 0 {
				return &UsageError{Err: fmt.Errorf("-j must be positive")}
			}
			opts.OutputDir = c.String("o")
			if c.Bool("json") {
				opts.JSON = s.opts.Stdout
			}
			// A go.mod or go.work that makes go switch toolchains: go
			// downloads the toolchain, through the loopback proxy, beside
			// the module prefetch. A failure is go's, reported once the
			// modules are in.
			tc, download := s.toolchainFor(dir, nil)
			waitToolchain := func() error { return nil }
			if download {
				waitToolchain = s.toolchainAside(st, dir, nil)
			}
			rep, err := prefetch.Run(ctx, opts)
			tcErr := waitToolchain()
			if err != nil {
				return err
			}
			if rep.Fetched == 0 && rep.Failed == 0 && !c.Bool("json") {
				s.logf("nothing to fetch: %d modules already cached, %d left to go", rep.Cached, rep.LeftToGo)
			}
			if err := rep.Err(); err != nil {
				lines := strings.Split(err.Error(), "\n")
				for i, line := range lines {
					if i == maxErrorLines && len(lines) > maxErrorLines+1 {
						s.logf("... and %d more (gofast prefetch --json lists every module)", len(lines)-i)
						break
					}
					s.logf("%s", line)
				}
				if rep.Failed > 0 {
					return &ExitError{Code: 1, Silent: true}
				}
			}
			if tcErr != nil {
				return tcErr
			}
			if opts.OutputDir != "" && tc.Target != "" && !tc.Path {
				// The bundle is for a go with no network: it switches
				// only if the toolchain and its checksum-database proof
				// are in the tree too.
				v, err := s.bundleToolchain(ctx, st, tc, opts.OutputDir)
				if err != nil {
					return fmt.Errorf("bundling toolchain %s: %w", tc.Target, err)
				}
				s.logf("%s also holds toolchain %s (golang.org/toolchain@%s) and its checksum-database proof", opts.OutputDir, tc.Target, v)
			}
			return nil
		},
	}
}

// maxErrorLines bounds the failure lines `gofast prefetch` prints: past a
// screenful, more lines of the same cause only hide it.
const maxErrorLines = 10
