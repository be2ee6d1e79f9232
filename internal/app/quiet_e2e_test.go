package app

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// run runs name (go or gofast) with args in dir with env, and returns
// its stdout, stderr and exit code.
func runIn(t *testing.T, dir string, env []string, name string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

// copyProject copies the e2e project (go.mod, go.sum, main.go) into a new
// directory, so that go and gofast each change a copy of their own.
func (w *e2e) copyProject() string {
	w.t.Helper()
	dst := w.t.TempDir()
	for _, f := range []string{"go.mod", "go.sum", "main.go"} {
		data, err := os.ReadFile(filepath.Join(w.dir, f))
		if err != nil {
			w.t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dst, f), data, 0o666)
	}
	return dst
}

// allDownloadFiles lists every file under a module cache's cache/download,
// lock files, lists and the checksum database's tiles included.
func allDownloadFiles(t *testing.T, modcache string) []string {
	t.Helper()
	root := filepath.Join(modcache, "cache", "download")
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(out)
	return out
}

// TestGoCommandStderrIsGos: a successful wrapped go command, cold cache,
// through a mirror, writes exactly what go alone writes there, on stdout,
// stderr and in go.mod and go.sum; GOFAST_VERBOSE=1 brings back the
// prefetch summary.
func TestGoCommandStderrIsGos(t *testing.T) {
	w := newE2E(t)
	bin := gofastBinary(t)
	for _, args := range [][]string{
		{"mod", "download"},
		{"get", "example.com/dep@v1.0.0"},
		{"build", "./..."},
	} {
		name := strings.Join(args, " ")
		goDir, ourDir := w.copyProject(), w.copyProject()
		goOut, goErr, goCode := runIn(t, goDir, w.env(w.cache("go-"+name)), w.goT, args...)
		out, errOut, code := runIn(t, ourDir, w.env(w.cache("gofast-"+name)), bin, args...)
		if args[0] == "build" {
			// go prints "go: downloading" for each zip it fetches
			// itself; after the warm-up's prefetch there are none to
			// fetch. That is the prefetch itself, and the one
			// difference: nothing else may be added.
			goErr = withoutDownloading(goErr)
		}
		if code != goCode || out != goOut || errOut != goErr {
			t.Errorf("gofast %s: exit %d, stdout %q, stderr %q\ngo alone: exit %d, stdout %q, stderr %q", name, code, out, errOut, goCode, goOut, goErr)
		}
		for _, f := range []string{"go.mod", "go.sum"} {
			a, _ := os.ReadFile(filepath.Join(goDir, f))
			b, _ := os.ReadFile(filepath.Join(ourDir, f))
			if !bytes.Equal(a, b) {
				t.Errorf("gofast %s: %s differs:\n%s\ngo alone:\n%s", name, f, b, a)
			}
		}
	}
	_, errOut, code := runIn(t, w.copyProject(), w.env(w.cache("verbose"), "GOFAST_VERBOSE=1"), bin, "mod", "download")
	if code != 0 || !regexp.MustCompile(`(?m)^gofast: prefetched \d+ modules`).MatchString(errOut) {
		t.Errorf("GOFAST_VERBOSE=1 gofast mod download: exit %d, no summary line: %q", code, errOut)
	}
}

// withoutDownloading is stderr without go's "go: downloading" lines.
func withoutDownloading(stderr string) string {
	return regexp.MustCompile(`(?m)^go: downloading .*\n`).ReplaceAllString(stderr, "")
}

// TestWarmUpLeavesGosCache: through gofast, the module cache holds
// afterwards exactly the files go alone leaves there, checksum-database
// tiles included, for the commands whose warm-up is narrowed: go list -m,
// go mod graph and go mod verify read go.mod files only (no zip may be
// prefetched); go get loads only the packages it names; go mod tidy and
// go mod why write no .info files; go install pkg@version builds outside
// the current module; go work sync outside a workspace fetches nothing.
// A build, a test and go mod download keep the full warm-up and must
// leave the same files too.
func TestWarmUpLeavesGosCache(t *testing.T) {
	w := newE2E(t)
	bin := gofastBinary(t)
	for _, args := range [][]string{
		{"list", "-m", "-u", "example.com/dep"},
		{"list", "-m", "all"},
		{"list", "-m", "-json", "all"},
		{"list", "-m", "-versions", "example.com/dep"},
		{"mod", "graph"},
		{"mod", "verify"},
		{"mod", "why", "example.com/dep"},
		{"mod", "tidy"},
		{"get", "example.com/dep@v1.0.0"},
		{"install", "example.com/other/v2@v2.3.4"},
		{"work", "sync"},
		{"build", "./..."},
		{"test", "./..."},
		{"list", "-json", "./..."},
		{"mod", "download"},
	} {
		name := strings.Join(args, " ")
		ours, theirs := w.cache("gofast-"+name), w.cache("go-"+name)
		// A GOPATH each: go keeps the checksum database's tree state
		// there, which decides the tiles it fetches.
		goDir, ourDir := w.copyProject(), w.copyProject()
		goOut, goErr, goCode := runIn(t, goDir, w.env(theirs, "GOPATH="+theirs+".gopath", "GOBIN="+t.TempDir()), w.goT, args...)
		out, errOut, code := runIn(t, ourDir, w.env(ours, "GOPATH="+ours+".gopath", "GOBIN="+t.TempDir()), bin, args...)
		if code != goCode || withoutDownloading(errOut) != withoutDownloading(goErr) {
			t.Errorf("gofast %s: exit %d, stderr %q; go alone: exit %d, stderr %q", name, code, errOut, goCode, goErr)
		}
		same := strings.NewReplacer(ours, "$GOMODCACHE", ourDir, "$DIR")
		goSame := strings.NewReplacer(theirs, "$GOMODCACHE", goDir, "$DIR")
		if args[0] == "list" && args[1] == "-m" && same.Replace(out) != goSame.Replace(goOut) {
			t.Errorf("gofast %s: stdout\n%s\ngo alone:\n%s", name, out, goOut)
		}
		got, want := allDownloadFiles(t, ours), allDownloadFiles(t, theirs)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("gofast %s: cache/download holds\n  %s\ngo alone leaves\n  %s", name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}
}

// getLine matches one of go -x's fetch lines, "# get URL" and
// "# get URL: 200 OK (0.001s)", keeping the part of the URL after the
// proxy's base (a module path starts with example.com) and the status.
var getLine = regexp.MustCompile(`(?m)^# get \S*?/(example\.com/\S*?)(?:: (\d+ [A-Za-z ]+?))?(?: \([0-9.]+m?s\))?$`)

// fetchesShown returns go -x's fetch lines in stderr, without the proxy's
// base URL and the timings, sorted.
func fetchesShown(stderr string) []string {
	var out []string
	for _, m := range getLine.FindAllStringSubmatch(stderr, -1) {
		out = append(out, m[1]+" "+m[2])
	}
	sort.Strings(out)
	return out
}

// TestDashXShowsGosFetches: with -x, go prints every fetch it makes
// ("# get URL"); through gofast it must make and print the same fetches,
// not find them done by a warm-up (the URL naming the loopback proxy is
// the one difference).
func TestDashXShowsGosFetches(t *testing.T) {
	w := newE2E(t)
	bin := gofastBinary(t)
	for _, args := range [][]string{
		{"mod", "download", "-x"},
		{"list", "-x", "-deps", "./..."},
	} {
		name := strings.Join(args, " ")
		_, goErr, goCode := runIn(t, w.dir, w.env(w.cache("go-"+name)), w.goT, args...)
		_, errOut, code := runIn(t, w.dir, w.env(w.cache("gofast-"+name)), bin, args...)
		want, got := fetchesShown(goErr), fetchesShown(errOut)
		if len(want) == 0 {
			t.Fatalf("go alone %s printed no fetches: %s", name, goErr)
		}
		if code != goCode || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("gofast %s: exit %d, fetches shown\n  %s\ngo alone: exit %d\n  %s", name, code, strings.Join(got, "\n  "), goCode, strings.Join(want, "\n  "))
		}
	}
	// The same with -x in GOFLAGS.
	_, goErr, _ := runIn(t, w.dir, w.env(w.cache("go-goflags"), "GOFLAGS=-mod=mod -x"), w.goT, "mod", "download")
	_, errOut, _ := runIn(t, w.dir, w.env(w.cache("gofast-goflags"), "GOFLAGS=-mod=mod -x"), bin, "mod", "download")
	if want, got := fetchesShown(goErr), fetchesShown(errOut); len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("GOFLAGS=-x gofast mod download: fetches shown\n  %s\ngo alone:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestFileProxyIsGos: with a GOPROXY of a file:// tree only, go reads the
// tree itself, and its error for a module the tree lacks names the
// file:// URL, exactly as go alone.
func TestFileProxyIsGos(t *testing.T) {
	w := newE2E(t)
	bin := gofastBinary(t)
	// A module cache's download directory is a module proxy tree; go
	// mod download completes newE2E's scratch cache with the .info files
	// go mod tidy does not write.
	scratch := filepath.Join(w.base, "scratch")
	w.goRun(scratch, nil, "mod", "download")
	tree := "file://" + filepath.ToSlash(filepath.Join(scratch, "cache", "download"))
	for _, args := range [][]string{
		{"get", "example.com/missing@v1.0.0"},
		{"list", "-m", "example.com/missing@latest"},
		{"mod", "download"},
	} {
		name := strings.Join(args, " ")
		goOut, goErr, goCode := runIn(t, w.copyProject(), w.env(w.cache("go-"+name), "GOPROXY="+tree), w.goT, args...)
		out, errOut, code := runIn(t, w.copyProject(), w.env(w.cache("gofast-"+name), "GOPROXY="+tree), bin, args...)
		if code != goCode || out != goOut || errOut != goErr {
			t.Errorf("GOPROXY=%s gofast %s: exit %d, stdout %q, stderr %q\ngo alone: exit %d, stdout %q, stderr %q", tree, name, code, out, errOut, goCode, goOut, goErr)
		}
	}
}
