//go:build !linux && !darwin && !windows

package doctor

import "errors"

// statVolume is not implemented on this platform; the volume check is
// skipped.
func statVolume(dir string) (volume, error) {
	return volume{}, errors.ErrUnsupported
}
