package app

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofrs/flock"
)

// TestLockWaitNamesHolder checks the one line the wrapper prints while it
// waits for a lock: it names the holding process and how to free the lock.
func TestLockWaitNamesHolder(t *testing.T) {
	root := t.TempDir()
	lockPath := filepath.Join(root, "cache", "download", "example.com", "held", "@v", "v1.0.0.lock")
	os.MkdirAll(filepath.Dir(lockPath), 0o777)
	fl := flock.New(lockPath, flock.SetFlag(os.O_RDWR|os.O_CREATE))
	if err := fl.Lock(); err != nil {
		t.Fatal(err)
	}
	defer fl.Unlock()
	var stderr bytes.Buffer
	s := &session{opts: Options{Stderr: &stderr}}
	s.lockWait(root, lockPath)
	out := stderr.String()
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "gofast: waiting: ") ||
		!strings.Contains(out, fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(out, "kill ") {
		t.Errorf("want one gofast line naming pid %d and how to free the lock, got %q", os.Getpid(), out)
	}
}
