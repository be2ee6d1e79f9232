package app

import (
	"context"
	"strings"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/prefetch"
	"github.com/gofastdev/gofast/wrap"
	"golang.org/x/mod/module"
)

// warmModDownload prepares `gofast mod download [args]`: a full parallel
// prefetch with extraction, so that the real `go mod download [args]` that
// runs next finds every file in place and only verifies. It returns the
// environment for go: GOPROXY set to the chain the prefetch used, so that
// whatever go still fetches comes from the same mirrors. go's own result,
// output and exit code then stand.
func (s *session) warmModDownload(ctx context.Context, inv wrap.Invocation) (goenv.Environ, error) {
	only, ok := modDownloadTargets(inv.Rest)
	if !ok {
		// Arguments gofast does not model (queries, -modfile, ...): go
		// handles them alone.
		return s.env, nil
	}
	rep, st, err := s.prefetchForGo(ctx, inv, func(opts *prefetch.Options) {
		opts.Extract = true
		// go mod download never runs in vendor mode.
		opts.IgnoreVendor = true
		opts.Only = only
	})
	if err != nil {
		return nil, err
	}
	if rep == nil {
		return s.env, nil
	}
	return s.envWithChain(rep, st), nil
}

// modDownloadTargets parses `go mod download` arguments. With none (or
// only "all") the whole set is prefetched (nil). Explicit path@version
// arguments with canonical versions restrict the prefetch to them. Any
// other argument (a query like @latest, a bare path, a -modfile flag)
// makes gofast step aside: ok is false.
func modDownloadTargets(args []string) (only []module.Version, ok bool) {
	all := false
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			switch name {
			case "x", "json", "reuse", "modcacherw":
				continue
			}
			return nil, false
		}
		if a == "all" {
			all = true
			continue
		}
		path, vers, found := strings.Cut(a, "@")
		if !found || module.CanonicalVersion(vers) != vers || module.Check(path, vers) != nil {
			return nil, false
		}
		only = append(only, module.Version{Path: path, Version: vers})
	}
	if all {
		return nil, true
	}
	return only, true
}
