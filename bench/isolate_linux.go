//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"
	"unsafe"
)

// startIsolated starts the harness again as a child in a new network
// namespace, where only a loopback interface exists: the emulated mirrors
// and both tools then run where nothing else is reachable. Unprivileged
// users get a user namespace too, mapping them to root inside so that they
// may bring loopback up. It returns errNoNetns when the system refuses
// namespaces.
func startIsolated(ctx context.Context, self string, args []string, stdout, stderr io.Writer) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, stdout, stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	attr := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() != 0 {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
		attr.GidMappingsEnableSetgroups = false
	}
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EACCES) {
			return nil, fmt.Errorf("%w: %v", errNoNetns, err)
		}
		return nil, fmt.Errorf("starting the isolated harness: %w", err)
	}
	return cmd, nil
}

// dieWithParent has the kernel send cmd SIGTERM when the harness dies,
// so that a helper process (the toxiproxy server) never outlives it.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// enterIsolation runs first in the child: it brings loopback up and proves
// the namespace is closed by dialing a documentation address (192.0.2.1,
// which no network routes) and getting "network is unreachable" at once.
// It returns the sentence the report prints about the network.
func enterIsolation() (string, error) {
	if err := loopbackUp(); err != nil {
		return "", fmt.Errorf("bringing up loopback in the network namespace: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("loopback in the network namespace: %w", err)
	}
	ln.Close()
	c, err := net.DialTimeout("tcp4", "192.0.2.1:80", 2*time.Second)
	if err == nil {
		c.Close()
		return "", errors.New("the network namespace reaches 192.0.2.1: not isolated")
	}
	if !errors.Is(err, syscall.ENETUNREACH) {
		return "", fmt.Errorf("the network namespace is not closed: dialing 192.0.2.1: %w", err)
	}
	return "every run happened inside a private network namespace with only loopback up " +
		"(a dial to 192.0.2.1 failed with \"network is unreachable\"), so nothing but the emulated mirrors on 127.0.0.1 was reachable", nil
}

// ifreqFlags is struct ifreq as SIOCGIFFLAGS and SIOCSIFFLAGS use it: the
// interface name, then the flags in a union padded to 24 bytes.
type ifreqFlags struct {
	name  [syscall.IFNAMSIZ]byte
	flags uint16
	_     [22]byte
}

// loopbackUp sets IFF_UP on "lo", which a new network namespace has down.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var req ifreqFlags
	copy(req.name[:], "lo")
	if err := ioctl(fd, syscall.SIOCGIFFLAGS, &req); err != nil {
		return fmt.Errorf("SIOCGIFFLAGS: %w", err)
	}
	req.flags |= syscall.IFF_UP | syscall.IFF_RUNNING
	if err := ioctl(fd, syscall.SIOCSIFFLAGS, &req); err != nil {
		return fmt.Errorf("SIOCSIFFLAGS: %w", err)
	}
	return nil
}

func ioctl(fd int, op uintptr, req *ifreqFlags) error {
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), op, uintptr(unsafe.Pointer(req)))
	if errno != 0 {
		return errno
	}
	return nil
}
