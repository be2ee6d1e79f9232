package lockcheck

import (
	"bytes"

	"golang.org/x/sys/unix"
)

// remoteFS names the file system types, as statfs reports them, on which
// flock is emulated, local to one machine, or at the mercy of a server.
func remoteFS(typ string) (string, bool) {
	switch typ {
	case "nfs":
		return "NFS", true
	case "smbfs":
		return "SMB", true
	case "afpfs":
		return "AFP", true
	case "webdav":
		return "WebDAV", true
	case "macfuse", "osxfuse", "fusefs":
		return "FUSE", true
	}
	return "", false
}

// checkFilesystem reports a module cache on a network or FUSE file system.
func checkFilesystem(root string) (Problem, bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil {
		return Problem{}, false
	}
	name, ok := remoteFS(string(bytes.TrimRight(st.Fstypename[:], "\x00")))
	if !ok {
		return Problem{}, false
	}
	return filesystemProblem(root, name), true
}
