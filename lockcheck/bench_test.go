package lockcheck

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// BenchmarkScan3000 scans a cache of 3000 module versions (1000 modules),
// each also extracted, which the scan must not descend into. Run with
//
//	go test -run '^$' -bench Scan3000 ./lockcheck
func BenchmarkScan3000(b *testing.B) {
	c := newFakeCache(b)
	c.generate(3000)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		r, err := Scan(ctx, Options{Root: c.root})
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Locks) != 3000 {
			b.Fatalf("%d locks, want 3000", len(r.Locks))
		}
	}
}

// TestScanLargeCache checks the scan of a cache like the benchmark's for
// correctness, not speed: every lock found, nothing reported.
func TestScanLargeCache(t *testing.T) {
	c := newFakeCache(t)
	c.generate(300)
	r := c.scan(Options{Fix: true})
	if len(r.Locks) != 300 || len(r.Problems) != 0 {
		t.Fatalf("%s: %+v", r.Summary(), r.Problems)
	}
}

// BenchmarkStuckHolders is the wrapper's cheap check of the 50 version locks
// a build is about to need, none of them held.
func BenchmarkStuckHolders(b *testing.B) {
	c := newFakeCache(b)
	var locks []string
	for i := 0; i < 50; i++ {
		mod := fmt.Sprintf("example.com/m%d", i)
		c.version(mod, "v1.0.0")
		locks = append(locks, c.lockPath(mod, "v1.0.0"))
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := StuckHolders(ctx, c.root, locks, time.Minute); err != nil {
			if errors.Is(err, errors.ErrUnsupported) {
				b.Skip(err)
			}
			b.Fatal(err)
		}
	}
}
