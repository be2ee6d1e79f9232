//go:build !linux && !windows

package wrap

import "os/exec"

// startBound starts cmd. Outside Linux and Windows (macOS, the BSDs) no
// parent-death signal exists that a child can be started with; a go
// left behind by a killed gofast finds the loopback port closed (the
// proxy died with gofast) and fails its next request, unless another
// local process binds that port first. A watcher process would itself be
// killable; nothing short of go's own cooperation closes that gap.
func startBound(cmd *exec.Cmd) (release func(), err error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return func() {}, nil
}
