package doctor

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// linuxFS names the file system magic numbers worth naming, and marks the
// ones where go's flock-based cache locks are unreliable or slow.
var linuxFS = map[int64]struct {
	name    string
	network bool
	fuse    bool
}{
	unix.EXT4_SUPER_MAGIC:      {name: "ext4"},
	unix.XFS_SUPER_MAGIC:       {name: "xfs"},
	unix.BTRFS_SUPER_MAGIC:     {name: "btrfs"},
	unix.TMPFS_MAGIC:           {name: "tmpfs"},
	unix.OVERLAYFS_SUPER_MAGIC: {name: "overlayfs"},
	unix.NFS_SUPER_MAGIC:       {name: "nfs", network: true},
	unix.SMB_SUPER_MAGIC:       {name: "smb", network: true},
	unix.SMB2_SUPER_MAGIC:      {name: "smb2", network: true},
	unix.CIFS_SUPER_MAGIC:      {name: "cifs", network: true},
	unix.V9FS_MAGIC:            {name: "9p", network: true},
	unix.AFS_SUPER_MAGIC:       {name: "afs", network: true},
	unix.CEPH_SUPER_MAGIC:      {name: "ceph", network: true},
	unix.FUSE_SUPER_MAGIC:      {name: "fuse", fuse: true},
}

// statVolume reports the file system holding dir.
func statVolume(dir string) (volume, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return volume{}, fmt.Errorf("statfs %s: %w", dir, err)
	}
	v := volume{free: st.Bavail * uint64(st.Bsize), fsType: fmt.Sprintf("file system type %#x", st.Type)}
	if fs, ok := linuxFS[int64(st.Type)]; ok {
		v.fsType, v.network, v.fuse = fs.name, fs.network, fs.fuse
	}
	return v, nil
}
