// Command gofast is a drop-in front for the go command that makes module
// downloads fast and stall-proof, then hands over to the real go tool.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/gofastdev/gofast/internal/app"
	"github.com/gofastdev/gofast/wrap"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := app.Run(ctx, app.Options{
		Args:    os.Args,
		Env:     os.Environ(),
		Stdin:   os.Stdin,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Version: version,
	})
	stop()
	wrap.Die(err)
	os.Exit(app.ExitCode(err, os.Stderr))
}
