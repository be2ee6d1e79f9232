package app

import (
	"testing"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/wrap"
)

func TestFilesOnly(t *testing.T) {
	for _, tc := range []struct {
		goproxy, mirrors string
		want             bool
	}{
		{"file:///a", "", true},
		{"file:///a,file:///b|direct", "", true},
		{"file:///a,off", "", true},
		{"file:///a,https://proxy.example", "", false},
		{"https://proxy.example,file:///a", "", false},
		{"direct", "", false},
		{"off", "", false},
		{"file:///a", "https://mirror.example", false},
	} {
		env := goenv.Environ{}
		if tc.mirrors != "" {
			env = env.With("GOFAST_MIRRORS", tc.mirrors)
		}
		if got := filesOnly(&goenv.Settings{GOPROXY: tc.goproxy}, env); got != tc.want {
			t.Errorf("filesOnly(GOPROXY=%q, GOFAST_MIRRORS=%q) = %v, want %v", tc.goproxy, tc.mirrors, got, tc.want)
		}
	}
}

func TestWarmUpScope(t *testing.T) {
	for _, tc := range []struct {
		args        []string
		goflags     string
		modOnly, xs bool
	}{
		{[]string{"list", "-m", "all"}, "", true, false},
		{[]string{"list", "-m", "-u", "-json", "all"}, "", true, false},
		{[]string{"list", "-deps", "./..."}, "", false, false},
		{[]string{"mod", "graph"}, "", true, false},
		{[]string{"mod", "verify"}, "", true, false},
		{[]string{"mod", "why", "example.com/a"}, "", false, false},
		{[]string{"get", "example.com/a@v1.0.0"}, "", true, false},
		{[]string{"install", "example.com/a/cmd@v1.0.0"}, "", true, false},
		{[]string{"run", "example.com/a/cmd@latest", "arg"}, "", true, false},
		{[]string{"install", "./cmd"}, "", false, false},
		{[]string{"mod", "tidy", "-x"}, "", false, true},
		{[]string{"build", "-x=true", "./..."}, "", false, true},
		{[]string{"build", "-x=false", "./..."}, "", false, false},
		{[]string{"build", "./..."}, "-mod=mod -x", false, true},
		{[]string{"build", "-x=false", "./..."}, "-x", false, false},
		{[]string{"build", "-x", "-x=0", "./..."}, "", false, false},
		{[]string{"build", "./..."}, "-x -x=false", false, false},
		{[]string{"get", "--x", "example.com/a@v1"}, "", true, true},
		{[]string{"run", "./cmd", "-x"}, "", false, false},
		{[]string{"test", "./...", "-args", "-x"}, "", false, false},
	} {
		inv := wrap.Classify(tc.args)
		if got := noWarmUp(inv); got != tc.modOnly {
			t.Errorf("noWarmUp(%q) = %v", tc.args, got)
		}
		if got := showsFetches(inv, tc.goflags); got != tc.xs {
			t.Errorf("showsFetches(%q, GOFLAGS=%q) = %v", tc.args, tc.goflags, got)
		}
	}
}
