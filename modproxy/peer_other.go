//go:build !linux

package modproxy

import "net"

// peerProbe: outside Linux the proxy cannot tell which user a loopback
// connection comes from without cgo or per-platform tables, so its URL
// carries a random path prefix instead (see Loopback).
func peerProbe(net.Listener) bool { return false }

// peerIsOwn is not used where peerProbe is false.
func peerIsOwn(net.Conn, int) bool { return false }
