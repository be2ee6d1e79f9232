//go:build !linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
)

// startIsolated reports that network namespaces exist only on Linux.
func startIsolated(ctx context.Context, self string, args []string, stdout, stderr io.Writer) (*exec.Cmd, error) {
	return nil, fmt.Errorf("%w on %s", errNoNetns, runtime.GOOS)
}

// dieWithParent does nothing off Linux: a helper process is stopped by
// the harness's own clean-up only.
func dieWithParent(cmd *exec.Cmd) {}

// enterIsolation is never reached off Linux.
func enterIsolation() (string, error) {
	return "", errors.New("network namespaces exist only on Linux")
}
