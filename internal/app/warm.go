package app

import (
	"context"
	"os"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/warmstamp"
	"github.com/gofastdev/gofast/prefetch"
	"github.com/gofastdev/gofast/wrap"
	"golang.org/x/mod/module"
)

// warm prepares the module cache before a go command that may fetch modules
// and returns the environment go should run with. A warm-up problem is
// reported in one line and go runs as usual, with one exception: when a
// mirror misbehaved on files gofast could not get in a way go does not
// survive (a stall, which go would wait on forever; an endless .mod), the
// error is returned and go is not run (see hangStop).
func (s *session) warm(ctx context.Context, inv wrap.Invocation) (goenv.Environ, error) {
	if inv.Command == "mod" && inv.Sub == "download" {
		return s.warmModDownload(ctx, inv)
	}
	return s.warmBuild(ctx, inv)
}

// warmBuild is the warm-up for build, test, list and the other fetching
// commands. When the files that decide what go needs and the settings are
// unchanged since the last complete warm-up, it only stats the files that
// warm-up recorded (a few milliseconds, no `go env`; the lean launcher
// makes the same check before it even starts gofast-core). Otherwise it
// runs one `go env -json` and a prefetch of what is missing, without
// extraction: go extracts the modules it builds, and only those.
func (s *session) warmBuild(ctx context.Context, inv wrap.Invocation) (goenv.Environ, error) {
	stamp := ""
	if tool, err := s.GoTool(); err == nil {
		stamp = warmstamp.Path(s.env, inv.Dir, tool)
	}
	if warmstamp.Valid(stamp) {
		s.knownWarm = true
		return s.env, nil
	}
	rep, st, err := s.prefetchForGo(ctx, inv, nil)
	if err != nil {
		return nil, err
	}
	if rep == nil {
		return s.env, nil
	}
	if stamp != "" && rep.Failed == 0 {
		writeStamp(stamp, st, rep)
	}
	return s.envWithChain(rep, st), nil
}

// writeStamp records the cache files of the modules the prefetch found or
// fetched. Failing to write it only costs the next run a `go env`.
func writeStamp(path string, st *goenv.Settings, rep *prefetch.Report) {
	c := &modcache.Cache{Root: st.GOMODCACHE}
	var files []string
	for _, r := range rep.Modules {
		if r.Status != prefetch.Fetched && r.Status != prefetch.Cached {
			continue
		}
		m := module.Version{Path: r.Path, Version: r.Version}
		for _, ext := range []string{"mod", "zip"} {
			if f, err := c.File(m, ext); err == nil {
				if _, err := os.Stat(f); err == nil {
					files = append(files, f)
				}
			}
		}
	}
	_ = warmstamp.Write(path, files)
}
