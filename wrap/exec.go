package wrap

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/gofastdev/gofast/internal/environ"
)

// ExitError carries the exit status of a go process that gofast ran as a
// child: its exit code, or the signal that ended it.
type ExitError struct {
	Code int
	// Signal is the signal that killed go, nil when go exited by itself.
	Signal os.Signal
}

func (e *ExitError) Error() string {
	if e.Signal != nil {
		return fmt.Sprintf("go was killed by %v", e.Signal)
	}
	return fmt.Sprintf("go exited with status %d", e.Code)
}

// Stdio are the streams a child go gets. Files (the process's own
// streams) are passed to go as they are, so a terminal stays go's
// terminal and stdout's bytes are go's own.
type Stdio struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Run runs the real go tool as a child with args, env and stdio, and
// returns an *ExitError with go's exit status (nil is never returned for a
// go that ran: status 0 is an ExitError too, so the caller exits with
// go's code in one place). The interrupt, termination, hang-up and quit
// signals gofast receives are passed on to go, which decides how to end;
// gofast itself waits for it. go dies with gofast, even when gofast is
// killed outright (SIGKILL, the OOM killer): see startBound. On a
// terminal, Ctrl-C reaches both already: passing it on again is what go
// receives from `kill -INT` anyway.
func Run(goTool string, args []string, env environ.Environ, stdio Stdio) error {
	cmd := exec.Command(goTool, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.Stdin, stdio.Stdout, stdio.Stderr
	cmd.Env = env
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	// go must not outlive gofast: its GOPROXY is gofast's loopback port,
	// which any local user may bind once gofast is gone (startBound).
	release, err := startBound(cmd)
	if err != nil {
		return fmt.Errorf("running %s: %w", goTool, err)
	}
	defer release()
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return &ExitError{Code: 0}
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &ExitError{Code: 128 + int(ws.Signal()), Signal: ws.Signal()}
		}
		return &ExitError{Code: ee.ExitCode()}
	default:
		return fmt.Errorf("running %s: %w", goTool, err)
	}
}
