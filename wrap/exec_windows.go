//go:build windows

package wrap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"

	"github.com/gofastdev/gofast/internal/environ"
)

// Exec runs the real go tool as a child with the same stdio and returns an
// *ExitError carrying its exit code. Windows has no exec; Ctrl-C reaches the
// child through the shared console, so the parent only ignores it and waits.
func Exec(ctx context.Context, goTool string, args []string, env environ.Environ) error {
	cmd := exec.Command(goTool, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = env
	signal.Ignore(os.Interrupt)
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return &ExitError{Code: 0}
	case errors.As(err, &ee):
		return &ExitError{Code: ee.ExitCode()}
	default:
		return fmt.Errorf("running %s: %w", goTool, err)
	}
}
