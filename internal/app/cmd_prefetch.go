package app

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// prefetchCommand is a placeholder until the prefetch package lands; its owner replaces this file.
func (s *session) prefetchCommand() *cli.Command {
	return &cli.Command{
		Name:  "prefetch",
		Usage: "(not built yet)",
		Action: func(c *cli.Context) error {
			return errors.New("prefetch: not built yet")
		},
	}
}
