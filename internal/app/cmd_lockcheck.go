package app

import (
	"errors"
	"fmt"

	"github.com/gofastdev/gofast/lockcheck"
	"github.com/urfave/cli/v2"
)

// lockcheckCommand is `gofast lockcheck [--fix] [--kill-hung DURATION]
// [--json]`: the module-cache lock doctor. The report is the command's
// output, so it goes to stdout; the exit code is 1 while problems remain.
func (s *session) lockcheckCommand() *cli.Command {
	return &cli.Command{
		Name:      "lockcheck",
		Usage:     "report module-cache locks held by live processes, leftovers of crashed writers, permission and file system problems",
		UsageText: "gofast lockcheck [--fix] [--kill-hung DURATION] [--json]",
		Description: "Lock files are judged by what the kernel says, never by their name or age.\n" +
			"--fix removes only what is provably stale: leftovers of crashed downloads and\n" +
			"extractions while holding their version's lock, and lock files you cannot open\n" +
			"that no process holds or has open. A lock held by a live process is never touched.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "fix", Usage: "remove what is provably stale"},
			&cli.DurationFlag{Name: "kill-hung", Usage: "send SIGTERM to go processes holding a lock that are stopped or have run longer than `DURATION`"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return &UsageError{Err: fmt.Errorf("lockcheck: unexpected argument %q", c.Args().First())}
			}
			killHung := c.Duration("kill-hung")
			if c.IsSet("kill-hung") && killHung <= 0 {
				return &UsageError{Err: errors.New("lockcheck: --kill-hung needs a positive duration, such as 5m")}
			}
			st, err := s.Settings(c.Context, "")
			if err != nil {
				return err
			}
			if st.GOMODCACHE == "" {
				return errors.New("lockcheck: go reports no GOMODCACHE")
			}
			rep, err := lockcheck.Scan(c.Context, lockcheck.Options{
				Root:     st.GOMODCACHE,
				Fix:      c.Bool("fix"),
				KillHung: killHung,
			})
			if err != nil {
				return err
			}
			if err := s.report(c.Bool("json"), rep, rep.WriteText); err != nil {
				return fmt.Errorf("lockcheck: %w", err)
			}
			if len(rep.Remaining()) > 0 {
				return &ExitError{Code: 1, Silent: true}
			}
			return nil
		},
	}
}
