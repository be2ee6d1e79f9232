package lockcheck

import "golang.org/x/sys/unix"

// smb2Magic is SMB2_MAGIC_NUMBER, which golang.org/x/sys/unix lacks.
const smb2Magic = 0xfe534d42

// remoteFS names the file systems, by statfs magic number, on which flock
// is emulated, local to one machine, or at the mercy of a server.
func remoteFS(magic int64) (string, bool) {
	switch magic {
	case unix.NFS_SUPER_MAGIC:
		return "NFS", true
	case unix.SMB_SUPER_MAGIC, unix.CIFS_SUPER_MAGIC, smb2Magic:
		return "SMB/CIFS", true
	case unix.V9FS_MAGIC:
		return "9P", true
	case unix.FUSE_SUPER_MAGIC:
		return "FUSE", true
	case unix.CEPH_SUPER_MAGIC:
		return "Ceph", true
	case unix.AFS_SUPER_MAGIC, unix.AFS_FS_MAGIC:
		return "AFS", true
	}
	return "", false
}

// checkFilesystem reports a module cache on a network or FUSE file system.
func checkFilesystem(root string) (Problem, bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil {
		return Problem{}, false
	}
	name, ok := remoteFS(int64(st.Type))
	if !ok {
		return Problem{}, false
	}
	return filesystemProblem(root, name), true
}
