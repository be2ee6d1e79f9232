package wrap

import (
	"os/exec"
	"runtime"
	"syscall"
)

// startBound starts cmd so that the kernel kills it (SIGKILL) when gofast
// dies, however gofast dies (prctl PR_SET_PDEATHSIG; Go's fork checks
// that the parent did not die before the setting took). The signal fires
// when the thread that forked the child exits, not the process, and Go's
// runtime ends a thread when a goroutine locked to it exits locked; so the
// calling goroutine stays locked to the forking thread until release,
// which the caller calls after Wait, and the thread lives as long as go
// does. go's own children (compilers, test binaries) are not covered:
// they do not fetch through the proxy.
func startBound(cmd *exec.Cmd) (release func(), err error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	runtime.LockOSThread()
	if err := cmd.Start(); err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	return runtime.UnlockOSThread, nil
}
