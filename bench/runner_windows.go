//go:build windows

package main

import (
	"os"
	"os/exec"
)

// ownProcessGroup does nothing on Windows; a timeout kills the process only.
func ownProcessGroup(cmd *exec.Cmd) {}

// killProcessGroup kills cmd's process.
func killProcessGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return cmd.Process.Kill()
}

// maxRSS is not measured on Windows.
func maxRSS(ps *os.ProcessState) int64 { return 0 }

// settleDisk does nothing on Windows.
func settleDisk() {}
