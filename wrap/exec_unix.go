//go:build unix

package wrap

import (
	"context"
	"fmt"
	"syscall"

	"github.com/gofastdev/gofast/internal/environ"
)

// Exec replaces the gofast process with the real go tool: same pid, stdio,
// terminal and signals, so go's output bytes and exit code are the user's
// directly. It returns only if the exec itself fails.
func Exec(ctx context.Context, goTool string, args []string, env environ.Environ) error {
	argv := append([]string{goTool}, args...)
	err := syscall.Exec(goTool, argv, env)
	return fmt.Errorf("exec %s: %w", goTool, err)
}
