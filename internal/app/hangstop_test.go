package app

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/prefetch"
	"github.com/gofastdev/gofast/wrap"
	"golang.org/x/mod/module"
)

// TestHangStopsGo checks that a prefetch failure go would not survive (a
// stalled mirror, which go would wait on forever; an endless .mod, which
// go would read until memory runs out) keeps gofast from handing over to
// go, with one line and exit code 1, and that other failures do not.
func TestHangStopsGo(t *testing.T) {
	m := module.Version{Path: "example.com/a", Version: "v1.0.0"}
	stall := &prefetch.ModuleError{Module: m, File: "zip", Mirror: "http://mirror.test",
		Err: fmt.Errorf("%w: nothing received for 30s", prefetch.ErrStalled)}
	other := &prefetch.ModuleError{Module: m, File: "mod", Mirror: "http://mirror.test", Err: errors.New("503 Service Unavailable")}
	endless := &prefetch.ModuleError{Module: m, File: "mod", Mirror: "http://mirror.test", Err: &prefetch.BodyError{Reason: "answer larger than 16777216 bytes", TooLarge: true}}
	bigZip := &prefetch.ModuleError{Module: m, File: "zip", Mirror: "http://mirror.test", Err: &prefetch.BodyError{Reason: "zip larger than 524288000 bytes", TooLarge: true}}
	inv := wrap.Classify([]string{"mod", "download"})
	for _, tc := range []struct {
		name string
		err  error
		stop bool
	}{
		{"no failure", nil, false},
		{"other failure", errors.Join(other), false},
		{"stall among failures", errors.Join(other, stall), true},
		{"stall while walking the graph", module.VersionError(m, fmt.Errorf("reading go.mod: %w", stall)), true},
		{"endless go.mod", errors.Join(other, endless), true},
		{"endless go.mod while walking the graph", module.VersionError(m, fmt.Errorf("reading go.mod: %w", endless)), true},
		// go limits zips itself.
		{"gigantic zip", errors.Join(bigZip), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := hangStop(inv, tc.err)
			if (err != nil) != tc.stop {
				t.Fatalf("hangStop = %v, want stop %v", err, tc.stop)
			}
			if err == nil {
				return
			}
			var stderr bytes.Buffer
			if code := ExitCode(err, &stderr); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			line := stderr.String()
			if strings.Count(line, "\n") != 1 || !strings.HasPrefix(line, "gofast: ") {
				t.Errorf("want one gofast line, got %q", line)
			}
			for _, want := range []string{"example.com/a@v1.0.0", "http://mirror.test", "not running go mod download"} {
				if !strings.Contains(line, want) {
					t.Errorf("line %q lacks %q", line, want)
				}
			}
		})
	}
}
