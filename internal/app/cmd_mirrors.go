package app

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// mirrorsCommand is a placeholder until the mirrors package lands; its owner replaces this file.
func (s *session) mirrorsCommand() *cli.Command {
	return &cli.Command{
		Name:  "mirrors",
		Usage: "(not built yet)",
		Action: func(c *cli.Context) error {
			return errors.New("mirrors: not built yet")
		},
	}
}
