//go:build !linux

package main

import (
	"fmt"
	"runtime"
)

// mountImage reports that loop-mounted images are made only on Linux.
func mountImage(img, dir string, size int64) error {
	return fmt.Errorf("loop-mounted images are made only on Linux, not %s", runtime.GOOS)
}

// unmountImage is never reached off Linux.
func unmountImage(img, dir string, keep bool) error { return nil }
