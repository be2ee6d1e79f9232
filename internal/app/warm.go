package app

import (
	"context"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/wrap"
)

// warm prepares the module cache before a go command that may fetch modules
// and returns the environment go should run with. It never stops go from
// running: a warm-up problem is reported in one line and go runs as usual.
func (s *session) warm(ctx context.Context, inv wrap.Invocation) goenv.Environ {
	return s.env
}
