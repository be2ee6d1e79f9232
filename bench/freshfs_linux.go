//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// mountImage makes a sparse ext4 image of size bytes at img and mounts it
// on dir, which it creates. noinit_itable keeps the kernel from zeroing
// inode tables in the background during the timed run.
func mountImage(img, dir string, size int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(img)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(img)
		return fmt.Errorf("making the image: %w", err)
	}
	for _, argv := range [][]string{
		{"mkfs.ext4", "-q", "-F", img},
		{"mount", "-o", "loop,noinit_itable", img, dir},
	} {
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			os.Remove(img)
			return fmt.Errorf("%s: %v: %s", argv[0], err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// unmountImage unmounts dir (the loop device, set up with autoclear by
// mount -o loop, goes with it) and deletes img unless keep is set: one
// unlink of a sparse file, however much the run extracted.
func unmountImage(img, dir string, keep bool) error {
	if err := syscall.Unmount(dir, 0); err != nil {
		// Something still holds a file there (a helper the run left
		// behind): detach the file system now, and the kernel frees it,
		// and the deleted image, when the last holder lets go.
		if derr := syscall.Unmount(dir, syscall.MNT_DETACH); derr != nil {
			return fmt.Errorf("unmounting %s: %w", dir, err)
		}
	}
	if keep {
		return nil
	}
	if err := os.Remove(img); err != nil {
		return err
	}
	return os.Remove(dir)
}
