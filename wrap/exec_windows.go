//go:build windows

package wrap

import (
	"os"

	"github.com/gofastdev/gofast/internal/environ"
)

// forwarded are the signals Run passes on to go. On Windows, Ctrl-C
// reaches the child through the shared console; the parent only has to
// survive it while it waits, which Notify does.
var forwarded = []os.Signal{os.Interrupt}

// Exec runs the real go tool as a child with the same stdio and returns an
// *ExitError carrying its exit code: Windows has no exec.
func Exec(goTool string, args []string, env environ.Environ) error {
	return Run(goTool, args, env, Stdio{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
}

// Die does nothing on Windows: the exit code carries go's status.
func Die(err error) {}
