package mirrors

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// benchOptions races four loopback mirrors (one with 5ms of latency)
// chosen through GOFAST_MIRRORS, with a private cache.
func benchOptions(b *testing.B) Options {
	tree := testTree()
	var urls []string
	for i := range 4 {
		o := proxytest.Options{FS: tree.FS}
		if i == 0 {
			o.Latency = 5 * time.Millisecond
		}
		urls = append(urls, proxytest.New(b, o).URL)
	}
	return testOptions(b, testSettings(b, testDefaultGOPROXY, "sum.test"), "GOFAST_MIRRORS="+strings.Join(urls, ","))
}

// BenchmarkSelectWarm is the cost every wrapped go command pays once a
// ranking is remembered: read, check and rebuild, no network.
func BenchmarkSelectWarm(b *testing.B) {
	opts := benchOptions(b)
	if _, err := Select(context.Background(), opts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := Select(context.Background(), opts)
		if err != nil || !r.FromCache {
			b.Fatalf("warm Select: FromCache %v, %v", r != nil && r.FromCache, err)
		}
	}
}

// BenchmarkSelectCold races the loopback mirrors every time (new
// connections each race, as a new process would), and remembers the
// result. The slowest mirror's latency sets the floor.
func BenchmarkSelectCold(b *testing.B) {
	opts := benchOptions(b)
	opts.Fresh = true
	b.ReportAllocs()
	for b.Loop() {
		r, err := Select(context.Background(), opts)
		if err != nil || r.FromCache || r.Fallback {
			b.Fatalf("cold Select: %+v, %v", r, err)
		}
	}
}
