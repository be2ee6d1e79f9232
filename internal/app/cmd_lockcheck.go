package app

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// lockcheckCommand is a placeholder until the lockcheck package lands; its owner replaces this file.
func (s *session) lockcheckCommand() *cli.Command {
	return &cli.Command{
		Name:  "lockcheck",
		Usage: "(not built yet)",
		Action: func(c *cli.Context) error {
			return errors.New("lockcheck: not built yet")
		},
	}
}
