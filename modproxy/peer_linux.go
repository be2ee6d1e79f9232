package modproxy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// peerIsOwn reports whether the process at the other end of c, a TCP
// connection over IPv4 loopback, runs as user uid (gofast's own). The
// kernel's socket table (/proc/net/tcp) lists the client's socket, with
// the client's address as its local address and the proxy's as its
// remote one, and the user that created it. Any doubt (the table cannot
// be read, the socket is not found) answers no.
func peerIsOwn(c net.Conn, uid int) bool {
	local, ok1 := c.RemoteAddr().(*net.TCPAddr)
	remote, ok2 := c.LocalAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return false
	}
	want := []string{procAddr(local), procAddr(remote)}
	if want[0] == "" || want[1] == "" {
		return false
	}
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 || fields[1] != want[0] || fields[2] != want[1] {
			continue
		}
		owner, err := strconv.Atoi(fields[7])
		return err == nil && owner == uid
	}
	return false
}

// procAddr is a as /proc/net/tcp writes it: the IPv4 address as the
// kernel's 32-bit word in hex (host byte order), a colon, the port in hex.
func procAddr(a *net.TCPAddr) string {
	ip4 := a.IP.To4()
	if ip4 == nil {
		return ""
	}
	return fmt.Sprintf("%08X:%04X", binary.NativeEndian.Uint32(ip4), a.Port)
}

// peerProbe reports whether peerIsOwn works here (a /proc that lists the
// sockets of this network namespace), over one connection to ln before
// it serves: the kernel completes it into the backlog, so Accept does
// not wait.
func peerProbe(ln net.Listener) bool {
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return false
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		return false
	}
	defer s.Close()
	return peerIsOwn(s, os.Geteuid())
}
