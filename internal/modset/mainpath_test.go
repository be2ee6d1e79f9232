package modset

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
)

// TestInvalidMainModulePath checks that a main module whose path go
// rejects stops the computation before anything is fetched, as go stops.
func TestInvalidMainModulePath(t *testing.T) {
	for _, path := range []string{"../../evil", "example.com/a/../b", "/abs", "example.com/with space"} {
		t.Run(path, func(t *testing.T) {
			dir := t.TempDir()
			gomod := filepath.Join(dir, "go.mod")
			content := "module \"" + path + "\"\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n"
			if err := os.WriteFile(gomod, []byte(content), 0o666); err != nil {
				t.Fatal(err)
			}
			fetched := 0
			_, err := Compute(context.Background(), Options{Dir: dir, GOMOD: gomod, Fetch: fetchFunc(func() { fetched++ })})
			if err == nil || !strings.Contains(err.Error(), "malformed module path") || !strings.Contains(err.Error(), "go.mod") {
				t.Errorf("Compute = %v, want a malformed module path error naming go.mod", err)
			}
			if fetched != 0 {
				t.Errorf("%d go.mod files fetched for an invalid main module", fetched)
			}
		})
	}
}

// fetchFunc is a Fetcher that counts calls and has nothing to give.
type fetchFunc func()

func (f fetchFunc) GoMod(ctx context.Context, m module.Version) ([]byte, error) {
	f()
	return nil, os.ErrNotExist
}
