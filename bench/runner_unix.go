//go:build unix

package main

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

// ownProcessGroup starts cmd in a process group of its own, so that a
// timeout can kill it together with any children.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup kills cmd's whole process group.
func killProcessGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return cmd.Process.Kill()
	}
	return nil
}

// maxRSS returns the peak resident set size in bytes reported by wait4 for
// the process: the largest of the process itself (across exec, so gofast
// handing over to go counts as one) and the children it waited for.
func maxRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) // bytes on darwin
	}
	return int64(ru.Maxrss) * 1024 // KiB on linux and the BSDs
}

// settleDisk flushes dirty pages to disk, so that the write-back of one
// run's module cache (and its removal) does not slow the next run.
func settleDisk() { syscall.Sync() }
