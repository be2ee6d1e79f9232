package app

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// doctorCommand is a placeholder until the doctor package lands; its owner replaces this file.
func (s *session) doctorCommand() *cli.Command {
	return &cli.Command{
		Name:  "doctor",
		Usage: "(not built yet)",
		Action: func(c *cli.Context) error {
			return errors.New("doctor: not built yet")
		},
	}
}
