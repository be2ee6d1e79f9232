package app

import (
	"context"
	"time"

	"github.com/gofastdev/gofast/lockcheck"
)

// lockWait is called when a module-cache version lock gofast needs has been
// held by another process for a few seconds. Rather than wait silently
// behind a process that may be stuck (a stalled go, a stopped job), it says
// in one line who holds the lock, since when, and the command that frees
// it; then the wait goes on. During a go command the line is a note (see
// notef): go alone waits on the same lock without a word.
func (s *session) lockWait(root, lockPath string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	holders, err := lockcheck.StuckHolders(ctx, root, []string{lockPath}, 0)
	if err != nil || len(holders) == 0 {
		s.notef("waiting for %s, held by another process (gofast lockcheck names it)", lockPath)
		return
	}
	for _, h := range holders {
		if h.Lock == "" {
			h.Lock = lockPath
		}
		s.notef("waiting: %s", h.Advice())
	}
}
