package modset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
	"golang.org/x/mod/module"
)

// shuffleFetcher answers after a random short delay, so that go.mod files
// arrive in a different order on every run of a streaming walk.
type shuffleFetcher struct {
	inner Fetcher
	mu    sync.Mutex
	rnd   *rand.Rand
}

func (f *shuffleFetcher) GoMod(ctx context.Context, m module.Version) ([]byte, error) {
	f.mu.Lock()
	d := time.Duration(f.rnd.IntN(2000)) * time.Microsecond
	f.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return f.inner.GoMod(ctx, m)
}

// checkOrderIndependent computes the set again with go.mod files arriving
// in random orders and with different concurrency limits, and checks that
// the walk's result never depends on the order: the streaming walk must
// reach exactly the (module, pruning) pairs a breadth-first walk reaches.
func checkOrderIndependent(t *testing.T, opts Options, inner Fetcher, want *Set) {
	t.Helper()
	for i, jobs := range []int{1, 2, 3, 64, 64} {
		o := opts
		o.Jobs = jobs
		o.Fetch = &shuffleFetcher{inner: inner, rnd: rand.New(rand.NewPCG(uint64(i), 7))}
		got, err := Compute(context.Background(), o)
		if err != nil {
			t.Errorf("order %d (jobs %d): %v", i, jobs, err)
			continue
		}
		if d := setDiff(want, got); d != "" {
			t.Errorf("order %d (jobs %d): set differs: %s", i, jobs, d)
		}
	}
}

func setDiff(a, b *Set) string {
	switch {
	case !reflect.DeepEqual(a.Zips, b.Zips):
		return fmt.Sprintf("zips %v, then %v", a.Zips, b.Zips)
	case !reflect.DeepEqual(a.Mods, b.Mods):
		return fmt.Sprintf("mods %v, then %v", a.Mods, b.Mods)
	case !reflect.DeepEqual(a.Skipped, b.Skipped):
		return fmt.Sprintf("skipped %v, then %v", a.Skipped, b.Skipped)
	case !reflect.DeepEqual(a.Notes, b.Notes):
		return fmt.Sprintf("notes %v, then %v", a.Notes, b.Notes)
	}
	return ""
}

func TestLikelyZips(t *testing.T) {
	mods := []proxytest.Module{
		mod("example.com/a", "v1.1.0", "1.21", "example.com/b v1.2.0"),
		mod("example.com/b", "v1.0.0", "1.21"),
		mod("example.com/b", "v1.2.0", "1.21"),
		mod("example.com/r", "v1.0.0", "1.21"),
		mod("example.com/x", "v1.0.0", "1.21"),
		mod("corp.example/p", "v1.0.0", "1.21"),
	}
	for _, tc := range []struct {
		name   string
		gomod  string
		likely []module.Version
		zips   []module.Version
	}{{
		name: "tidy",
		gomod: gomod("example.com/main", "1.21", "example.com/a v1.1.0", "example.com/b v1.2.0 // indirect") +
			"replace example.com/q v1.0.0 => example.com/r v1.0.0\nrequire example.com/q v1.0.0\n" +
			"require example.com/local v1.0.0\nreplace example.com/local => ./local\n" +
			"require corp.example/p v1.0.0\n",
		likely: []module.Version{mv("example.com/a", "v1.1.0"), mv("example.com/b", "v1.2.0"), mv("example.com/r", "v1.0.0")},
		zips:   []module.Version{mv("example.com/a", "v1.1.0"), mv("example.com/b", "v1.2.0"), mv("example.com/r", "v1.0.0")},
	}, {
		// b v1.0.0 is below what a requires: the guess is wrong, the Set
		// is right.
		name:   "untidy",
		gomod:  gomod("example.com/main", "1.21", "example.com/a v1.1.0", "example.com/b v1.0.0", "example.com/x v1.0.0"),
		likely: []module.Version{mv("example.com/a", "v1.1.0"), mv("example.com/b", "v1.0.0"), mv("example.com/x", "v1.0.0")},
		zips:   []module.Version{mv("example.com/a", "v1.1.0"), mv("example.com/b", "v1.2.0"), mv("example.com/x", "v1.0.0")},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			opts, _ := unitModule(t, mods, map[string]string{"go.mod": tc.gomod, "local/go.mod": "module example.com/local\n\ngo 1.21\n"})
			opts.GOPRIVATE = "corp.example"
			calls := 0
			var likely []module.Version
			opts.Likely = func(zips []module.Version, sums *Sums) {
				calls++
				likely = zips
				for _, m := range zips {
					if len(sums.Zip(m)) == 0 {
						t.Errorf("no go.sum line handed over for %v", m)
					}
				}
			}
			set, err := Compute(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if calls != 1 || !reflect.DeepEqual(likely, tc.likely) {
				t.Errorf("Likely called %d times with %v, want once with %v", calls, likely, tc.likely)
			}
			if !reflect.DeepEqual(set.Zips, tc.zips) {
				t.Errorf("Set.Zips = %v, want %v", set.Zips, tc.zips)
			}
		})
	}
}
