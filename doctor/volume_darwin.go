package doctor

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// statVolume reports the file system holding dir.
func statVolume(dir string) (volume, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return volume{}, fmt.Errorf("statfs %s: %w", dir, err)
	}
	name := unix.ByteSliceToString(st.Fstypename[:])
	v := volume{free: st.Bavail * uint64(st.Bsize), fsType: name}
	switch name {
	case "nfs", "smbfs", "afpfs", "webdav", "cifs":
		v.network = true
	default:
		v.fuse = len(name) >= 4 && (name[:4] == "fuse" || name[:4] == "osxf" || name == "macfuse")
	}
	return v, nil
}
