package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// freshImageSize is the apparent size of each run's file-system image. The
// image is sparse: only what the run writes (and ext4's metadata) takes
// disk space, so the size need only exceed the largest extracted corpus.
const freshImageSize = 16 << 30

// freshFS is how every run's scratch directory gets a file system of its
// own, so that no run inherits another's directory layout, free-space
// fragmentation, journal or dirty pages, and nothing big is ever removed
// file by file between runs.
type freshFS struct {
	// Loop is true when each scratch directory is a newly made ext4 image
	// mounted through a loop device; false means a fresh directory on the
	// work directory's file system.
	Loop bool
	// Why says why loop mounts are not used, "" when they are.
	Why string
	// images is where the image files go, beside (never inside) the mount
	// points.
	images string
}

// method is the report's sentence about the runs' file systems.
func (f freshFS) method() string {
	if f.Loop {
		return fmt.Sprintf("every cold run (each side, each round) and every other scratch directory had a file system of its own: a sparse %s ext4 image made for it (truncate, mkfs.ext4 -q -F), mounted with mount -o loop,noinit_itable on the directory holding its GOMODCACHE, HOME and GOPATH, TMPDIR, work copy and log; after the run it was unmounted and the image file deleted, so no extracted cache is ever removed file by file and no run starts on another's leftovers",
			formatBytes(freshImageSize))
	}
	return "every cold run (each side, each round) started in a fresh, empty directory holding its GOMODCACHE, HOME and GOPATH, TMPDIR, work copy and log, on the work directory's file system, removed after the run (loop-mounted images were not used: " + f.Why + ")"
}

// setupFreshFS decides how scratch directories are made, following
// -fresh-fs: "dir" never mounts, "loop" must, "auto" tries one image and
// falls back to directories when that fails.
func (h *harness) setupFreshFS() error {
	h.fresh = freshFS{Why: "-fresh-fs dir"}
	if h.cfg.FreshFS == "dir" {
		return nil
	}
	images := filepath.Join(h.work, "images")
	if err := os.MkdirAll(images, 0o755); err != nil {
		return err
	}
	probe := filepath.Join(h.work, "fresh-fs-probe")
	start := time.Now()
	err := mountImage(filepath.Join(images, "probe.img"), probe, freshImageSize)
	if err == nil {
		err = unmountImage(filepath.Join(images, "probe.img"), probe, false)
	}
	if err != nil {
		if h.cfg.FreshFS == "loop" {
			return fmt.Errorf("-fresh-fs loop: %w", err)
		}
		h.fresh.Why = err.Error()
		h.logf("loop-mounted file systems unavailable (%v); every run gets a fresh directory instead", err)
		return nil
	}
	h.fresh = freshFS{Loop: true, images: images}
	h.logf("every run gets its own loop-mounted ext4 image (making, mounting and unmounting one took %s)", formatDuration(time.Since(start)))
	return nil
}
