//go:build unix

package wrap

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gofastdev/gofast/internal/environ"
)

// Exec replaces the gofast process with the real go tool: same pid, stdio,
// terminal and signals, so go's output bytes and exit code are the user's
// directly. It returns only if the exec itself fails.
func Exec(goTool string, args []string, env environ.Environ) error {
	argv := append([]string{goTool}, args...)
	err := syscall.Exec(goTool, argv, env)
	return fmt.Errorf("exec %s: %w", goTool, err)
}

// forwarded are the signals Run passes on to go.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// Die ends the process as err's go ended: killed by the same signal when
// go was (so a parent shell sees what it would have seen of go itself),
// else nothing happens and the caller exits with the code.
func Die(err error) {
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Signal == nil {
		return
	}
	sig, ok := ee.Signal.(syscall.Signal)
	if !ok {
		return
	}
	signal.Reset(sig)
	syscall.Kill(os.Getpid(), sig)
	// The signal is delivered asynchronously; the exit code is the
	// fallback should it be blocked.
	time.Sleep(time.Second)
}
