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
