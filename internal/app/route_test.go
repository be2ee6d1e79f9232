package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gofastdev/gofast/internal/warmstamp"
	"github.com/gofastdev/gofast/wrap"
)

// TestWarmFollowsPlan: the warm-up takes the warm-record decision from
// wrap.Route's plan and reads no record itself: a plan that says warm
// skips the warm-up (no go env) though no record exists, and a plan that
// says cold warms up and writes the plan's record.
func TestWarmFollowsPlan(t *testing.T) {
	w := newE2E(t)
	cache := w.cache("c")
	ctx := context.Background()
	wd, _ := os.Getwd()
	if err := os.Chdir(w.dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	inv := wrap.Classify([]string{"build", "./..."})
	var stderr bytes.Buffer

	s := &session{opts: Options{Stderr: &stderr}, env: w.env(cache)}
	s.plan = wrap.Plan{Action: wrap.PlanFetch, Warm: true}
	if _, err := s.warm(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if len(s.settings) != 0 || !s.knownWarm {
		t.Errorf("a plan saying warm: go env ran %d times, knownWarm %t; want none, true", len(s.settings), s.knownWarm)
	}

	record := filepath.Join(t.TempDir(), "record.txt")
	s = &session{opts: Options{Stderr: &stderr}, env: w.env(cache)}
	s.plan = wrap.Plan{Action: wrap.PlanFetch, Record: record}
	if _, err := s.warm(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if len(s.settings) != 1 || s.knownWarm {
		t.Errorf("a plan saying cold: go env ran %d times, knownWarm %t; want once, false", len(s.settings), s.knownWarm)
	}
	if !warmstamp.Valid(record) {
		t.Errorf("the complete warm-up wrote no valid record at the plan's path: %s", stderr.String())
	}
}
