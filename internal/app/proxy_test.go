package app

import (
	"testing"

	"github.com/gofastdev/gofast/wrap"
)

// TestFetchOnly: only commands that never compile or run code get more
// download streams (GOMAXPROCS) than go's default; a build, test, install
// or run keeps the user's GOMAXPROCS for its compilers and tests.
func TestFetchOnly(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"get", "example.com/a@v1.0.0"}, true},
		{[]string{"mod", "tidy"}, true},
		{[]string{"mod", "download"}, true},
		{[]string{"work", "sync"}, true},
		{[]string{"install", "example.com/tool@v1.0.0"}, false},
		{[]string{"run", "example.com/tool@v1.0.0"}, false},
		{[]string{"build", "./..."}, false},
		{[]string{"test", "./..."}, false},
		{[]string{"list", "-m", "-u", "all"}, false},
		{[]string{"mod", "vendor"}, false},
	} {
		if got := fetchOnly(wrap.Classify(tc.args)); got != tc.want {
			t.Errorf("fetchOnly(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

// TestReadsZips: zips are read ahead only for commands that download the
// zip of every version they resolve.
func TestReadsZips(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"get", "example.com/a@v1.0.0"}, true},
		{[]string{"mod", "tidy"}, true},
		{[]string{"install", "example.com/tool@v1.0.0"}, true},
		{[]string{"install", "./cmd/tool"}, false},
		{[]string{"list", "-m", "example.com/a@latest"}, false},
		{[]string{"build", "./..."}, false},
	} {
		if got := readsZips(wrap.Classify(tc.args)); got != tc.want {
			t.Errorf("readsZips(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

// TestParseSize: GOFAST_SPOOL_MAX takes bytes or K, M, G (powers of
// 1024), and refuses garbage, negative and overflowing values.
func TestParseSize(t *testing.T) {
	for v, want := range map[string]int64{"0": 0, "1000": 1000, "64K": 64 << 10, "512m": 512 << 20, "2G": 2 << 30} {
		if n, ok := parseSize(v); !ok || n != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", v, n, ok, want)
		}
	}
	for _, v := range []string{"G", "-1", "1.5G", "2T", "x", "9999999999999G"} {
		if n, ok := parseSize(v); ok {
			t.Errorf("parseSize(%q) = %d, accepted", v, n)
		}
	}
}
