//go:build !linux

package modproxy

import "testing"

// fromAnotherUser: outside Linux the prefix guards the proxy, tested in
// TestLoopbackGuard.
func fromAnotherUser(*testing.T, *Loopback) {}
