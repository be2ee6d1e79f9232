package app

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// runOwn runs one of gofast's own commands through urfave/cli.
func (s *session) runOwn(ctx context.Context) error {
	return s.cliApp().RunContext(ctx, s.opts.Args)
}

// cliApp is gofast's own command line. Its commands are exactly
// wrap.OwnCommands, the words the router sends here.
func (s *session) cliApp() *cli.App {
	a := &cli.App{
		Name:  "gofast",
		Usage: "a fast, stall-proof front for the go command",
		Description: "Every command line that is not a gofast command goes to the real go tool unchanged;\n" +
			"gofast first warms the module cache for commands that may download modules, then runs go\n" +
			"with gofast's loopback proxy as its GOPROXY (your direct/off tail kept), so that whatever go\n" +
			"still fetches (queries, go install pkg@version, toolchains, checksum-database lookups) gets\n" +
			"the same mirror chain, deadlines and retries. A warm cache goes straight to go.\n" +
			"go's output, exit code and module cache are what go alone gives; GOFAST_VERBOSE=1 adds\n" +
			"gofast's own summary lines; README.md lists every GOFAST_ setting.\n" +
			"gofast help, gofast version and gofast env are go's; use gofast self help and gofast self version.",
		Reader:          s.opts.Stdin,
		Writer:          s.opts.Stdout,
		ErrWriter:       s.opts.Stderr,
		HideHelpCommand: true,
		HideVersion:     true,
		// urfave/cli would call os.Exit for errors that carry a code; the
		// one exit code is decided in ExitCode instead.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &UsageError{Err: err}
		},
		Commands: []*cli.Command{
			s.prefetchCommand(),
			s.mirrorsCommand(),
			s.lockcheckCommand(),
			s.doctorCommand(),
			s.selfCommand(),
		},
	}
	for _, c := range a.Commands {
		if c.OnUsageError == nil {
			c.OnUsageError = a.OnUsageError
		}
	}
	return a
}

// selfCommand is `gofast self version` and `gofast self help`: gofast's own
// version and help, since `gofast version` and `gofast help` are go's.
func (s *session) selfCommand() *cli.Command {
	return &cli.Command{
		Name:  "self",
		Usage: "gofast's own version and help (gofast version and gofast help are go's)",
		Subcommands: []*cli.Command{
			{
				Name:  "version",
				Usage: "print gofast's version",
				Action: func(c *cli.Context) error {
					fmt.Fprintf(s.opts.Stdout, "gofast %s\n", s.version())
					return nil
				},
			},
			{
				Name:  "help",
				Usage: "show gofast's help",
				Action: func(c *cli.Context) error {
					return cli.ShowAppHelp(c)
				},
			},
		},
	}
}

// version returns the build-time version, else the module version recorded
// by `go install`, else "devel".
func (s *session) version() string {
	if s.opts.Version != "" {
		return s.opts.Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
