package doctor

import (
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/windows"
)

// statVolume reports the file system holding dir.
func statVolume(dir string) (volume, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return volume{}, err
	}
	var free, total, totalFree uint64
	if err := windows.GetDiskFreeSpaceEx(p, &free, &total, &totalFree); err != nil {
		return volume{}, fmt.Errorf("free space of %s: %w", dir, err)
	}
	v := volume{free: free, fsType: "unknown file system"}
	vol := filepath.VolumeName(dir)
	if strings.HasPrefix(vol, `\\`) {
		v.network = true // a UNC path: \\server\share
	} else if vol != "" {
		rp, _ := windows.UTF16PtrFromString(vol + `\`)
		if windows.GetDriveType(rp) == windows.DRIVE_REMOTE {
			v.network = true
		}
		name := make([]uint16, windows.MAX_PATH+1)
		if windows.GetVolumeInformation(rp, nil, 0, nil, nil, nil, &name[0], uint32(len(name))) == nil {
			v.fsType = windows.UTF16ToString(name)
		}
	}
	return v, nil
}
