package proxytest

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testModules() []Module {
	return []Module{
		{Path: "example.com/dep", Version: "v1.0.0"},
		{Path: "example.com/dep", Version: "v1.1.0"},
		{Path: "example.com/other/v2", Version: "v2.3.4", GoMod: "module example.com/other/v2\n\ngo 1.21\n\nrequire example.com/dep v1.1.0\n"},
		{Path: "example.com/Upper", Version: "v0.1.0"},
	}
}

func TestRealGoDownloadsThroughServer(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	mods := testModules()
	tree := MustBuild(mods...)
	srv := New(t, Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})

	dir := t.TempDir()
	gomod := "module example.com/main\n\ngo 1.21\n\nrequire (\n\texample.com/other/v2 v2.3.4\n\texample.com/Upper v0.1.0\n)\n"
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o666)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport (\n\t_ \"example.com/other/v2\"\n\t_ \"example.com/Upper\"\n)\n\nfunc main() {}\n"), 0o666)

	cache := t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command(goTool, args...)
		cmd.Dir = dir
		cmd.Env = GoEnv(os.Environ(), srv, cache)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("mod", "tidy")
	run("build", "./...")
	run("mod", "verify")
	sum, _ := os.ReadFile(filepath.Join(dir, "go.sum"))
	for _, m := range []Module{mods[2], mods[3]} {
		want := m.Path + " " + m.Version + " " + tree.Sum[m.Path+" "+m.Version]
		if !strings.Contains(string(sum), want) {
			t.Errorf("go.sum lacks %q:\n%s", want, sum)
		}
	}
	if srv.Count("/supported") == 0 {
		t.Errorf("go did not use the served checksum database; requests: %v", srv.Requests())
	}
	filepath.WalkDir(cache, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.Chmod(p, 0o644)
		} else if err == nil {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}

func TestLatencyAndBandwidth(t *testing.T) {
	tree := MustBuild(Module{Path: "example.com/big", Version: "v1.0.0", Files: map[string]string{"big.txt": strings.Repeat("x", 200<<10)}})
	srv := New(t, Options{FS: tree.FS, Latency: 50 * time.Millisecond, Bandwidth: 1 << 20})
	start := time.Now()
	resp, err := http.Get(srv.URL + "/example.com/big/@v/v1.0.0.zip")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	// The floor is set-up + one round trip + bytes/bandwidth; it must be
	// respected whatever the machine's speed. (A lower bound, not a timing
	// assertion that a slow machine could fail.)
	floor := 100*time.Millisecond + time.Duration(float64(n)/float64(1<<20)*float64(time.Second))
	if elapsed < floor*9/10 {
		t.Errorf("transfer of %d bytes took %v, below the emulated floor %v", n, elapsed, floor)
	}
}

func TestStallAndFaults(t *testing.T) {
	tree := MustBuild(Module{Path: "example.com/dep", Version: "v1.0.0"})
	stalled := New(t, Options{FS: tree.FS, Stall: true})
	c := &http.Client{Timeout: 200 * time.Millisecond}
	if _, err := c.Get(stalled.URL + "/example.com/dep/@v/list"); err == nil {
		t.Fatal("stalled server answered")
	}
	faulty := New(t, Options{FS: tree.FS, Fault: func(r *http.Request) Fault {
		switch {
		case strings.HasSuffix(r.URL.Path, ".mod"):
			return Fault{Kind: Status, Status: 503, Body: []byte("busy")}
		case strings.HasSuffix(r.URL.Path, ".zip"):
			return Fault{Kind: Reset, After: 10}
		case strings.HasSuffix(r.URL.Path, ".info"):
			return Fault{Kind: Body, Body: []byte("<html>portal</html>")}
		}
		return Fault{}
	}})
	resp, err := http.Get(faulty.URL + "/example.com/dep/@v/v1.0.0.mod")
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("mod: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Get(faulty.URL + "/example.com/dep/@v/v1.0.0.zip")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("reset zip read without error")
	}
	resp, err = http.Get(faulty.URL + "/example.com/dep/@v/v1.0.0.info")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || string(b) != "<html>portal</html>" {
		t.Fatalf("info: %q %q", resp.Header.Get("Content-Type"), b)
	}
}
