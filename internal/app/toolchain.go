package app

import (
	"context"
	"errors"
	"io"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/toolchain"
	"github.com/gofastdev/gofast/prefetch"
	"github.com/gofastdev/gofast/wrap"
)

// toolchainFor returns the toolchain decision go makes when run with args
// in dir (GOTOOLCHAIN and the go.mod or go.work lines, read as go reads
// them), and whether go must download that toolchain first.
func (s *session) toolchainFor(dir string, args []string) (toolchain.Decision, bool) {
	goTool, err := s.GoTool()
	if err != nil {
		return toolchain.Decision{}, false
	}
	return toolchain.WillDownload(s.env, dir, goTool, args)
}

// fetchToolchain has go download the toolchain it will switch to in dir,
// through the loopback proxy when it can stand in (else go alone, as go
// would fetch it anyway), by running `go version` there: go fetches and
// verifies the toolchain against the checksum database as it always does,
// and gofast serves the bytes with its chain, deadlines and retries. go's
// messages ("go: downloading go1.x") reach stderr; a failure is go's, with
// its exit code.
func (s *session) fetchToolchain(ctx context.Context, dir string) error {
	st, err := s.Settings(ctx, dir)
	if err != nil {
		return nil // go says what is wrong when it runs
	}
	return s.fetchToolchainWith(st, dir)
}

// fetchToolchainWith is fetchToolchain with go's settings in dir known.
func (s *session) fetchToolchainWith(st *goenv.Settings, dir string) error {
	args := []string{"version"}
	if dir != "" {
		args = []string{"-C", dir, "version"}
	}
	stdio := wrap.Stdio{Stdout: io.Discard, Stderr: s.opts.Stderr}
	ran, err := s.runProxied(st, args, s.env, aheadPolicy{}, stdio)
	if !ran {
		goTool, gerr := s.GoTool()
		if gerr != nil {
			return gerr
		}
		err = wrap.Run(goTool, args, s.env, stdio)
	}
	var ee *wrap.ExitError
	if errors.As(err, &ee) && ee.Code == 0 && ee.Signal == nil {
		return nil
	}
	return err
}

// toolchainAside starts fetchToolchainWith in the background, beside the
// module prefetch, so that both downloads are in flight from the start
// rather than one after the other; wait returns its result. When the
// toolchain cannot be had, go cannot run the command either: onFail (if
// set) is called at once, to stop the prefetch.
func (s *session) toolchainAside(st *goenv.Settings, dir string, onFail func()) (wait func() error) {
	done := make(chan error, 1)
	go func() {
		err := s.fetchToolchainWith(st, dir)
		if err != nil && onFail != nil {
			onFail()
		}
		done <- err
	}()
	return func() error { return <-done }
}

// bundleToolchain adds to the prefetch's GOPROXY tree out what an offline
// switch to d.Target needs (prefetch.ToolchainBundle), for this host's
// platform as go names it.
func (s *session) bundleToolchain(ctx context.Context, st *goenv.Settings, d toolchain.Decision, out string) (string, error) {
	goos, goarch := toolchain.HostPlatform(st.GOROOT, st.Raw["GOHOSTOS"], st.Raw["GOHOSTARCH"])
	version := toolchain.ModuleVersion(d.Target, goos, goarch)
	f, err := s.fetcher(st)
	if err != nil {
		return "", err
	}
	b := &prefetch.ToolchainBundle{Fetcher: f, Settings: st, Version: version, OutputDir: out}
	return version, b.Write(ctx)
}
