package lockcheck

import (
	"fmt"
	"io/fs"
	"os"
)

// defaultAccess checks that the current user can use path as the go command
// does. A lock file is opened read-write, as go opens it, but never created
// and closed at once. Directories are not checked: Windows access control
// lists cannot be judged without trying to write.
func defaultAccess(path string, fi fs.FileInfo) error {
	if fi.IsDir() {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("opening lock file: %w", err)
	}
	return f.Close()
}

// fileOwner is unknown on Windows, where files have security descriptors
// rather than owner IDs in their stat result.
func fileOwner(fs.FileInfo) (uid int, ok bool) { return 0, false }

// currentUID is -1 on Windows.
func currentUID() int { return os.Getuid() }
