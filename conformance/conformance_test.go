package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestConformanceCI runs the -set ci scripts with go alone and through
// gofast and fails on any script that passes alone but not through gofast
// and is not in knownDifferences. The harness builds gofast and the cmd/go
// test binary itself, without -race, whatever flags this test runs with.
func TestConformanceCI(t *testing.T) {
	if testing.Short() {
		t.Skip("the conformance run builds cmd/go's test binary and runs its module scripts twice (minutes); skipped under -short")
	}
	if runtime.GOOS == "windows" {
		t.Skip("the harness wraps go with a shell script; unix only")
	}
	goroot := goRoot(t)
	if _, err := os.Stat(filepath.Join(goroot, "src", "cmd", "go", "testdata", "script")); err != nil {
		t.Skipf("cmd/go's script tests are not in GOROOT %s (%v); the conformance run needs the go source", goroot, err)
	}
	ctx := context.Background()
	if dl, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-30*time.Second))
		defer cancel()
	}
	var log strings.Builder
	rep, err := Run(ctx, Config{Set: "ci", Work: t.TempDir(), Log: &log, Parallel: 2, Timeout: 20 * time.Minute})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	var table strings.Builder
	rep.WriteMarkdown(&table)
	t.Log("\n" + table.String())
	if len(rep.Results) < len(ciScripts) {
		t.Errorf("%d scripts reported, want the %d of the ci set", len(rep.Results), len(ciScripts))
	}
	if bad := rep.Unlisted(); len(bad) > 0 {
		t.Errorf("%d scripts pass with go alone and fail through gofast (not in known.go): %v", len(bad), bad)
	}
}

func goRoot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestPatchGoTest checks the patch against this GOROOT's go_test.go and
// that missing anchors are an error, not a silent unpatched build.
func TestPatchGoTest(t *testing.T) {
	if _, err := patchGoTest("package main\n"); err == nil {
		t.Error("a go_test.go without the anchors was patched")
	}
	src, err := os.ReadFile(filepath.Join(goRoot(t), "src", "cmd", "go", "go_test.go"))
	if err != nil {
		t.Skipf("no cmd/go source: %v", err)
	}
	out, err := patchGoTest(string(src))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, GofastEnv) || len(out) <= len(src) {
		t.Error("the patch was not inserted")
	}
}

// TestFirstDiff checks that runs differing only in timing, temporary names
// and ports compare equal, and that a real difference is named.
func TestFirstDiff(t *testing.T) {
	a := []string{
		"    script_test.go:139: 2026-12-07T02:11:41Z",
		"    script_test.go:141: $WORK=/tmp/cmd-go-test-598295206/tmpdir2569527457/mod_query3203402343",
		"        GOPROXY=http://127.0.0.1:45531/mod",
		"        # comment (0.044s)",
		"        > go list -m rsc.io/quote",
	}
	g := []string{
		"    script_test.go:139: 2026-12-07T02:12:01Z",
		"    script_test.go:141: $WORK=/tmp/cmd-go-test-1/tmpdir2/mod_query3",
		"        GOPROXY=http://127.0.0.1:1234/mod",
		"        # comment (1.5s)",
		"        > go list -m rsc.io/quote",
	}
	if d := firstDiff(a, g); d != "" {
		t.Errorf("equal runs differ: %s", d)
	}
	g = append(g, "        gofast: prefetched 1 modules")
	if d := firstDiff(a, g); !strings.Contains(d, "gofast: prefetched") {
		t.Errorf("firstDiff = %q, want the extra line", d)
	}
}

// TestKnown checks that a known difference is accepted only at its line.
func TestKnown(t *testing.T) {
	at := Result{Name: "mod_graph", Alone: "pass", Gofast: "fail",
		GofastFail: `FAIL: testdata/script/mod_graph.txt:11: stderr 'get http://127\.0\.0\.1:35705/mod': no match for ` + "`(?m)get http://127\\.0\\.0\\.1:35705/mod` in stderr"}
	if _, ok := known(at); !ok {
		t.Errorf("mod_graph at its known line is not accepted: %s", at.GofastFail)
	}
	elsewhere := at
	elsewhere.GofastFail = "FAIL: testdata/script/mod_graph.txt:3: go mod graph: exit status 1"
	if _, ok := known(elsewhere); ok {
		t.Error("mod_graph failing at another line is accepted")
	}
	rep := &Report{Results: []Result{at, elsewhere, {Name: "mod_query", Alone: "pass", Gofast: "fail"}, {Name: "mod_tidy", Alone: "pass", Gofast: "pass"}}}
	if got := rep.Unlisted(); len(got) != 2 || got[0] != "mod_graph" || got[1] != "mod_query" {
		t.Errorf("Unlisted = %v, want [mod_graph mod_query]", got)
	}
}

// TestPatchScriptConds checks the [net] patch against this GOROOT.
func TestPatchScriptConds(t *testing.T) {
	if _, err := patchScriptConds("package main\n"); err == nil {
		t.Error("a scriptconds_test.go without the anchor was patched")
	}
	src, err := os.ReadFile(filepath.Join(goRoot(t), "src", "cmd", "go", "scriptconds_test.go"))
	if err != nil {
		t.Skipf("no cmd/go source: %v", err)
	}
	out, err := patchScriptConds(string(src))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "if true || !testenv.HasExternalNetwork()") {
		t.Error("the [net] condition was not patched")
	}
}
